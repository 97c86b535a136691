/*
 * tools/mock/bedrock.c - llmux-mock: AWS Bedrock's Converse API.
 *
 *   POST /model/{url-encoded model id}/converse         a Converse answer (JSON)
 *   POST /model/{url-encoded model id}/converse-stream  a binary event stream
 *        (application/vnd.amazon.eventstream: messageStart, contentBlockDelta...,
 *        contentBlockStop, messageStop, metadata; valid CRCs, "p" padding)
 *   POST /model/{url-encoded model id}/invoke           embeddings: Titan
 *        {inputText, dimensions} -> {embedding, inputTextTokenCount,
 *        embeddingsByType} (1024 values, 1536 for v1 models, else dimensions);
 *        Cohere {texts} -> {embeddings: [[1024 values]...], id, response_type,
 *        texts}, no usage. Values are a deterministic function of the text.
 *
 * Auth: an `Authorization: AWS4-HMAC-SHA256 Credential=.../bedrock/aws4_request,
 * SignedHeaders=...host...x-amz-date..., Signature=<64 hex>` header with an
 * x-amz-date header (the signature itself is not verified), or `Bearer <key>`
 * (equal to --api-key when one is given). Otherwise 403 as AWS answers.
 *
 * The answer is deterministic: text from "mock mock ...", x-mock-chunks and
 * x-mock-chunk-bytes pieces (10 x 8 by default); with toolConfig.tools a call
 * to the tool toolChoice names, else to the first tool, with input {"q":"mock"};
 * inputTokens = words of the text blocks sent.
 *
 * Test images for the image URLs llmux fetches before a Converse call (GET, no auth):
 *   GET /images/<name>.png, .jpg / .jpeg, .gif  a small valid image of that type
 *   GET /images/<name>.bmp                      a valid BMP (a format Bedrock refuses)
 *   GET /images/big.png                         4 MiB: a PNG signature, then zeros
 *   GET /images/huge.png                        21 MiB, the same way
 *   GET /images/<anything else>                 404
 *
 * Faults by model id: mock-status-<code> (that status with Bedrock's own
 * error body {"message": ...} and x-amzn-ErrorType), mock-exception-<type>
 * (a stream sends one delta then an exception message of that type; a
 * non-stream call answers the matching status), mock-fault-malformed (a
 * frame with a broken CRC / half a JSON body). /mock/fail rules with a
 * status apply too.
 */
#include "core/lmx.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"
#include "provider/eventstream.h"

bool mock_bedrock_route(struct mock_worker *w, struct lmx_http_req *req);

#define ES_CTYPE "application/vnd.amazon.eventstream"

struct berr {
    int status;
    const char *type;
};

static const struct berr berrs[] = {
    {400, "ValidationException"},       {403, "AccessDeniedException"},
    {404, "ResourceNotFoundException"}, {408, "ModelTimeoutException"},
    {424, "ModelErrorException"},       {429, "ThrottlingException"},
    {500, "InternalServerException"},   {503, "ServiceUnavailableException"},
};

/* Stream exception names (lowerCamel on the wire) and the status of their HTTP twin. */
static const struct berr exceptions[] = {
    {429, "throttlingException"},       {400, "validationException"},
    {424, "modelStreamErrorException"}, {503, "serviceUnavailableException"},
    {500, "internalServerException"},
};

static const char *error_type(int status)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(berrs); i++)
        if (berrs[i].status == status)
            return berrs[i].type;
    return status >= 500 ? "InternalServerException" : "ValidationException";
}

/* An AWS-style JSON error answer. */
static void send_error(struct mock_worker *w,
                       struct lmx_http_req *req,
                       uint64_t seq,
                       int status,
                       const char *type,
                       const char *msg)
{
    struct lmx_http_hdr h[2];

    lmx_buf_reset(&w->scratch);
    if (lmx_buf_puts(&w->scratch, "{\"message\":") < 0 ||
        lmx_buf_json_str(&w->scratch, msg, strlen(msg)) < 0 || lmx_buf_puts(&w->scratch, "}") < 0) {
        lmx_http_res_end(req, false);
        return;
    }
    h[0] = LMX_HDR("x-amzn-ErrorType", type);
    h[1] = LMX_HDR("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000");
    mock_log_status(seq, status);
    lmx_http_res_send(req, status, h, 2, "application/json", w->scratch.data, w->scratch.len);
}

/* The model id between "/model/" and the last '/', URL-decoded into out. False when not our path.
 */
