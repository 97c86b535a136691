/*
 * tools/mock/sagemaker.c - llmux-mock: Amazon SageMaker runtime endpoints.
 *
 *   POST /endpoints/{name}/invocations                  the container's answer (JSON)
 *   POST /endpoints/{name}/invocations-response-stream  an AWS event stream of
 *        PayloadPart events carrying the container's SSE bytes, each SSE
 *        event cut in two parts (so lines arrive split)
 *
 * The container is picked by the body: {"messages": ...} is an OpenAI chat
 * container (chat.completion; chunks, a usage chunk when
 * stream_options.include_usage, then [DONE]); {"inputs": ...} is Text
 * Generation Inference ([{"generated_text","details"}]; token events, the
 * last with generated_text and details, including a special </s> token).
 * Text from "mock mock ...", 10 pieces of 8 bytes; prompt_tokens = words of
 * the messages' text (chat only).
 *
 * Auth: `Authorization: AWS4-HMAC-SHA256 Credential=.../sagemaker/aws4_request,
 * SignedHeaders=...host...x-amz-date..., Signature=<64 hex>` with an
 * x-amz-date header (the signature itself is not verified); else 403.
 *
 * Faults by endpoint name: mock-status-<code> (that status with SageMaker's
 * own {"message"} body), mock-model-error-<code> (424 ModelError whose
 * OriginalStatusCode is <code> and OriginalMessage a TGI error body),
 * mock-exception-ModelStreamError (a stream sends one part, then that
 * exception), mock-fault-malformed (a PayloadPart with a broken CRC).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"
#include "provider/eventstream.h"

bool mock_sagemaker_route(struct mock_worker *w, struct lmx_http_req *req);

#define ES_CTYPE "application/vnd.amazon.eventstream"

static void send_json(struct mock_worker *w,
                      struct lmx_http_req *req,
                      uint64_t seq,
                      int status,
                      const char *type,
                      json_t *body)
{
    struct lmx_http_hdr h[2];
    char *text = json_dumps(body, JSON_COMPACT);
    size_t nh = 0;

    LMX_UNUSED(w);
    json_decref(body);
    if (text == NULL) {
        lmx_http_res_end(req, false);
        return;
    }
    if (type != NULL)
        h[nh++] = LMX_HDR("x-amzn-ErrorType", type);
    h[nh++] = LMX_HDR("x-amzn-RequestId", "00000000-0000-4000-8000-000000000002");
    mock_log_status(seq, status);
    lmx_http_res_send(req, status, h, nh, "application/json", text, strlen(text));
    free(text);
}

static void send_error(struct mock_worker *w,
                       struct lmx_http_req *req,
                       uint64_t seq,
                       int status,
                       const char *type,
                       const char *msg)
{
    send_json(w, req, seq, status, type, json_pack("{s:s}", "message", msg));
}

/* The endpoint name (URL-decoded) and whether the stream route was asked. */
static bool parse_path(const struct lmx_http_req *req, char *out, size_t cap, bool *stream)
{
    const char *p = req->path, *end = req->path + req->path_len, *slash;

    if (!lmx_has_prefix(p, req->path_len, "/endpoints/"))
        return false;
    p += 11;
    slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL || slash == p)
        return false;
    if ((size_t)(end - slash) == 12 && memcmp(slash, "/invocations", 12) == 0)
        *stream = false;
    else if ((size_t)(end - slash) == 28 && memcmp(slash, "/invocations-response-stream", 28) == 0)
        *stream = true;
    else
        return false;
    mock_url_decode(out, cap, p, slash);
    return true;
}

static bool authorized(const struct lmx_http_req *req)
{
    size_t n = 0, dn = 0;
    const char *v = lmx_http_req_header(req, "authorization", &n);
    bool has_date = lmx_http_req_header(req, "x-amz-date", &dn) != NULL && dn == 16;

    return mock_sigv4_form(v, n, has_date, "sagemaker");
}

static long prompt_words(json_t *body)
{
    long words = 0;
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(body, "messages"), i, m) {
        const char *t = json_string_value(json_object_get(m, "content"));

        if (t != NULL)
            words += mock_count_words(t);
    }
    return words > 0 ? words : 1;
}

/* One PayloadPart message carrying bytes p[0..n). */
static int add_part(struct lmx_buf *b, const char *p, size_t n)
{
    return mock_es_message(b, false, "PayloadPart", "application/octet-stream", p, n);
}

