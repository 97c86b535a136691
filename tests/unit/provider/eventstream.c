/*
 * tests/unit/provider/eventstream.c - the Amazon event stream decoder and
 * encoder: the codec test vectors of the fixtures (success files decode to
 * what decoded.fromdocs.json says, failure files are refused), every split
 * of a run of messages, caps, and encoder round trips (the encoder rebuilds
 * all_headers.success.bin byte for byte).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "provider/eventstream.h"
#include "test.h"

static const char *fixtures(void)
{
    const char *dir = getenv("LMX_FIXTURES");

    return dir != NULL ? dir : "../shared/fixtures";
}

static char *slurp(const char *rel, size_t *len)
{
    char path[4096];
    FILE *f;
    char *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", fixtures(), rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p != NULL) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

static bool have_fixtures(void)
{
    size_t n;
    char *p = slurp("bedrock/eventstream/decoded.fromdocs.json", &n);

    free(p);
    return p != NULL;
}

/* Every message as "name=type:value;..." then "|payload" and "\n", for comparing runs. */
struct collect {
    struct lmx_buf out;
    int n;
    int stop_at; /* return LMX_ECLIENT at this message (1-based); 0 = never */
};

static int collect_cb(const struct lmx_es_msg *m, void *ud)
{
    struct collect *c = ud;

    c->n++;
    for (size_t i = 0; i < m->nheaders; i++) {
        const struct lmx_es_header *h = &m->headers[i];

        lmx_buf_printf(&c->out, "%.*s=%d:", (int)h->name_len, h->name, (int)h->type);
        if (h->v != NULL)
            lmx_buf_append(&c->out, h->v, h->v_len);
        else
            lmx_buf_printf(&c->out, "%lld", (long long)h->i);
        lmx_buf_puts(&c->out, ";");
    }
    lmx_buf_puts(&c->out, "|");
    lmx_buf_append(&c->out, m->payload, m->payload_len);
    lmx_buf_puts(&c->out, "\n");
    return c->stop_at > 0 && c->n == c->stop_at ? LMX_ECLIENT : 0;
}

static const char *const success_files[] = {
    "all_headers.success.bin",
    "empty_message.success.bin",
    "int32_header.success.bin",
    "payload_no_headers.success.bin",
    "payload_one_str_header.success.bin",
};
static const char *const failure_files[] = {
    "corrupted_header_len.failure.bin",
    "corrupted_headers.failure.bin",
    "corrupted_length.failure.bin",
    "corrupted_payload.failure.bin",
};

/* Checks a decoded message against its entry in decoded.fromdocs.json. */
static void check_against_doc(const char *name, const struct lmx_es_msg *m, json_t *doc)
{
    json_t *want = json_object_get(doc, name);
    json_t *hs = json_object_get(want, "headers");
    const char *payload = json_string_value(json_object_get(want, "payload_utf8"));

    ASSERT_(json_is_object(want), "%s: not in decoded.fromdocs.json", name);
    ASSERT_(m->nheaders == json_array_size(hs), "%s: %zu headers, want %zu", name, m->nheaders,
            json_array_size(hs));
    ASSERT_(m->payload_len == strlen(payload) && memcmp(m->payload, payload, m->payload_len) == 0,
            "%s: payload differs", name);
    for (size_t i = 0; i < m->nheaders; i++) {
        const struct lmx_es_header *h = &m->headers[i];
        json_t *w = json_array_get(hs, i);
        const char *wn = json_string_value(json_object_get(w, "name"));
        json_t *wv = json_object_get(w, "value");

        ASSERT_(strlen(wn) == h->name_len && memcmp(wn, h->name, h->name_len) == 0,
                "%s: header %zu name", name, i);
        ASSERT_((json_int_t)h->type == json_integer_value(json_object_get(w, "type")),
                "%s: header %s type %d", name, wn, (int)h->type);
        switch (h->type) {
        case LMX_ES_TRUE:
        case LMX_ES_FALSE:
            ASSERT_(json_is_boolean(wv) && (h->i != 0) == json_is_true(wv), "%s: %s", name, wn);
            break;
        case LMX_ES_BYTE:
        case LMX_ES_SHORT:
        case LMX_ES_INT:
        case LMX_ES_LONG:
        case LMX_ES_TIMESTAMP:
            ASSERT_(h->i == json_integer_value(wv), "%s: %s = %lld", name, wn, (long long)h->i);
            break;
        case LMX_ES_STRING:
            ASSERT_(h->v_len == json_string_length(wv) &&
                        memcmp(h->v, json_string_value(wv), h->v_len) == 0,
                    "%s: %s", name, wn);
            break;
        case LMX_ES_BYTES: {
            unsigned char b64[256];
            int k = EVP_EncodeBlock(b64, h->v, (int)h->v_len);

            ASSERT_(k > 0 && strcmp((char *)b64, json_string_value(wv)) == 0, "%s: %s", name, wn);
            break;
        }
        case LMX_ES_UUID: {
            char hex[33];

            for (int j = 0; j < 16; j++)
                snprintf(hex + 2 * j, 3, "%02x", h->v[j]);
            ASSERT_(strcmp(hex, json_string_value(wv)) == 0, "%s: %s", name, wn);
            break;
        }
        }
    }
}