static bool parse_path(const struct lmx_http_req *req, char *out, size_t cap, bool *stream,
                       bool *invoke)
{
    const char *p = req->path, *end = req->path + req->path_len, *slash;

    if (!lmx_has_prefix(p, req->path_len, "/model/"))
        return false;
    p += 7;
    slash = memrchr(p, '/', (size_t)(end - p));
    if (slash == NULL || slash == p)
        return false;
    *invoke = false;
    if ((size_t)(end - slash) == 7 && memcmp(slash, "/invoke", 7) == 0) {
        *stream = false;
        *invoke = true;
    } else if ((size_t)(end - slash) == 9 && memcmp(slash, "/converse", 9) == 0) {
        *stream = false;
    } else if ((size_t)(end - slash) == 16 && memcmp(slash, "/converse-stream", 16) == 0) {
        *stream = true;
    } else {
        return false;
    }
    mock_url_decode(out, cap, p, slash);
    return true;
}

static bool authorized(const struct mock_worker *w, const struct lmx_http_req *req)
{
    size_t n = 0, dn = 0;
    const char *v = lmx_http_req_header(req, "authorization", &n);
    bool has_date = lmx_http_req_header(req, "x-amz-date", &dn) != NULL && dn == 16;

    if (v == NULL)
        return false;
    if (n > 7 && lmx_streq_ci(v, 7, "bearer ")) {
        const char *key = w->opts->api_key;

        return key == NULL || lmx_ct_equal(v + 7, n - 7, key, strlen(key));
    }
    return mock_sigv4_form(v, n, has_date, "bedrock");
}

/* Words of every text block of system and messages (at least 1). */
static long prompt_words(json_t *body)
{
    long words = 0;
    size_t i, j;
    json_t *m, *b;

    json_array_foreach(json_object_get(body, "system"), i, b) {
        const char *t = json_string_value(json_object_get(b, "text"));

        if (t != NULL)
            words += mock_count_words(t);
    }
    json_array_foreach(json_object_get(body, "messages"), i, m) {
        json_array_foreach(json_object_get(m, "content"), j, b) {
            const char *t = json_string_value(json_object_get(b, "text"));

            if (t != NULL)
                words += mock_count_words(t);
        }
    }
    return words > 0 ? words : 1;
}

/* The tool to call: the one toolChoice names, else the first; NULL without tools. */
static const char *tool_name(json_t *body)
{
    json_t *cfg = json_object_get(body, "toolConfig");
    const char *named = json_string_value(
        json_object_get(json_object_get(json_object_get(cfg, "toolChoice"), "tool"), "name"));
    json_t *first = json_object_get(json_array_get(json_object_get(cfg, "tools"), 0), "toolSpec");

    if (named != NULL)
        return named;
    return json_string_value(json_object_get(first, "name"));
}

static long header_long(const struct lmx_http_req *req, const char *name, long dflt, long max)
{
    size_t n = 0;
    const char *v = lmx_http_req_header(req, name, &n);
    char tmp[24];
    char *e;
    long x;

    if (v == NULL || n == 0 || n >= sizeof(tmp))
        return dflt;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    x = strtol(tmp, &e, 10);
    return *e == '\0' && x >= 0 && x <= max ? x : dflt;
}

/* One event message: the three string headers and the JSON payload. */
static int add_event(struct lmx_buf *b, const char *type, const char *payload)
{
    return mock_es_message(b, false, type, "application/json", payload, strlen(payload));
}

static int add_exception(struct lmx_buf *b, const char *type, const char *msg)
{
    char payload[512];

    snprintf(payload, sizeof(payload), "{\"message\":\"%s\"}", msg);
    return mock_es_message(b, true, type, "application/json", payload, strlen(payload));
}

struct answer {
    const char *tool; /* NULL: text */
    long nchunks, chunk_bytes;
    long in_words, out_words;
    uint64_t id;
    const char *exception; /* stream: one delta, then this exception */
    bool malformed;
};

