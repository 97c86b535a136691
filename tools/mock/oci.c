/*
 * tools/mock/oci.c - llmux-mock: OCI Generative AI chat on its real path.
 *
 *   POST /20231130/actions/chat   {compartmentId, servingMode, chatRequest}:
 *                                 a GENERIC or COHERE answer, or SSE events
 *                                 (bare JSON objects) with chatRequest.isStream
 *
 * Auth: every request must carry OCI's HTTP signature. The mock cannot know
 * the caller's public key, so it checks the signature's structure: the
 * Authorization header is `Signature version="1",keyId="a/b/c",
 * algorithm="rsa-sha256",headers="date (request-target) host content-length
 * content-type x-content-sha256",signature="<base64>"`, each signed header is
 * present, content-length is the body's length and x-content-sha256 its
 * SHA-256 (401 NotAuthenticated otherwise). The request is in /mock/last for
 * a test that holds the key to verify the signature itself.
 *
 * When chatRequest has tools, the answer is a call of the first tool with
 * {"query":"mock"}. Model-name controls (servingMode.modelId): "mock-status-
 * <code>" answers that status with OCI's error body {code, message} (a
 * /mock/fail rule with a status does the same); "mock-stream-error" ends a
 * stream with an error event after two words. Usage counts whitespace-
 * separated words.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_oci_route(struct mock_worker *w, struct lmx_http_req *req);

#define OCI_PATH "/20231130/actions/chat"
#define OCI_TEXT "Hello from the mock OCI model."
#define OCI_OOM  "{\"code\":\"InternalServerError\",\"message\":\"llmux-mock: out of memory\"}"
#define OCI_SIGNED "date (request-target) host content-length content-type x-content-sha256"

static const char *const oci_words[] = {"Hello", " from", " the", " mock", " OCI", " model."};

static long oci_count_words(const char *s)
{
    long n = 0;
    bool in = false;

    for (; s != NULL && *s; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';

        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

/* Words of the prompt: GENERIC content parts, or COHERE message, history and preamble. */
static long oci_prompt_words(const json_t *cr)
{
    json_t *m, *part;
    size_t i, j;
    long n = oci_count_words(json_string_value(json_object_get(cr, "message"))) +
             oci_count_words(json_string_value(json_object_get(cr, "preambleOverride")));

    json_array_foreach(json_object_get(cr, "messages"), i, m) {
        json_array_foreach(json_object_get(m, "content"), j, part) {
            n += oci_count_words(json_string_value(json_object_get(part, "text")));
        }
    }
    json_array_foreach(json_object_get(cr, "chatHistory"), i, m) {
        n += oci_count_words(json_string_value(json_object_get(m, "message")));
    }
    return n > 0 ? n : 1;
}

static int oci_model_status(const char *m)
{
    const char *p = m != NULL ? strstr(m, "mock-status-") : NULL;
    long v = 0;

    if (p == NULL)
        return 0;
    for (p += 12; *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    return v >= 100 && v <= 999 ? (int)v : 0;
}

static void oci_send_json(struct lmx_http_req *req, int status, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text == NULL)
        lmx_http_res_send(req, 503, NULL, 0, "application/json", OCI_OOM, strlen(OCI_OOM));
    else
        lmx_http_res_send(req, status, NULL, 0, "application/json", text, strlen(text));
    lmx_free(text);
    json_decref(o);
}

static const char *oci_error_code(int status)
{
    switch (status) {
    case 400:
        return "InvalidParameter";
    case 401:
        return "NotAuthenticated";
    case 404:
        return "NotAuthorizedOrNotFound";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    default:
        return status >= 500 ? "InternalServerError" : "BadRequest";
    }
}

static void oci_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    oci_send_json(req, status,
                  json_pack("{s:s,s:s}", "code", oci_error_code(status), "message", msg));
}