static void test_vectors(void)
{
    json_t *doc;
    size_t n;
    char *text;

    if (!have_fixtures()) {
        fprintf(stderr, "skip: no fixtures at %s\n", fixtures());
        return;
    }
    text = slurp("bedrock/eventstream/decoded.fromdocs.json", &n);
    doc = json_loadb(text, n, 0, NULL);
    free(text);
    ASSERT(doc != NULL);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(success_files); i++) {
        char rel[256];
        struct lmx_es_msg m;
        struct lmx_es_decoder d;
        struct collect c = {.n = 0};
        char *p;

        snprintf(rel, sizeof(rel), "bedrock/eventstream/testvectors/%s", success_files[i]);
        p = slurp(rel, &n);
        ASSERT_(p != NULL, "cannot read %s", rel);
        ASSERT_(lmx_es_parse(p, n, &m) == 0, "%s does not decode", success_files[i]);
        check_against_doc(success_files[i], &m, doc);
        /* byte by byte through the decoder */
        lmx_buf_init(&c.out, 1 << 16);
        lmx_es_decoder_init(&d, 0);
        for (size_t k = 0; k < n; k++)
            ASSERT_EQ(lmx_es_decoder_feed(&d, p + k, 1, collect_cb, &c), 0);
        ASSERT_EQ(c.n, 1);
        ASSERT(!lmx_es_decoder_partial(&d));
        lmx_es_decoder_release(&d);
        lmx_buf_release(&c.out);
        free(p);
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(failure_files); i++) {
        char rel[256];
        struct lmx_es_msg m;
        struct lmx_es_decoder d;
        struct collect c = {.n = 0};
        char *p;
        int err;

        snprintf(rel, sizeof(rel), "bedrock/eventstream/testvectors/%s", failure_files[i]);
        p = slurp(rel, &n);
        ASSERT_(p != NULL, "cannot read %s", rel);
        ASSERT_(lmx_es_parse(p, n, &m) < 0, "%s decodes", failure_files[i]);
        lmx_buf_init(&c.out, 1 << 16);
        lmx_es_decoder_init(&d, 0);
        err = lmx_es_decoder_feed(&d, p, n, collect_cb, &c);
        ASSERT_(err == LMX_EUPSTREAM, "%s: feed returned %d", failure_files[i], err);
        ASSERT_EQ(c.n, 0);
        /* dead afterwards */
        ASSERT_EQ(lmx_es_decoder_feed(&d, "", 0, collect_cb, &c), LMX_EUPSTREAM);
        lmx_es_decoder_release(&d);
        lmx_buf_release(&c.out);
        free(p);
    }
    /* the InvokeModelWithResponseStream frame captured from Bedrock */
    {
        struct lmx_es_msg m;
        char *p = slurp("bedrock/eventstream/invoke-with-response-stream-chunk.frame.bin", &n);

        ASSERT(p != NULL);
        ASSERT_EQ(lmx_es_parse(p, n, &m), 0);
        check_against_doc("invoke-with-response-stream-chunk.frame.bin", &m, doc);
        ASSERT(lmx_es_str_is(&m, ":event-type", "chunk"));
        ASSERT(lmx_es_str_is(&m, ":message-type", "event"));
        ASSERT(!lmx_es_str_is(&m, ":message-type", "exception"));
        ASSERT(lmx_es_find(&m, ":nope") == NULL);
        free(p);
    }
    json_decref(doc);
}