static int build_stream(struct lmx_buf *b, const struct answer *a)
{
    char text[1024], payload[2048], pad[40];
    int err = add_event(b, "messageStart", "{\"role\":\"assistant\",\"p\":\"abcdefghijkl\"}");

    if (err == 0 && a->tool != NULL) {
        snprintf(payload, sizeof(payload),
                 "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":"
                 "\"tooluse_mock%" PRIu64 "\",\"name\":\"%s\"}},\"p\":\"abcd\"}",
                 a->id, a->tool);
        err = add_event(b, "contentBlockStart", payload);
        if (err == 0 && a->malformed)
            b->data[b->len - 1] ^= 0x55; /* this message's CRC no longer matches */
        if (err == 0)
            err = add_event(b, "contentBlockDelta",
                            "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":"
                            "\"{\\\"q\\\":\"}},\"p\":\"ab\"}");
        if (err == 0 && a->exception != NULL)
            return add_exception(b, a->exception, "llmux-mock: stream failed mid-way");
        if (err == 0)
            err = add_event(b, "contentBlockDelta",
                            "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":"
                            "\"\\\"mock\\\"}\"}}}");
    }
    for (long i = 0; err == 0 && a->tool == NULL && i < a->nchunks; i++) {
        size_t n = (size_t)LMX_MIN(a->chunk_bytes, (long)sizeof(text) - 1);

        mock_text(text, (size_t)(i * a->chunk_bytes), n);
        text[n] = '\0';
        snprintf(pad, sizeof(pad), "%.*s", (int)(i % 26), "abcdefghijklmnopqrstuvwxyz");
        snprintf(payload, sizeof(payload),
                 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"},\"p\":\"%s\"}", text, pad);
        err = add_event(b, "contentBlockDelta", payload);
        if (err == 0 && a->malformed && i == 0)
            b->data[b->len - 1] ^= 0x55; /* this message's CRC no longer matches */
        if (err == 0 && a->exception != NULL)
            return add_exception(b, a->exception, "llmux-mock: stream failed mid-way");
    }
    if (err == 0)
        err = add_event(b, "contentBlockStop", "{\"contentBlockIndex\":0}");
    snprintf(payload, sizeof(payload), "{\"stopReason\":\"%s\"}",
             a->tool != NULL ? "tool_use" : "end_turn");
    if (err == 0)
        err = add_event(b, "messageStop", payload);
    snprintf(payload, sizeof(payload),
             "{\"usage\":{\"inputTokens\":%ld,\"outputTokens\":%ld,\"totalTokens\":%ld},"
             "\"metrics\":{\"latencyMs\":1},\"p\":\"abc\"}",
             a->in_words, a->out_words, a->in_words + a->out_words);
    if (err == 0)
        err = add_event(b, "metadata", payload);
    return err;
}

