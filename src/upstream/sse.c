/*
 * upstream/sse.c - incremental Server-Sent Events reader and the SSE writer.
 *
 * The reader scans with memchr for line ends and handles complete lines
 * straight from the caller's bytes; only a line split across feeds is copied
 * into r->line. Data lines are copied once into r->data, which keeps its
 * memory between events.
 */
#include "core/lmx.h"

#include <limits.h>
#include <string.h>

#include "core/err.h"
#include "upstream/sse.h"

static const unsigned char sse_bom[3] = {0xEF, 0xBB, 0xBF};

void lmx_sse_reader_init(struct lmx_sse_reader *r, size_t max_event_bytes)
{
    lmx_buf_init(&r->line, max_event_bytes);
    lmx_buf_init(&r->data, max_event_bytes);
    lmx_buf_init(&r->event, max_event_bytes);
    lmx_buf_init(&r->id, max_event_bytes);
    r->retry_ms = -1;
    r->max = max_event_bytes;
    r->has_data = false;
    r->skip_lf = false;
    r->bom = 0;
}

void lmx_sse_reader_release(struct lmx_sse_reader *r)
{
    lmx_buf_release(&r->line);
    lmx_buf_release(&r->data);
    lmx_buf_release(&r->event);
    lmx_buf_release(&r->id);
    r->has_data = false;
    r->skip_lf = false;
    r->bom = 0;
    r->retry_ms = -1;
}

void lmx_sse_reader_reset(struct lmx_sse_reader *r)
{
    lmx_buf_reset(&r->line);
    lmx_buf_reset(&r->data);
    lmx_buf_reset(&r->event);
    lmx_buf_reset(&r->id);
    r->has_data = false;
    r->skip_lf = false;
    r->bom = 0;
    r->retry_ms = -1;
}

/* Hands the pending event to cb (when it has data) and starts a new one. */
static int sse_dispatch(struct lmx_sse_reader *r, lmx_sse_event_cb cb, void *ud)
{
    int rc = 0;

    if (r->has_data) {
        rc = cb(r->event.len ? r->event.data : "", r->event.len, r->data.len ? r->data.data : "",
                r->data.len, ud);
    }
    r->data.len = 0;
    r->event.len = 0;
    r->has_data = false;
    return rc < 0 ? rc : 0;
}

/* Appends one data line: a "\n" first unless it is the event's first data line. */
static int sse_add_data(struct lmx_sse_reader *r, const char *v, size_t n)
{
    size_t need = n + (r->has_data ? 1 : 0);
    int err;

    if (need > r->max || r->event.len + r->data.len > r->max - need)
        return LMX_ETOOBIG;
    err = lmx_buf_reserve(&r->data, need);
    if (err < 0)
        return err;
    if (r->has_data)
        r->data.data[r->data.len++] = '\n';
    if (n > 0)
        memcpy(r->data.data + r->data.len, v, n);
    r->data.len += n;
    r->data.data[r->data.len] = '\0';
    r->has_data = true;
    return 0;
}

static int sse_set(struct lmx_buf *b, const char *v, size_t n)
{
    b->len = 0;
    return lmx_buf_append(b, v, n);
}

/* One complete line, without its line ending. */
static int
sse_line(struct lmx_sse_reader *r, const char *s, size_t len, lmx_sse_event_cb cb, void *ud)
{
    const char *colon, *v;
    size_t name_len, vlen;

    if (len == 0)
        return sse_dispatch(r, cb, ud);
    if (s[0] == ':')
        return 0; /* comment */
    colon = memchr(s, ':', len);
    if (colon != NULL) {
        name_len = (size_t)(colon - s);
        v = colon + 1;
        vlen = len - name_len - 1;
        if (vlen > 0 && *v == ' ') {
            v++;
            vlen--;
        }
    } else {
        name_len = len;
        v = s + len;
        vlen = 0;
    }
    switch (name_len) {
    case 4:
        if (memcmp(s, "data", 4) == 0)
            return sse_add_data(r, v, vlen);
        break;
    case 5:
        if (memcmp(s, "event", 5) == 0) {
            if (vlen > r->max || r->data.len > r->max - vlen)
                return LMX_ETOOBIG;
            return sse_set(&r->event, v, vlen);
        }
        if (memcmp(s, "retry", 5) == 0) {
            long ms = 0;
            size_t i;

            if (vlen == 0)
                break;
            for (i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9' || ms > (LONG_MAX - 9) / 10)
                    return 0;
                ms = ms * 10 + (v[i] - '0');
            }
            r->retry_ms = ms;
        }
        break;
    case 2:
        if (memcmp(s, "id", 2) == 0 && memchr(v, '\0', vlen) == NULL)
            return sse_set(&r->id, v, vlen);
        break;
    default:
        break;
    }
    return 0;
}