/* All success vectors back to back: every split in two, and three-way splits, give the same run. */
static void test_splits(void)
{
    struct lmx_buf all;
    struct collect ref = {.n = 0};
    struct lmx_es_decoder d;

    if (!have_fixtures()) {
        fprintf(stderr, "skip: no fixtures at %s\n", fixtures());
        return;
    }
    lmx_buf_init(&all, 1 << 20);
    for (int rep = 0; rep < 2; rep++) {
        for (size_t i = 0; i < LMX_ARRAY_SIZE(success_files); i++) {
            char rel[256];
            size_t n;
            char *p;

            snprintf(rel, sizeof(rel), "bedrock/eventstream/testvectors/%s", success_files[i]);
            p = slurp(rel, &n);
            ASSERT(p != NULL);
            lmx_buf_append(&all, p, n);
            free(p);
        }
    }
    lmx_buf_init(&ref.out, 1 << 20);
    lmx_es_decoder_init(&d, 0);
    ASSERT_EQ(lmx_es_decoder_feed(&d, all.data, all.len, collect_cb, &ref), 0);
    lmx_es_decoder_release(&d);
    ASSERT_EQ(ref.n, 10);
    for (size_t cut = 0; cut <= all.len; cut++) {
        struct collect c = {.n = 0};

        lmx_buf_init(&c.out, 1 << 20);
        lmx_es_decoder_init(&d, 0);
        ASSERT_EQ(lmx_es_decoder_feed(&d, all.data, cut, collect_cb, &c), 0);
        ASSERT_EQ(lmx_es_decoder_feed(&d, all.data + cut, all.len - cut, collect_cb, &c), 0);
        ASSERT_(c.out.len == ref.out.len && memcmp(c.out.data, ref.out.data, c.out.len) == 0,
                "split at %zu differs", cut);
        ASSERT(!lmx_es_decoder_partial(&d));
        lmx_es_decoder_release(&d);
        lmx_buf_release(&c.out);
    }
    for (size_t a = 0; a < all.len; a += 7) {
        for (size_t b = a; b <= all.len; b += 13) {
            struct collect c = {.n = 0};

            lmx_buf_init(&c.out, 1 << 20);
            lmx_es_decoder_init(&d, 0);
            ASSERT_EQ(lmx_es_decoder_feed(&d, all.data, a, collect_cb, &c), 0);
            ASSERT_EQ(lmx_es_decoder_feed(&d, all.data + a, b - a, collect_cb, &c), 0);
            ASSERT_EQ(lmx_es_decoder_feed(&d, all.data + b, all.len - b, collect_cb, &c), 0);
            ASSERT_(c.out.len == ref.out.len && memcmp(c.out.data, ref.out.data, c.out.len) == 0,
                    "split at %zu,%zu differs", a, b);
            lmx_es_decoder_release(&d);
            lmx_buf_release(&c.out);
        }
    }
    /* a callback's error stops the run and is passed up */
    {
        struct collect c = {.n = 0, .stop_at = 3};

        lmx_buf_init(&c.out, 1 << 20);
        lmx_es_decoder_init(&d, 0);
        ASSERT_EQ(lmx_es_decoder_feed(&d, all.data, all.len, collect_cb, &c), LMX_ECLIENT);
        ASSERT_EQ(c.n, 3);
        lmx_es_decoder_release(&d);
        lmx_buf_release(&c.out);
    }
    /* a run cut short leaves a partial message */
    {
        struct collect c = {.n = 0};

        lmx_buf_init(&c.out, 1 << 20);
        lmx_es_decoder_init(&d, 0);
        ASSERT_EQ(lmx_es_decoder_feed(&d, all.data, all.len - 5, collect_cb, &c), 0);
        ASSERT(lmx_es_decoder_partial(&d));
        ASSERT_EQ(c.n, 9);
        lmx_es_decoder_release(&d);
        lmx_buf_release(&c.out);
    }
    lmx_buf_release(&ref.out);
    lmx_buf_release(&all);
}