static int build_answer(struct lmx_buf *b, const struct answer *a)
{
    int err = lmx_buf_puts(b, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[");

    if (err == 0 && a->tool != NULL) {
        err = lmx_buf_printf(b,
                             "{\"toolUse\":{\"toolUseId\":\"tooluse_mock%" PRIu64
                             "\",\"name\":\"%s\",\"input\":{\"q\":\"mock\"}}}",
                             a->id, a->tool);
    } else if (err == 0) {
        size_t n = (size_t)(a->nchunks * a->chunk_bytes);

        err = lmx_buf_puts(b, "{\"text\":\"");
        if (err == 0)
            err = lmx_buf_reserve(b, n);
        if (err == 0) {
            mock_text(b->data + b->len, 0, n);
            b->len += n;
            b->data[b->len] = '\0';
            err = lmx_buf_puts(b, "\"}");
        }
    }
    if (err == 0)
        err = lmx_buf_printf(b,
                             "]}},\"stopReason\":\"%s\",\"usage\":{\"inputTokens\":%ld,"
                             "\"outputTokens\":%ld,\"totalTokens\":%ld},\"metrics\":"
                             "{\"latencyMs\":1}}",
                             a->tool != NULL ? "tool_use" : "end_turn", a->in_words, a->out_words,
                             a->in_words + a->out_words);
    if (err == 0 && a->malformed) {
        b->len /= 2;
        b->data[b->len] = '\0';
    }
    return err;
}

/* The status a model id asks for (mock-status-<code>, a /mock/fail rule), or 0. */
static int fault_status(const char *model, const char **exc)
{
    const char *p = strstr(model, "mock-status-");
    struct mock_rule rule;

    *exc = NULL;
    if (mock_rule_take(model, strlen(model), &rule) && rule.status >= 400)
        return (int)rule.status;
    if (p != NULL) {
        long v = strtol(p + 12, NULL, 10);

        if (v >= 400 && v <= 599)
            return (int)v;
    }
    p = strstr(model, "mock-exception-");
    if (p != NULL) {
        for (size_t i = 0; i < LMX_ARRAY_SIZE(exceptions); i++)
            if (lmx_has_prefix(p + 15, strlen(p + 15), exceptions[i].type)) {
                *exc = exceptions[i].type;
                return -exceptions[i].status; /* negative: only for non-stream calls */
            }
    }
    return 0;
}

/* One embedding of `text`: n values in [-1, 1), a deterministic function of the text. */
static json_t *vector_of(const char *text, long n)
{
    json_t *v = json_array();
    uint64_t h = 1469598103934665603ull;

    for (const char *p = text; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (long i = 0; v != NULL && i < n; i++) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        /* a multiple of 1/4096: exact as a float32 too */
        if (json_array_append_new(v, json_real((double)((long)(h >> 40) % 4096) / 4096.0)) < 0) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

/* An InvokeModel embeddings answer for Titan ({inputText}) or Cohere ({texts}). */
static void send_embeddings(struct mock_worker *w,
                            struct lmx_http_req *req,
                            uint64_t seq,
                            const char *model,
                            json_t *body)
{
    const char *text = json_string_value(json_object_get(body, "inputText"));
    json_t *texts = json_object_get(body, "texts"), *res = NULL, *list, *t;
    char *out;
    size_t i;

    if (text != NULL) {
        json_t *d = json_object_get(body, "dimensions");
        long n = json_is_integer(d) ? (long)json_integer_value(d)
                 : strstr(model, "-v1") != NULL ? 1536
                                                 : 1024;
        json_t *v = n > 0 && n <= 8192 ? vector_of(text, n) : NULL;

        if (v != NULL)
            res = json_pack("{s:O,s:I,s:{s:O}}", "embedding", v, "inputTextTokenCount",
                            (json_int_t)mock_count_words(text), "embeddingsByType", "float", v);
        json_decref(v);
    } else if (json_is_array(texts) && json_array_size(texts) > 0) {
        list = json_array();
        json_array_foreach(texts, i, t) {
            if (!json_is_string(t) || json_array_append_new(list, vector_of(json_string_value(t),
                                                                           1024)) < 0)
                break;
        }
        if (i == json_array_size(texts))
            res = json_pack("{s:O,s:s,s:s,s:O}", "embeddings", list, "id",
                            "00000000-0000-4000-8000-00000000e5bd", "response_type",
                            "embeddings_floats", "texts", texts);
        json_decref(list);
    } else {
        send_error(w, req, seq, 400, "ValidationException", "Malformed input request");
        return;
    }
    out = res != NULL ? json_dumps(res, JSON_COMPACT) : NULL;
    json_decref(res);
    if (out == NULL) {
        send_error(w, req, seq, 500, "InternalServerException", "llmux-mock: out of memory");
        return;
    }
    mock_log_status(seq, 200);
    lmx_http_res_send(req, 200, NULL, 0, "application/json", out, strlen(out));
    free(out);
}

/* ------------------------------------------------------------------------ */
/* Test images (1x1, #3366cc) */

static const unsigned char img_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
    0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0x30, 0x4e, 0x3b, 0x03, 0x00, 0x02, 0x35, 0x01, 0x66, 0xb4, 0x6f, 0x97,
    0x9e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

/* baseline, 8x8 grey: one quantization table, one-code Huffman tables, one block */
static const unsigned char img_jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff,
    0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00,
    0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x08,
    0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x3f, 0xff, 0xd9,
};

static const unsigned char img_gif[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
    0x00, 0x33, 0x66, 0xcc, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

static const unsigned char img_bmp[] = {
    0x42, 0x4d, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00, 0x28,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x18, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x13, 0x0b, 0x00, 0x00, 0x13, 0x0b, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x66, 0x33, 0x00,
};

static const struct {
    const char *ext, *ctype;
    const unsigned char *p;
    size_t n;
} images[] = {
    {".png", "image/png", img_png, sizeof(img_png)},
    {".jpg", "image/jpeg", img_jpeg, sizeof(img_jpeg)},
    {".jpeg", "image/jpeg", img_jpeg, sizeof(img_jpeg)},
    {".gif", "image/gif", img_gif, sizeof(img_gif)},
    {".bmp", "image/bmp", img_bmp, sizeof(img_bmp)},
};

/* `total` bytes of image/png: the PNG signature, then zeros. */
static void send_big_png(struct lmx_http_req *req, uint64_t seq, size_t total)
{
    static const unsigned char zeros[65536];
    struct lmx_http_hdr h = LMX_HDR("Content-Type", "image/png");
    size_t off = 8;

    mock_log_status(seq, 200);
    if (lmx_http_res_begin(req, 200, &h, 1, (int64_t)total) < 0 ||
        lmx_http_res_queue(req, img_png, 8) < 0) {
        lmx_http_res_end(req, false);
        return;
    }
    while (off < total) {
        size_t n = LMX_MIN(total - off, sizeof(zeros));

        if (lmx_http_res_queue(req, zeros, n) < 0) {
            lmx_http_res_end(req, false);
            return;
        }
        off += n;
    }
    lmx_http_res_end(req, true);
}

static void send_image(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *name = req->path + 8; /* after "/images/" */
    size_t n = req->path_len - 8;
    uint64_t seq;

    mock_stats_count(w, req);
    seq = mock_log_model(req, NULL, false);
    if (n == 7 && memcmp(name, "big.png", 7) == 0) {
        send_big_png(req, seq, 4u << 20);
        return;
    }
    if (n == 8 && memcmp(name, "huge.png", 8) == 0) {
        send_big_png(req, seq, 21u << 20);
        return;
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(images); i++) {
        size_t el = strlen(images[i].ext);

        if (n > el && memcmp(name + n - el, images[i].ext, el) == 0) {
            mock_log_status(seq, 200);
            lmx_http_res_send(req, 200, NULL, 0, images[i].ctype, images[i].p, images[i].n);
            return;
        }
    }
    mock_log_status(seq, 404);
    lmx_http_res_send(req, 404, NULL, 0, "text/plain", "no such image\n", 14);
}

bool mock_bedrock_route(struct mock_worker *w, struct lmx_http_req *req)
{
    char model[512], msg[640];
    struct answer a;
    json_t *body = NULL;
    bool stream = false, invoke = false;
    uint64_t seq;
    int status, err;

    /* GET only: POST /images/generations is the OpenAI route of a base without /v1 */
    if (req->method == LMX_HTTP_GET && lmx_has_prefix(req->path, req->path_len, "/images/")) {
        send_image(w, req);
        return true;
    }
    if (!parse_path(req, model, sizeof(model), &stream, &invoke))
        return false;
    mock_stats_count(w, req);
    seq = mock_log_model(req, model, stream);
    if (req->method != LMX_HTTP_POST) {
        send_error(w, req, seq, 405, "UnknownOperationException", "llmux-mock: POST only");
        return true;
    }
    if (!authorized(w, req)) {
        send_error(w, req, seq, 403, "MissingAuthenticationTokenException",
                   "Missing Authentication Token");
        return true;
    }
    body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, NULL);
    if (invoke && json_is_object(body)) {
        const char *exc;

        status = fault_status(model, &exc);
        if (status != 0) {
            status = status > 0 ? status : -status;
            snprintf(msg, sizeof(msg), "llmux-mock: %s for model '%.400s'", error_type(status),
                     model);
            send_error(w, req, seq, status, error_type(status), msg);
        } else {
            send_embeddings(w, req, seq, model, body);
        }
        goto out;
    }
    if (!json_is_object(body) || !json_is_array(json_object_get(body, "messages"))) {
        send_error(w, req, seq, 400, "ValidationException", "Malformed input request");
        goto out;
    }
    memset(&a, 0, sizeof(a));
    status = fault_status(model, &a.exception);
    if (status > 0 || (status < 0 && !stream)) {
        int s = status > 0 ? status : -status;

        if (s == 429)
            snprintf(msg, sizeof(msg), "Too many requests, please wait before trying again.");
        else
            snprintf(msg, sizeof(msg), "llmux-mock: %s for model '%.400s'", error_type(s), model);
        send_error(w, req, seq, s, error_type(s), msg);
        goto out;
    }
    a.tool = tool_name(body);
    a.nchunks = header_long(req, "x-mock-chunks", MOCK_DEFAULT_CHUNKS, 100000);
    a.chunk_bytes = header_long(req, "x-mock-chunk-bytes", MOCK_DEFAULT_CHUNK_BYTES, 512);
    a.in_words = prompt_words(body);
    a.out_words = a.tool != NULL ? 2 : mock_text_words((size_t)(a.nchunks * a.chunk_bytes));
    a.id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    a.malformed = strstr(model, "mock-fault-malformed") != NULL;
    lmx_buf_reset(&w->scratch);
    err = stream ? build_stream(&w->scratch, &a) : build_answer(&w->scratch, &a);
    if (err < 0) {
        send_error(w, req, seq, 500, "InternalServerException", "llmux-mock: out of memory");
        goto out;
    }
    mock_log_status(seq, 200);
    if (stream) {
        struct lmx_http_hdr h[] = {LMX_HDR("x-amzn-RequestId", "00000000-0000-4000-8000-0000000"
                                                               "00001"),
                                   LMX_HDR("Content-Type", ES_CTYPE)};

        /* one chunk per message, as Bedrock sends them */
        mock_es_send(req, h, LMX_ARRAY_SIZE(h), &w->scratch);
    } else {
        lmx_http_res_send(req, 200, NULL, 0, "application/json", w->scratch.data, w->scratch.len);
    }
out:
    json_decref(body);
    return true;
}