/* The quoted value of key="..." in an Authorization value; false when absent. */
static bool oci_auth_field(const char *auth, size_t n, const char *key, const char **v,
                           size_t *vlen)
{
    size_t kl = strlen(key);

    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((i == 0 || auth[i - 1] == ',' || auth[i - 1] == ' ') &&
            memcmp(auth + i, key, kl) == 0 && auth[i + kl] == '=' && auth[i + kl + 1] == '"') {
            const char *s = auth + i + kl + 2, *e = memchr(s, '"', (size_t)(auth + n - s));

            if (e == NULL)
                return false;
            *v = s;
            *vlen = (size_t)(e - s);
            return true;
        }
    }
    return false;
}

static bool oci_field_is(const char *auth, size_t n, const char *key, const char *want)
{
    const char *v;
    size_t vl;

    return oci_auth_field(auth, n, key, &v, &vl) && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

/* Why the request's signature is not well-formed, or NULL when it is. */
static const char *oci_auth_problem(const struct lmx_http_req *req)
{
    static const char *const need[] = {"date", "host", "content-type"};
    const char *auth, *v, *kid;
    size_t n, vl, kl, slashes = 0;
    unsigned char md[32];
    char b64[64], num[24];

    auth = lmx_http_req_header(req, "authorization", &n);
    if (auth == NULL || n < 10 || memcmp(auth, "Signature ", 10) != 0)
        return "the Authorization header is not an OCI Signature";
    if (!oci_field_is(auth, n, "version", "1") ||
        !oci_field_is(auth, n, "algorithm", "rsa-sha256") ||
        !oci_field_is(auth, n, "headers", OCI_SIGNED))
        return "the signature's version, algorithm or headers list is wrong";
    if (!oci_auth_field(auth, n, "keyId", &kid, &kl))
        return "the signature has no keyId";
    for (size_t i = 0; i < kl; i++)
        if (kid[i] == '/')
            slashes++;
    if (slashes != 2 || kl < 5 || kid[0] == '/' || kid[kl - 1] == '/' ||
        memmem(kid, kl, "//", 2) != NULL)
        return "the keyId is not tenancy/user/fingerprint";
    if (!oci_auth_field(auth, n, "signature", &v, &vl) || vl < 16)
        return "the signature is missing";
    for (size_t i = 0; i < LMX_ARRAY_SIZE(need); i++)
        if (lmx_http_req_header(req, need[i], &vl) == NULL || vl == 0)
            return "a signed header is missing";
    v = lmx_http_req_header(req, "content-length", &vl);
    snprintf(num, sizeof(num), "%zu", req->body.len);
    if (v == NULL || vl != strlen(num) || memcmp(v, num, vl) != 0)
        return "content-length does not match the body";
    EVP_Digest(req->body.data != NULL ? req->body.data : "", req->body.len, md, NULL,
               EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)b64, md, (int)sizeof(md));
    v = lmx_http_req_header(req, "x-content-sha256", &vl);
    if (v == NULL || vl != strlen(b64) || memcmp(v, b64, vl) != 0)
        return "x-content-sha256 does not match the body";
    return NULL;
}

/* The name of the first tool (GENERIC {name} or COHERE {name}), or NULL. */
static const char *oci_first_tool(const json_t *cr)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(cr, "tools"), 0),
                                             "name"));
}

static json_t *oci_usage(long in, long out)
{
    return json_pack("{s:I,s:I,s:I}", "promptTokens", (json_int_t)in, "completionTokens",
                     (json_int_t)out, "totalTokens", (json_int_t)(in + out));
}