/* An SSE event "data: <json>\n\n" as two PayloadParts, cut in the middle. */
static int add_sse(struct lmx_buf *b, json_t *ev, bool malformed)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    struct lmx_buf line;
    size_t half;
    int err;

    json_decref(ev);
    if (text == NULL)
        return LMX_ENOMEM;
    lmx_buf_init(&line, 1 << 20);
    err = lmx_buf_printf(&line, "data:%s\n\n", text);
    free(text);
    half = line.len / 2;
    if (err == 0)
        err = add_part(b, line.data, half);
    if (err == 0 && malformed)
        b->data[b->len - 1] ^= 0x55; /* this message's CRC no longer matches */
    if (err == 0)
        err = add_part(b, line.data + half, line.len - half);
    lmx_buf_release(&line);
    return err;
}

static int add_exception(struct lmx_buf *b, const char *type, const char *msg)
{
    char payload[512];

    snprintf(payload, sizeof(payload), "{\"Message\":\"%s\",\"ErrorCode\":\"StreamBroken\"}", msg);
    return mock_es_message(b, true, type, "application/json", payload, strlen(payload));
}

struct answer {
    const char *endpoint;
    bool tgi, usage, malformed;
    const char *exception;
    long in_words;
};

static void piece(char *text, long i)
{
    mock_text(text, (size_t)(i * MOCK_DEFAULT_CHUNK_BYTES), MOCK_DEFAULT_CHUNK_BYTES);
    text[MOCK_DEFAULT_CHUNK_BYTES] = '\0';
}

static int build_stream(struct lmx_buf *b, const struct answer *a)
{
    size_t total = (size_t)(MOCK_DEFAULT_CHUNKS * MOCK_DEFAULT_CHUNK_BYTES);
    long out_words = mock_text_words(total);
    char text[MOCK_DEFAULT_CHUNK_BYTES + 1];
    int err = 0;

    for (long i = 0; err == 0 && i < MOCK_DEFAULT_CHUNKS; i++) {
        json_t *ev;

        piece(text, i);
        if (a->tgi)
            ev = json_pack("{s:I,s:{s:I,s:s,s:f,s:b},s:n,s:n}", "index", (json_int_t)i + 1,
                           "token", "id", (json_int_t)(100 + i), "text", text, "logprob", -0.5,
                           "special", 0, "generated_text", "details");
        else
            ev = json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:{s:s,s:s},s:n}]}", "id", "chatcmpl-sm",
                           "object", "chat.completion.chunk", "created", 1700000000, "model",
                           "tgi", "choices", "index", 0, "delta", "role", "assistant", "content",
                           text, "finish_reason");
        err = add_sse(b, ev, a->malformed && i == 0);
        if (err == 0 && a->exception != NULL)
            return add_exception(b, a->exception, "llmux-mock: stream failed mid-way");
    }
    if (err < 0)
        return err;
    if (a->tgi) {
        char *full = malloc(total + 1);

        if (full == NULL)
            return LMX_ENOMEM;
        mock_text(full, 0, total);
        full[total] = '\0';
        err = add_sse(b,
                      json_pack("{s:I,s:{s:i,s:s,s:f,s:b},s:s,s:{s:s,s:I,s:n}}", "index",
                                (json_int_t)MOCK_DEFAULT_CHUNKS + 1, "token", "id", 2, "text",
                                "</s>", "logprob", -0.1, "special", 1, "generated_text", full,
                                "details", "finish_reason", "length", "generated_tokens",
                                (json_int_t)out_words, "seed"),
                      false);
        free(full);
        return err;
    }
    err = add_sse(b,
                  json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:{},s:s}]}", "id", "chatcmpl-sm", "object",
                            "chat.completion.chunk", "created", 1700000000, "model", "tgi",
                            "choices", "index", 0, "delta", "finish_reason", "stop"),
                  false);
    if (err == 0 && a->usage)
        err = add_sse(b,
                      json_pack("{s:s,s:s,s:i,s:s,s:[],s:{s:I,s:I,s:I}}", "id", "chatcmpl-sm",
                                "object", "chat.completion.chunk", "created", 1700000000, "model",
                                "tgi", "choices", "usage", "prompt_tokens", (json_int_t)a->in_words,
                                "completion_tokens", (json_int_t)out_words, "total_tokens",
                                (json_int_t)(a->in_words + out_words)),
                      false);
    if (err == 0)
        err = add_part(b, "data: [DONE]\n\n", 14);
    return err;
}

static json_t *build_answer(const struct answer *a)
{
    size_t total = (size_t)(MOCK_DEFAULT_CHUNKS * MOCK_DEFAULT_CHUNK_BYTES);
    long out_words = mock_text_words(total);
    char *full = malloc(total + 1);
    json_t *res;

    if (full == NULL)
        return NULL;
    mock_text(full, 0, total);
    full[total] = '\0';
    if (a->tgi)
        res = json_pack("[{s:s,s:{s:s,s:I,s:n,s:[]}}]", "generated_text", full, "details",
                        "finish_reason", "length", "generated_tokens", (json_int_t)out_words,
                        "seed", "prefill");
    else
        res = json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id",
                        "chatcmpl-sm", "object", "chat.completion", "created", 1700000000,
                        "model", "tgi", "choices", "index", 0, "message", "role", "assistant",
                        "content", full, "finish_reason", "stop", "usage", "prompt_tokens",
                        (json_int_t)a->in_words, "completion_tokens", (json_int_t)out_words,
                        "total_tokens", (json_int_t)(a->in_words + out_words));
    free(full);
    return res;
}

