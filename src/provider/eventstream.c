/*
 * provider/eventstream.c - Amazon event stream framing (see eventstream.h).
 *
 * The decoder parses whole messages straight from the caller's bytes when it
 * can and copies only the tail of a message that is split across feeds, so
 * the common case (curl hands over several whole frames) copies nothing.
 * CRC32 is zlib's (IEEE 802.3), the one the format uses.
 */
#include "core/lmx.h"

#include <string.h>

#include <zlib.h>

#include "core/err.h"
#include "provider/eventstream.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t crc(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);

    /* zlib takes uInt lengths; messages are capped far below 4 GiB */
    return (uint32_t)crc32(c, p, (uInt)n);
}

/*
 * Checks a 12-byte prelude; *total gets the message length. Returns 0,
 * LMX_EUPSTREAM or LMX_ETOOBIG.
 */
static int check_prelude(const uint8_t *p, size_t max, uint32_t *total)
{
    uint32_t t = be32(p), h = be32(p + 4);

    if (crc(p, 8) != be32(p + 8))
        return LMX_EUPSTREAM;
    if (t < LMX_ES_MIN_MESSAGE || h > t - LMX_ES_MIN_MESSAGE)
        return LMX_EUPSTREAM;
    if (t > max || h > LMX_ES_MAX_HEADER_BYTES)
        return LMX_ETOOBIG;
    *total = t;
    return 0;
}

static int parse_headers(const uint8_t *p, size_t n, struct lmx_es_msg *m)
{
    size_t off = 0;

    m->nheaders = 0;
    while (off < n) {
        struct lmx_es_header *h;
        size_t nl = p[off++], vl;

        if (nl == 0 || nl > n - off)
            return LMX_EUPSTREAM;
        if (m->nheaders == LMX_ES_MAX_HEADERS)
            return LMX_ETOOBIG;
        h = &m->headers[m->nheaders];
        memset(h, 0, sizeof(*h));
        h->name = (const char *)p + off;
        h->name_len = nl;
        off += nl;
        if (off >= n)
            return LMX_EUPSTREAM;
        h->type = (enum lmx_es_type)p[off++];
        switch (h->type) {
        case LMX_ES_TRUE:
            h->i = 1;
            break;
        case LMX_ES_FALSE:
            h->i = 0;
            break;
        case LMX_ES_BYTE:
            if (n - off < 1)
                return LMX_EUPSTREAM;
            h->i = (int8_t)p[off];
            off += 1;
            break;
        case LMX_ES_SHORT:
            if (n - off < 2)
                return LMX_EUPSTREAM;
            h->i = (int16_t)(uint16_t)((unsigned)p[off] << 8 | p[off + 1]);
            off += 2;
            break;
        case LMX_ES_INT:
            if (n - off < 4)
                return LMX_EUPSTREAM;
            h->i = (int32_t)be32(p + off);
            off += 4;
            break;
        case LMX_ES_LONG:
        case LMX_ES_TIMESTAMP:
            if (n - off < 8)
                return LMX_EUPSTREAM;
            h->i = (int64_t)be64(p + off);
            off += 8;
            break;
        case LMX_ES_BYTES:
        case LMX_ES_STRING:
            if (n - off < 2)
                return LMX_EUPSTREAM;
            vl = (size_t)p[off] << 8 | p[off + 1];
            off += 2;
            if (vl > n - off)
                return LMX_EUPSTREAM;
            h->v = p + off;
            h->v_len = vl;
            off += vl;
            break;
        case LMX_ES_UUID:
            if (n - off < 16)
                return LMX_EUPSTREAM;
            h->v = p + off;
            h->v_len = 16;
            off += 16;
            break;
        default:
            return LMX_EUPSTREAM;
        }
        m->nheaders++;
    }
    return 0;
}