static void oci_chat(struct lmx_http_req *req, const char *model, const json_t *cr, bool cohere,
                     uint64_t id)
{
    const char *tool = oci_first_tool(cr);
    long in = oci_prompt_words(cr), out = tool != NULL ? 3 : oci_count_words(OCI_TEXT);
    char call_id[160];
    json_t *resp;

    snprintf(call_id, sizeof(call_id), "call_mock%llu", (unsigned long long)id);
    if (cohere)
        resp = tool != NULL
                   ? json_pack("{s:s,s:s,s:[{s:s,s:{s:s}}],s:s,s:o}", "apiFormat", "COHERE", "text",
                               "", "toolCalls", "name", tool, "parameters", "query", "mock",
                               "finishReason", "COMPLETE", "usage", oci_usage(in, out))
                   : json_pack("{s:s,s:s,s:s,s:o}", "apiFormat", "COHERE", "text", OCI_TEXT,
                               "finishReason", "COMPLETE", "usage", oci_usage(in, out));
    else
        resp = tool != NULL
                   ? json_pack("{s:s,s:s,s:[{s:i,s:{s:s,s:[{s:s,s:s,s:s,s:s}]},s:s}],s:o}",
                               "apiFormat", "GENERIC", "timeCreated", "2025-01-01T00:00:00.000Z",
                               "choices", "index", 0, "message", "role", "ASSISTANT", "toolCalls",
                               "id", call_id, "type", "FUNCTION", "name", tool, "arguments",
                               "{\"query\":\"mock\"}", "finishReason", "tool_calls", "usage",
                               oci_usage(in, out))
                   : json_pack("{s:s,s:s,s:[{s:i,s:{s:s,s:[{s:s,s:s}]},s:s}],s:o}", "apiFormat",
                               "GENERIC", "timeCreated", "2025-01-01T00:00:00.000Z", "choices",
                               "index", 0, "message", "role", "ASSISTANT", "content", "type",
                               "TEXT", "text", OCI_TEXT, "finishReason", "stop", "usage",
                               oci_usage(in, out));
    oci_send_json(req, 200,
                  json_pack("{s:s,s:s,s:o}", "modelId", model, "modelVersion", "1.0",
                            "chatResponse", resp));
}

/* Writes one SSE event "data: <json>\n\n" (o is consumed). */
static int oci_event(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && lmx_buf_printf(&b, "data: %s\n\n", text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    lmx_free(text);
    json_decref(o);
    return err;
}

static void oci_chat_stream(struct lmx_http_req *req, const json_t *cr, bool cohere, uint64_t id,
                            bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
        {"Cache-Control", 13, "no-cache", 8},
    };
    const char *tool = oci_first_tool(cr);
    long in = oci_prompt_words(cr), out = tool != NULL ? 3 : oci_count_words(OCI_TEXT);
    size_t nw = fail ? 2 : LMX_ARRAY_SIZE(oci_words);
    char call_id[64];
    int err;

    snprintf(call_id, sizeof(call_id), "call_mock%llu", (unsigned long long)id);
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (cohere && tool != NULL) {
        if (err == 0)
            err = oci_event(req, json_pack("{s:s,s:[{s:s,s:{s:s}}]}", "apiFormat", "COHERE",
                                           "toolCalls", "name", tool, "parameters", "query",
                                           "mock"));
        /* the last event repeats the calls next to finishReason */
        if (err == 0)
            err = oci_event(req, json_pack("{s:s,s:s,s:[{s:s,s:{s:s}}],s:[],s:s,s:o}",
                                           "apiFormat", "COHERE", "text", "", "toolCalls", "name",
                                           tool, "parameters", "query", "mock", "chatHistory",
                                           "finishReason", "COMPLETE", "usage",
                                           oci_usage(in, out)));
    } else if (cohere) {
        for (size_t i = 0; err == 0 && i < nw; i++)
            err = oci_event(req,
                            json_pack("{s:s,s:s}", "apiFormat", "COHERE", "text", oci_words[i]));
        if (err == 0 && !fail) /* the last event repeats the whole text next to finishReason */
            err = oci_event(req, json_pack("{s:s,s:s,s:[],s:s,s:o}", "apiFormat", "COHERE",
                                           "text", OCI_TEXT, "chatHistory", "finishReason",
                                           "COMPLETE", "usage", oci_usage(in, out)));
    } else if (tool != NULL) {
        static const char *const frags[] = {"{\"que", "ry\":\"mo", "ck\"}"};

        if (err == 0)
            err = oci_event(req, json_pack("{s:i,s:{s:s,s:[{s:s,s:s,s:s,s:s}]}}", "index", 0,
                                           "message", "role", "ASSISTANT", "toolCalls", "id",
                                           call_id, "type", "FUNCTION", "name", tool, "arguments",
                                           ""));
        for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(frags); i++)
            err = oci_event(req, json_pack("{s:i,s:{s:s,s:[{s:s}]}}", "index", 0, "message",
                                           "role", "ASSISTANT", "toolCalls", "arguments",
                                           frags[i]));
        if (err == 0)
            err = oci_event(req, json_pack("{s:i,s:{s:s},s:s}", "index", 0, "message", "role",
                                           "ASSISTANT", "finishReason", "tool_calls"));
        if (err == 0)
            err = oci_event(req, json_pack("{s:o}", "usage", oci_usage(in, out)));
    } else {
        for (size_t i = 0; err == 0 && i < nw; i++)
            err = oci_event(req, json_pack("{s:i,s:{s:s,s:[{s:s,s:s}]}}", "index", 0, "message",
                                           "role", "ASSISTANT", "content", "type", "TEXT", "text",
                                           oci_words[i]));
        if (err == 0 && !fail)
            err = oci_event(req, json_pack("{s:i,s:{s:s},s:s}", "index", 0, "message", "role",
                                           "ASSISTANT", "finishReason", "stop"));
        if (err == 0 && !fail) /* usage comes in an event of its own, after the finish */
            err = oci_event(req, json_pack("{s:o}", "usage", oci_usage(in, out)));
    }
    if (err == 0 && fail)
        err = oci_event(req, json_pack("{s:s,s:s}", "code", "InternalServerError", "message",
                                       "llmux-mock: stream failure (mock-stream-error)"));
    lmx_http_res_end(req, err == 0);
}