/* Splits p..p+n into lines; the BOM has been dealt with. */
static int
sse_feed_lines(struct lmx_sse_reader *r, const char *p, size_t n, lmx_sse_event_cb cb, void *ud)
{
    const char *end = p + n;
    const char *lf = NULL; /* next LF at or after p, or end when none */
    int err;

    while (p < end) {
        const char *cr, *eol;

        if (r->skip_lf) {
            r->skip_lf = false;
            if (*p == '\n') {
                p++;
                continue;
            }
        }
        if (lf == NULL || lf < p) {
            lf = memchr(p, '\n', (size_t)(end - p));
            if (lf == NULL)
                lf = end;
        }
        cr = memchr(p, '\r', (size_t)(lf - p));
        eol = cr != NULL ? cr : lf;
        if (eol == end) { /* no line ending yet: keep the piece for the next feed */
            if (LMX_UNLIKELY(r->line.len + (size_t)(end - p) > r->max))
                return LMX_ETOOBIG;
            return lmx_buf_append(&r->line, p, (size_t)(end - p));
        }
        if (r->line.len > 0) {
            err = lmx_buf_append(&r->line, p, (size_t)(eol - p));
            if (err < 0)
                return err;
            err = sse_line(r, r->line.data, r->line.len, cb, ud);
            r->line.len = 0;
        } else {
            err = sse_line(r, p, (size_t)(eol - p), cb, ud);
        }
        if (err < 0)
            return err;
        if (cr == NULL) {
            p = lf + 1;
        } else if (cr + 1 == end) {
            r->skip_lf = true;
            p = end;
        } else {
            p = cr[1] == '\n' ? cr + 2 : cr + 1;
        }
    }
    return 0;
}

int lmx_sse_reader_feed(
    struct lmx_sse_reader *r, const char *p, size_t n, lmx_sse_event_cb cb, void *ud)
{
    if (LMX_UNLIKELY(r->bom < 3)) {
        while (n > 0 && r->bom < 3 && (unsigned char)*p == sse_bom[r->bom]) {
            r->bom++;
            p++;
            n--;
        }
        if (r->bom < 3) {
            unsigned char matched = r->bom;
            int err;

            if (n == 0)
                return 0; /* maybe a BOM: wait for more */
            r->bom = 3;   /* not a BOM: the bytes matched so far are text */
            if (matched > 0) {
                err = sse_feed_lines(r, (const char *)sse_bom, matched, cb, ud);
                if (err < 0)
                    return err;
            }
        }
    }
    return sse_feed_lines(r, p, n, cb, ud);
}

int lmx_sse_reader_finish(struct lmx_sse_reader *r, lmx_sse_event_cb cb, void *ud)
{
    int err = 0;

    if (r->bom > 0 && r->bom < 3) {
        unsigned char matched = r->bom;

        r->bom = 3;
        err = sse_feed_lines(r, (const char *)sse_bom, matched, cb, ud);
        if (err < 0)
            goto out;
    }
    if (r->line.len > 0) {
        err = sse_line(r, r->line.data, r->line.len, cb, ud);
        r->line.len = 0;
        if (err < 0)
            goto out;
    }
    err = sse_dispatch(r, cb, ud);
out:
    lmx_sse_reader_reset(r);
    return err;
}

/* Bytes "data: " lines take for data, and how many lines. */
static size_t sse_data_size(const char *data, size_t len, size_t *nlines)
{
    size_t i, lines = 1, text = 0;

    for (i = 0; i < len; i++) {
        if (data[i] == '\r') {
            if (i + 1 < len && data[i + 1] == '\n')
                i++;
            lines++;
        } else if (data[i] == '\n') {
            lines++;
        } else {
            text++;
        }
    }
    *nlines = lines;
    return text + lines * (sizeof("data: \n") - 1);
}

int lmx_sse_write(struct lmx_buf *out, const char *event, const char *data, size_t len)
{
    size_t elen = 0, need, nlines;
    bool multiline;
    char *w;
    int err;

    if (event != NULL) {
        elen = strlen(event);
        if (strpbrk(event, "\r\n") != NULL)
            return LMX_EINTERNAL;
    }
    multiline = len > 0 && (memchr(data, '\n', len) != NULL || memchr(data, '\r', len) != NULL);
    if (!multiline) {
        nlines = 1;
        need = len + sizeof("data: \n") - 1;
    } else {
        need = sse_data_size(data, len, &nlines);
    }
    need += 1; /* the blank line */
    if (event != NULL)
        need += elen + sizeof("event: \n") - 1;
    err = lmx_buf_reserve(out, need);
    if (err < 0)
        return err;
    w = out->data + out->len;
    if (event != NULL) {
        memcpy(w, "event: ", 7);
        memcpy(w + 7, event, elen);
        w[7 + elen] = '\n';
        w += elen + 8;
    }
    if (!multiline) {
        memcpy(w, "data: ", 6);
        if (len > 0)
            memcpy(w + 6, data, len);
        w[6 + len] = '\n';
        w += len + 7;
    } else {
        size_t i = 0;

        while (i <= len) {
            size_t j = i;

            while (j < len && data[j] != '\r' && data[j] != '\n')
                j++;
            memcpy(w, "data: ", 6);
            memcpy(w + 6, data + i, j - i);
            w[6 + j - i] = '\n';
            w += j - i + 7;
            if (j == len)
                break;
            i = j + (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n' ? 2 : 1);
        }
    }
    *w++ = '\n';
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 0;
}