int lmx_es_parse(const void *data, size_t n, struct lmx_es_msg *m)
{
    const uint8_t *p = data;
    uint32_t total, hlen;
    int err;

    if (n < LMX_ES_MIN_MESSAGE)
        return LMX_EUPSTREAM;
    err = check_prelude(p, n, &total);
    if (err < 0)
        return err;
    if (total != n)
        return LMX_EUPSTREAM;
    if (crc(p, n - 4) != be32(p + n - 4))
        return LMX_EUPSTREAM;
    hlen = be32(p + 4);
    err = parse_headers(p + LMX_ES_PRELUDE, hlen, m);
    if (err < 0)
        return err;
    m->payload = p + LMX_ES_PRELUDE + hlen;
    m->payload_len = n - LMX_ES_MIN_MESSAGE - hlen;
    return 0;
}

void lmx_es_decoder_init(struct lmx_es_decoder *d, size_t max_message)
{
    if (max_message == 0 || max_message > LMX_ES_MAX_MESSAGE)
        max_message = LMX_ES_MAX_MESSAGE;
    if (max_message < LMX_ES_MIN_MESSAGE)
        max_message = LMX_ES_MIN_MESSAGE;
    lmx_buf_init(&d->pending, max_message);
    d->max_message = max_message;
    d->total = 0;
    d->failed = 0;
}

void lmx_es_decoder_release(struct lmx_es_decoder *d)
{
    lmx_buf_release(&d->pending);
    d->total = 0;
}

bool lmx_es_decoder_partial(const struct lmx_es_decoder *d)
{
    return d->pending.len > 0;
}

/* One whole message in p[0..n): decoded and handed to cb. */
static int deliver(const uint8_t *p, size_t n, lmx_es_cb cb, void *ud)
{
    struct lmx_es_msg m;
    int err = lmx_es_parse(p, n, &m);

    return err < 0 ? err : cb(&m, ud);
}

static int feed(struct lmx_es_decoder *d, const uint8_t *p, size_t n, lmx_es_cb cb, void *ud)
{
    int err;

    while (n > 0) {
        size_t need, take;

        if (d->pending.len == 0) {
            /* fast path: whole messages straight from the caller's bytes */
            uint32_t total;

            if (n < LMX_ES_PRELUDE)
                return lmx_buf_append(&d->pending, p, n);
            err = check_prelude(p, d->max_message, &total);
            if (err < 0)
                return err;
            if (n >= total) {
                err = deliver(p, total, cb, ud);
                if (err < 0)
                    return err;
                p += total;
                n -= total;
                continue;
            }
            err = lmx_buf_reserve(&d->pending, total);
            if (err == 0)
                err = lmx_buf_append(&d->pending, p, n);
            d->total = total;
            return err;
        }
        /* a message split across feeds: complete the prelude, then the rest */
        need = d->pending.len < LMX_ES_PRELUDE ? LMX_ES_PRELUDE - d->pending.len
                                               : d->total - d->pending.len;
        take = LMX_MIN(need, n);
        err = lmx_buf_append(&d->pending, p, take);
        if (err < 0)
            return err;
        p += take;
        n -= take;
        if (d->pending.len == LMX_ES_PRELUDE && d->total == 0) {
            uint32_t total;

            err = check_prelude((const uint8_t *)d->pending.data, d->max_message, &total);
            if (err < 0)
                return err;
            d->total = total;
            err = lmx_buf_reserve(&d->pending, total - LMX_ES_PRELUDE);
            if (err < 0)
                return err;
        }
        if (d->total != 0 && d->pending.len == d->total) {
            err = deliver((const uint8_t *)d->pending.data, d->total, cb, ud);
            lmx_buf_reset(&d->pending);
            d->total = 0;
            if (err < 0)
                return err;
        }
    }
    return 0;
}

int lmx_es_decoder_feed(struct lmx_es_decoder *d, const void *p, size_t n, lmx_es_cb cb, void *ud)
{
    int err;

    if (d->failed < 0)
        return d->failed;
    err = feed(d, p, n, cb, ud);
    if (err < 0)
        d->failed = err;
    return err;
}

const struct lmx_es_header *lmx_es_find(const struct lmx_es_msg *m, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < m->nheaders; i++)
        if (m->headers[i].name_len == n && memcmp(m->headers[i].name, name, n) == 0)
            return &m->headers[i];
    return NULL;
}