/* Answers a fault the endpoint name asks for; false when there is none. */
static bool fault(struct mock_worker *w, struct lmx_http_req *req, uint64_t seq, const char *name)
{
    const char *p = strstr(name, "mock-status-");
    struct mock_rule rule;
    char msg[640];
    long v = 0;

    if (mock_rule_take(name, strlen(name), &rule) && rule.status >= 400)
        v = (long)rule.status;
    else if (p != NULL)
        v = strtol(p + 12, NULL, 10);
    if (v >= 400 && v <= 599) {
        snprintf(msg, sizeof(msg), "llmux-mock: HTTP %ld for endpoint '%.400s'", v, name);
        send_error(w, req, seq, (int)v,
                   v == 429   ? "ThrottlingException"
                   : v >= 500 ? "InternalFailure"
                              : "ValidationError",
                   msg);
        return true;
    }
    p = strstr(name, "mock-model-error-");
    if (p != NULL) {
        v = strtol(p + 17, NULL, 10);
        snprintf(msg, sizeof(msg),
                 "{\"error\":\"llmux-mock: Input validation error: `inputs` tokens + "
                 "`max_new_tokens` must be <= 4096\",\"error_type\":\"validation\"}");
        send_json(w, req, seq, 424, "ModelError",
                  json_pack("{s:s,s:s,s:s,s:I,s:s}", "ErrorCode", "CLIENT_ERROR_FROM_MODEL",
                            "Message",
                            "Received client error from primary with message \"validation\"",
                            "OriginalMessage", msg, "OriginalStatusCode", (json_int_t)v,
                            "LogStreamArn", "arn:aws:logs:us-east-1:000000000000:log-group"));
        return true;
    }
    return false;
}

bool mock_sagemaker_route(struct mock_worker *w, struct lmx_http_req *req)
{
    char name[512];
    struct answer a;
    json_t *body = NULL;
    bool stream = false;
    uint64_t seq;
    int err;

    if (!parse_path(req, name, sizeof(name), &stream))
        return false;
    mock_stats_count(w, req);
    seq = mock_log_model(req, name, stream);
    if (req->method != LMX_HTTP_POST) {
        send_error(w, req, seq, 405, "UnknownOperationException", "llmux-mock: POST only");
        return true;
    }
    if (!authorized(req)) {
        send_error(w, req, seq, 403, "MissingAuthenticationTokenException",
                   "Missing Authentication Token");
        return true;
    }
    body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, NULL);
    memset(&a, 0, sizeof(a));
    a.endpoint = name;
    a.tgi = json_is_string(json_object_get(body, "inputs"));
    if (!json_is_object(body) || (!a.tgi && !json_is_array(json_object_get(body, "messages")))) {
        send_error(w, req, seq, 400, "ValidationError",
                   "llmux-mock: the container needs {\"messages\"} or {\"inputs\"}");
        goto out;
    }
    if (fault(w, req, seq, name))
        goto out;
    a.usage = json_is_true(
        json_object_get(json_object_get(body, "stream_options"), "include_usage"));
    a.in_words = prompt_words(body);
    a.malformed = strstr(name, "mock-fault-malformed") != NULL;
    if (strstr(name, "mock-exception-ModelStreamError") != NULL)
        a.exception = "ModelStreamError";
    if (!stream) {
        if (a.exception != NULL) {
            send_error(w, req, seq, 424, "ModelError", "llmux-mock: model failed");
            goto out;
        }
        send_json(w, req, seq, 200, NULL, build_answer(&a));
        goto out;
    }
    lmx_buf_reset(&w->scratch);
    err = build_stream(&w->scratch, &a);
    if (err < 0) {
        send_error(w, req, seq, 500, "InternalFailure", "llmux-mock: out of memory");
        goto out;
    }
    mock_log_status(seq, 200);
    {
        struct lmx_http_hdr h[] = {
            LMX_HDR("x-amzn-RequestId", "00000000-0000-4000-8000-000000000003"),
            LMX_HDR("X-Amzn-SageMaker-Content-Type", "text/event-stream"),
            LMX_HDR("Content-Type", ES_CTYPE),
        };

        /* one write per message, as the service sends them */
        mock_es_send(req, h, LMX_ARRAY_SIZE(h), &w->scratch);
    }
out:
    json_decref(body);
    return true;
}