/* The encoder rebuilds all_headers.success.bin from its decoded description, byte for byte. */
static void test_encode_all_headers(void)
{
    static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct lmx_es_header h[10];
    struct lmx_buf out;
    size_t n;
    char *want;

    memset(h, 0, sizeof(h));
    h[0] = (struct lmx_es_header){"event-type", 10, LMX_ES_INT, 40972, NULL, 0};
    h[1] = lmx_es_string("content-type", "application/json");
    h[2] = (struct lmx_es_header){"bool false", 10, LMX_ES_FALSE, 0, NULL, 0};
    h[3] = (struct lmx_es_header){"bool true", 9, LMX_ES_TRUE, 1, NULL, 0};
    h[4] = (struct lmx_es_header){"byte", 4, LMX_ES_BYTE, -49, NULL, 0};
    h[5] = (struct lmx_es_header){
        "byte buf", 8, LMX_ES_BYTES, 0, (const uint8_t *)"I'm a little teapot!", 20};
    h[6] = (struct lmx_es_header){"timestamp", 9, LMX_ES_TIMESTAMP, 8675309, NULL, 0};
    h[7] = (struct lmx_es_header){"int16", 5, LMX_ES_SHORT, 42, NULL, 0};
    h[8] = (struct lmx_es_header){"int64", 5, LMX_ES_LONG, 42424242, NULL, 0};
    h[9] = (struct lmx_es_header){"uuid", 4, LMX_ES_UUID, 0, uuid, 16};
    lmx_buf_init(&out, 4096);
    ASSERT_EQ(lmx_es_encode(&out, h, 10, "{'foo':'bar'}", 13), 0);
    if (!have_fixtures()) {
        fprintf(stderr, "skip: no fixtures at %s\n", fixtures());
        lmx_buf_release(&out);
        return;
    }
    want = slurp("bedrock/eventstream/testvectors/all_headers.success.bin", &n);
    ASSERT(want != NULL);
    ASSERT_EQ(out.len, n);
    ASSERT(memcmp(out.data, want, n) == 0);
    free(want);
    lmx_buf_release(&out);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * A frame with the given header block and payload and correct CRCs;
 * `claim_hlen` (when not 0) is written as the headers length instead of the
 * real one. Returns its length.
 */
static size_t frame(uint8_t *f,
                    const uint8_t *hb,
                    size_t hlen,
                    const char *payload,
                    size_t plen,
                    uint32_t claim_hlen)
{
    size_t total = 16 + hlen + plen;

    put32(f, (uint32_t)total);
    put32(f + 4, claim_hlen != 0 ? claim_hlen : (uint32_t)hlen);
    put32(f + 8, (uint32_t)crc32(crc32(0, Z_NULL, 0), f, 8));
    if (hlen > 0)
        memcpy(f + 12, hb, hlen);
    if (plen > 0)
        memcpy(f + 12 + hlen, payload, plen);
    put32(f + total - 4, (uint32_t)crc32(crc32(0, Z_NULL, 0), f, (uInt)(total - 4)));
    return total;
}

static void test_round_trip_and_caps(void)
{
    struct lmx_es_header h[LMX_ES_MAX_HEADERS + 1];
    struct lmx_es_msg m;
    struct lmx_es_decoder d;
    struct collect c = {.n = 0};
    struct lmx_buf out;
    char big[300];

    lmx_buf_init(&out, 1 << 22);
    lmx_buf_init(&c.out, 1 << 22);

    /* negative numbers of every width survive */
    h[0] = (struct lmx_es_header){"b", 1, LMX_ES_BYTE, -1, NULL, 0};
    h[1] = (struct lmx_es_header){"s", 1, LMX_ES_SHORT, -2, NULL, 0};
    h[2] = (struct lmx_es_header){"i", 1, LMX_ES_INT, -3, NULL, 0};
    h[3] = (struct lmx_es_header){"l", 1, LMX_ES_LONG, -4, NULL, 0};
    h[4] = (struct lmx_es_header){"e", 1, LMX_ES_BYTES, 0, NULL, 0};
    ASSERT_EQ(lmx_es_encode(&out, h, 5, NULL, 0), 0);
    ASSERT_EQ(lmx_es_parse(out.data, out.len, &m), 0);
    ASSERT_EQ(m.nheaders, 5);
    ASSERT_EQ(m.headers[0].i, -1);
    ASSERT_EQ(m.headers[1].i, -2);
    ASSERT_EQ(m.headers[2].i, -3);
    ASSERT_EQ(m.headers[3].i, -4);
    ASSERT_EQ(m.headers[4].v_len, 0);
    ASSERT_EQ(m.payload_len, 0);

    /* the encoder refuses what the format cannot carry */
    memset(big, 'x', sizeof(big));
    h[0] = (struct lmx_es_header){big, 256, LMX_ES_TRUE, 1, NULL, 0};
    ASSERT_EQ(lmx_es_encode(&out, h, 1, NULL, 0), LMX_EBADREQ);
    h[0] = (struct lmx_es_header){"", 0, LMX_ES_TRUE, 1, NULL, 0};
    ASSERT_EQ(lmx_es_encode(&out, h, 1, NULL, 0), LMX_EBADREQ);
    h[0] = (struct lmx_es_header){"u", 1, LMX_ES_UUID, 0, (const uint8_t *)"short", 5};
    ASSERT_EQ(lmx_es_encode(&out, h, 1, NULL, 0), LMX_EBADREQ);
    h[0] = (struct lmx_es_header){"t", 1, (enum lmx_es_type)10, 0, NULL, 0};
    ASSERT_EQ(lmx_es_encode(&out, h, 1, NULL, 0), LMX_EBADREQ);

    /* more headers than the decoder keeps: refused as too big */
    for (int i = 0; i <= LMX_ES_MAX_HEADERS; i++)
        h[i] = (struct lmx_es_header){"h", 1, LMX_ES_TRUE, 1, NULL, 0};
    lmx_buf_reset(&out);
    ASSERT_EQ(lmx_es_encode(&out, h, LMX_ES_MAX_HEADERS, "p", 1), 0);
    ASSERT_EQ(lmx_es_parse(out.data, out.len, &m), 0);
    ASSERT_EQ(m.nheaders, LMX_ES_MAX_HEADERS);
    /* hand-made frames with valid CRCs around bad contents */
    {
        uint8_t hb[3 * (LMX_ES_MAX_HEADERS + 1)], f[512];
        size_t n;

        for (int i = 0; i <= LMX_ES_MAX_HEADERS; i++) {
            hb[3 * i] = 1;
            hb[3 * i + 1] = 'h';
            hb[3 * i + 2] = LMX_ES_TRUE;
        }
        n = frame(f, hb, sizeof(hb), NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_ETOOBIG); /* 33 headers */
        n = frame(f, hb, sizeof(hb) - 3, NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), 0); /* 32 are fine */
        n = frame(f, (const uint8_t *)"\x01k\x07\x00\x09value", 10, NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* string longer than its block */
        n = frame(f, (const uint8_t *)"\x01k\x0a", 3, NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* unknown type 10 */
        n = frame(f, (const uint8_t *)"\x00\x00", 2, NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* empty name */
        n = frame(f, (const uint8_t *)"\x01k\x04\x00\x00", 5, NULL, 0, 0);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* int32 cut short */
        n = frame(f, NULL, 0, "{}", 2, 100);
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* headers longer than the message */
        n = frame(f, (const uint8_t *)"\x01k\x01", 3, "{}", 2, 0);
        f[n - 1] ^= 1;
        ASSERT_EQ(lmx_es_parse(f, n, &m), LMX_EUPSTREAM); /* message CRC */
    }

    /* a message over the decoder's cap */
    lmx_buf_reset(&out);
    {
        static char payload[5000];

        memset(payload, 'p', sizeof(payload));
        ASSERT_EQ(lmx_es_encode(&out, NULL, 0, payload, sizeof(payload)), 0);
    }
    lmx_es_decoder_init(&d, 1024);
    ASSERT_EQ(lmx_es_decoder_feed(&d, out.data, out.len, collect_cb, &c), LMX_ETOOBIG);
    lmx_es_decoder_release(&d);
    lmx_es_decoder_init(&d, 1024);
    ASSERT_EQ(lmx_es_decoder_feed(&d, out.data, 5, collect_cb, &c), 0);
    ASSERT_EQ(lmx_es_decoder_feed(&d, out.data + 5, 20, collect_cb, &c), LMX_ETOOBIG);
    lmx_es_decoder_release(&d);

    lmx_buf_release(&out);
    lmx_buf_release(&c.out);
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_splits);
    RUN(test_encode_all_headers);
    RUN(test_round_trip_and_caps);
    TEST_MAIN_END();
}