bool lmx_es_str_is(const struct lmx_es_msg *m, const char *name, const char *value)
{
    const struct lmx_es_header *h = lmx_es_find(m, name);
    size_t n = strlen(value);

    return h != NULL && h->type == LMX_ES_STRING && h->v_len == n && memcmp(h->v, value, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* Encoder */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Bytes of header h on the wire, or 0 when it cannot be encoded. */
static size_t header_size(const struct lmx_es_header *h)
{
    size_t n = 1 + h->name_len + 1;

    if (h->name == NULL || h->name_len == 0 || h->name_len > 255)
        return 0;
    switch (h->type) {
    case LMX_ES_TRUE:
    case LMX_ES_FALSE:
        return n;
    case LMX_ES_BYTE:
        return n + 1;
    case LMX_ES_SHORT:
        return n + 2;
    case LMX_ES_INT:
        return n + 4;
    case LMX_ES_LONG:
    case LMX_ES_TIMESTAMP:
        return n + 8;
    case LMX_ES_BYTES:
    case LMX_ES_STRING:
        return h->v_len > 32767 || (h->v_len > 0 && h->v == NULL) ? 0 : n + 2 + h->v_len;
    case LMX_ES_UUID:
        return h->v_len != 16 || h->v == NULL ? 0 : n + 16;
    }
    return 0;
}

static uint8_t *put_header(uint8_t *q, const struct lmx_es_header *h)
{
    uint64_t u = (uint64_t)h->i;

    *q++ = (uint8_t)h->name_len;
    memcpy(q, h->name, h->name_len);
    q += h->name_len;
    *q++ = (uint8_t)h->type;
    switch (h->type) {
    case LMX_ES_TRUE:
    case LMX_ES_FALSE:
        break;
    case LMX_ES_BYTE:
        *q++ = (uint8_t)u;
        break;
    case LMX_ES_SHORT:
        *q++ = (uint8_t)(u >> 8);
        *q++ = (uint8_t)u;
        break;
    case LMX_ES_INT:
        put32(q, (uint32_t)u);
        q += 4;
        break;
    case LMX_ES_LONG:
    case LMX_ES_TIMESTAMP:
        put32(q, (uint32_t)(u >> 32));
        put32(q + 4, (uint32_t)u);
        q += 8;
        break;
    case LMX_ES_BYTES:
    case LMX_ES_STRING:
        *q++ = (uint8_t)(h->v_len >> 8);
        *q++ = (uint8_t)h->v_len;
        if (h->v_len > 0)
            memcpy(q, h->v, h->v_len);
        q += h->v_len;
        break;
    case LMX_ES_UUID:
        memcpy(q, h->v, 16);
        q += 16;
        break;
    }
    return q;
}

int lmx_es_encode(
    struct lmx_buf *out, const struct lmx_es_header *h, size_t nh, const void *payload, size_t len)
{
    size_t hlen = 0, total;
    uint8_t *start, *q;
    int err;

    if (nh > LMX_ES_MAX_HEADERS || (len > 0 && payload == NULL))
        return LMX_EBADREQ;
    for (size_t i = 0; i < nh; i++) {
        size_t k = header_size(&h[i]);

        if (k == 0)
            return LMX_EBADREQ;
        hlen += k;
    }
    if (hlen > LMX_ES_MAX_HEADER_BYTES || len > UINT32_MAX - LMX_ES_MIN_MESSAGE - hlen)
        return LMX_EBADREQ;
    total = LMX_ES_MIN_MESSAGE + hlen + len;
    err = lmx_buf_reserve(out, total);
    if (err < 0)
        return err;
    start = (uint8_t *)out->data + out->len;
    put32(start, (uint32_t)total);
    put32(start + 4, (uint32_t)hlen);
    put32(start + 8, crc(start, 8));
    q = start + LMX_ES_PRELUDE;
    for (size_t i = 0; i < nh; i++)
        q = put_header(q, &h[i]);
    if (len > 0)
        memcpy(q, payload, len);
    q += len;
    put32(q, crc(start, total - 4));
    out->len += total;
    out->data[out->len] = '\0';
    return 0;
}