bool mock_oci_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *model, *fmt, *why;
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body, *cr, *sm;
    uint64_t seq, id;
    bool cohere;
    int status;

    if (strcmp(req->path, OCI_PATH) != 0)
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        oci_send_error(req, 405, "method not allowed");
        return true;
    }
    why = oci_auth_problem(req);
    if (why != NULL) {
        oci_send_error(req, 401, why);
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    cr = json_object_get(body, "chatRequest");
    sm = json_object_get(body, "servingMode");
    model = json_string_value(json_object_get(sm, "modelId"));
    if (model == NULL)
        model = json_string_value(json_object_get(sm, "endpointId"));
    fmt = json_string_value(json_object_get(cr, "apiFormat"));
    if (!json_is_string(json_object_get(body, "compartmentId")) || model == NULL ||
        fmt == NULL || (strcmp(fmt, "GENERIC") != 0 && strcmp(fmt, "COHERE") != 0) ||
        (strcmp(fmt, "GENERIC") == 0 && !json_is_array(json_object_get(cr, "messages"))) ||
        (strcmp(fmt, "COHERE") == 0 && !json_is_string(json_object_get(cr, "message")))) {
        json_decref(body);
        oci_send_error(req, 400, "Please pass in correct format of request");
        return true;
    }
    cohere = strcmp(fmt, "COHERE") == 0;
    memset(&li, 0, sizeof(li));
    li.model = model;
    li.model_len = strlen(model);
    li.path = req->path;
    li.path_len = req->path_len;
    li.fault = "";
    li.arrival_ns = req->start_ns;
    li.stream = json_is_true(json_object_get(cr, "isStream"));
    status = oci_model_status(model);
    if (mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: oci error %d (mock-status-%d)", status, status);
        oci_send_error(req, status, msg);
    } else if (li.stream) {
        status = 200;
        oci_chat_stream(req, cr, cohere, id, strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        oci_chat(req, model, cr, cohere, id);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
