/*
 * tools/mock/vertex.c - llmux-mock: Google Vertex AI and its OAuth2 token endpoint.
 *
 *   POST {any}/token        OAuth2 token endpoint (point a key's token_uri here; not
 *                           /identity/token, IBM's, which tools/mock/watsonx.c answers).
 *                           grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with an
 *                           assertion: checked as a JWT (three base64url parts; header alg
 *                           RS256, typ JWT; claims iss, scope, aud ending in "/token",
 *                           exp = iat + 3600). The signature is not verified: the mock has
 *                           no public key. grant_type=refresh_token (authorized_user) needs
 *                           client_id, client_secret and refresh_token. Answers
 *                           {"access_token":"ya29.mock-<n>","expires_in":3600,
 *                           "token_type":"Bearer"}; an iss / client_id containing "refused"
 *                           gets 400 invalid_grant, as Google answers a bad key. Token
 *                           requests are counted under their path in /mock/stats by_path.
 *   POST /v1[beta1]/projects/{p}/locations/{l}/...
 *     publishers/google/models/{m}:generateContent | :streamGenerateContent (SSE)
 *     endpoints/{id}:generateContent | :streamGenerateContent
 *                           "Hello from the Vertex mock." (a functionCall of the first
 *                           declared function when there are tools and the last turn is
 *                           no functionResponse), usageMetadata counting words
 *     publishers/anthropic/models/{m}:rawPredict | :streamRawPredict
 *                           an Anthropic message or its typed SSE stream; the body must
 *                           have "anthropic_version":"vertex-2023-10-16" and no "model"
 *     publishers/google/models/{m}:predict
 *                           {"predictions":[{"embeddings":{"values","statistics"}}]}
 *     endpoints/openapi/chat/completions
 *                           the OpenAI answer of the generic mock (body.c)
 *   Every model route needs "Authorization: Bearer ya29.mock-<n>" (401 UNAUTHENTICATED
 *   else). A model named "mock-status-<code>" answers that status with Google's error body.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/err.h"
#include "mock.h"

bool mock_vertex_route(struct mock_worker *w, struct lmx_http_req *req);

#define VX_OOM "{\"error\":{\"code\":503,\"message\":\"llmux-mock: out of memory\"}}"
#define VX_TEXT "Hello from the Vertex mock."

enum vx_route { VX_NONE, VX_TOKEN, VX_GEN, VX_STREAM, VX_RAW, VX_RAW_STREAM, VX_PREDICT, VX_OPENAI };

static _Atomic uint64_t vx_tokens;

static const char *vx_rpc(int status)
{
    return status == 400   ? "INVALID_ARGUMENT"
           : status == 401 ? "UNAUTHENTICATED"
           : status == 403 ? "PERMISSION_DENIED"
           : status == 404 ? "NOT_FOUND"
           : status == 429 ? "RESOURCE_EXHAUSTED"
           : status == 503 ? "UNAVAILABLE"
                           : "INTERNAL";
}

static void vx_error(struct lmx_http_req *req, int status, const char *msg)
{
    mock_send_json(req, status,
                   json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status, "message", msg, "status",
                             vx_rpc(status)), VX_OOM);
}

/* The route of a path; the model (or endpoint id) in model. */
static enum vx_route vx_route_of(const char *path, char *model, size_t cap)
{
    const char *p, *colon, *m;
    size_t n = strlen(path);

    model[0] = '\0';
    if (n >= 6 && strcmp(path + n - 6, "/token") == 0 &&
        !(n >= 15 && strcmp(path + n - 15, "/identity/token") == 0)) /* IBM's: watsonx.c */
        return VX_TOKEN;
    if (strncmp(path, "/v1/projects/", 13) != 0 && strncmp(path, "/v1beta1/projects/", 18) != 0)
        return VX_NONE;
    p = strstr(path, "/locations/");
    if (p == NULL)
        return VX_NONE;
    if (strstr(p, "/endpoints/openapi/chat/completions") != NULL) {
        snprintf(model, cap, "openapi");
        return VX_OPENAI;
    }
    m = strstr(p, "/publishers/google/models/");
    if (m != NULL)
        m += 26;
    else if ((m = strstr(p, "/publishers/anthropic/models/")) != NULL)
        m += 29;
    else if ((m = strstr(p, "/endpoints/")) != NULL)
        m += 11;
    else
        return VX_NONE;
    colon = strrchr(m, ':');
    if (colon == NULL || colon == m)
        return VX_NONE;
    snprintf(model, cap, "%.*s", (int)LMX_MIN((size_t)(colon - m), cap - 1), m);
    colon++;
    if (strcmp(colon, "generateContent") == 0)
        return VX_GEN;
    if (strcmp(colon, "streamGenerateContent") == 0)
        return VX_STREAM;
    if (strcmp(colon, "rawPredict") == 0)
        return VX_RAW;
    if (strcmp(colon, "streamRawPredict") == 0)
        return VX_RAW_STREAM;
    if (strcmp(colon, "predict") == 0)
        return VX_PREDICT;
    return VX_NONE;
}

/* ------------------------------------------------------------------------ */
/* The token endpoint */

/* The value of form field `name` (URL-decoded) into out; false when absent. */
static bool vx_form(const char *body, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), o = 0;
    const char *p = body;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            for (p += n + 1; *p != '\0' && *p != '&' && o + 1 < cap; p++) {
                if (*p == '%' && p[1] != '\0' && p[2] != '\0') {
                    char hx[3] = {p[1], p[2], '\0'};

                    out[o++] = (char)strtol(hx, NULL, 16);
                    p += 2;
                } else {
                    out[o++] = *p == '+' ? ' ' : *p;
                }
            }
            out[o] = '\0';
            return true;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return false;
}

/* base64url part (n bytes) -> JSON object, or NULL. */
static json_t *vx_b64json(const char *s, size_t n)
{
    char tmp[4096] = "";
    unsigned char out[4096];
    size_t m = 0;
    int k;

    if (n + 4 >= sizeof(tmp))
        return NULL;
    for (size_t i = 0; i < n; i++)
        tmp[m++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (m % 4)
        tmp[m++] = '=';
    k = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)m);
    if (k < 0)
        return NULL;
    while (m > 0 && tmp[m - 1] == '=') {
        k--;
        m--;
    }
    return json_loadb((const char *)out, (size_t)k, 0, NULL);
}

/* Why a jwt-bearer assertion is malformed, or NULL; *iss gets its issuer. */
static const char *vx_jwt_problem(const char *a, char *iss, size_t cap)
{
    const char *d1 = strchr(a, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
    json_t *h, *c;
    const char *why = NULL, *aud;

    iss[0] = '\0';
    if (d2 == NULL || strchr(d2 + 1, '.') != NULL || d2[1] == '\0')
        return "the assertion is not a signed JWT (three parts)";
    h = vx_b64json(a, (size_t)(d1 - a));
    c = vx_b64json(d1 + 1, (size_t)(d2 - d1 - 1));
    aud = json_string_value(json_object_get(c, "aud"));
    if (h == NULL || c == NULL)
        why = "the JWT header or claims are not base64url JSON";
    else if (json_string_value(json_object_get(h, "alg")) == NULL ||
             strcmp(json_string_value(json_object_get(h, "alg")), "RS256") != 0)
        why = "the JWT alg is not RS256";
    else if (json_string_value(json_object_get(c, "iss")) == NULL)
        why = "the JWT has no iss";
    else if (json_string_value(json_object_get(c, "scope")) == NULL)
        why = "the JWT has no scope";
    else if (aud == NULL || strlen(aud) < 6 || strcmp(aud + strlen(aud) - 6, "/token") != 0)
        why = "the JWT aud is not a token endpoint";
    else if (json_integer_value(json_object_get(c, "exp")) -
                 json_integer_value(json_object_get(c, "iat")) !=
             3600)
        why = "the JWT exp is not iat + 3600";
    if (c != NULL && json_string_value(json_object_get(c, "iss")) != NULL)
        snprintf(iss, cap, "%s", json_string_value(json_object_get(c, "iss")));
    json_decref(h);
    json_decref(c);
    return why;
}

static int vx_token(struct lmx_http_req *req)
{
    const char *body = req->body.data != NULL ? req->body.data : "";
    char grant[128], assertion[4096], who[256];
    const char *why = NULL;
    uint64_t n;

    who[0] = '\0';
    if (!vx_form(body, "grant_type", grant, sizeof(grant)))
        why = "grant_type is missing";
    else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0) {
        if (!vx_form(body, "assertion", assertion, sizeof(assertion)))
            why = "assertion is missing";
        else
            why = vx_jwt_problem(assertion, who, sizeof(who));
    } else if (strcmp(grant, "refresh_token") == 0) {
        char tmp[512];

        if (!vx_form(body, "client_id", who, sizeof(who)) ||
            !vx_form(body, "client_secret", tmp, sizeof(tmp)) ||
            !vx_form(body, "refresh_token", tmp, sizeof(tmp)))
            why = "client_id, client_secret and refresh_token are required";
    } else {
        why = "Invalid grant_type";
    }
    if (why == NULL && strstr(who, "refused") != NULL)
        why = "Invalid JWT Signature.";
    if (why != NULL) {
        mock_send_json(req, 400,
                       json_pack("{s:s,s:s}", "error", "invalid_grant", "error_description",
                                 why), VX_OOM);
        return 400;
    }
    n = atomic_fetch_add_explicit(&vx_tokens, 1, memory_order_relaxed) + 1;
    snprintf(assertion, sizeof(assertion), "ya29.mock-%llu", (unsigned long long)n);
    mock_send_json(req, 200,
                   json_pack("{s:s,s:i,s:s}", "access_token", assertion, "expires_in", 3599,
                             "token_type", "Bearer"), VX_OOM);
    return 200;
}

/* ------------------------------------------------------------------------ */
/* Model routes */

/* Words of every "text" string anywhere in v. */
static long vx_text_words(const json_t *v)
{
    const char *k;
    const json_t *x;
    size_t i;
    long n = 0;

    if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            n += vx_text_words(x);
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) {
            if ((strcmp(k, "text") == 0 || strcmp(k, "content") == 0) && json_is_string(x))
                n += mock_count_words(json_string_value(x));
            else
                n += vx_text_words(x);
        }
    }
    return n > 0 ? n : 1;
}

/* The first declared Gemini function, unless the last turn answers a call. */
static const json_t *vx_gemini_tool(const json_t *body)
{
    const json_t *contents = json_object_get(body, "contents"), *p, *t;
    const json_t *last = json_array_get(contents, json_array_size(contents) - 1);
    size_t i;

    json_array_foreach(json_object_get(last, "parts"), i, p) {
        if (json_object_get(p, "functionResponse") != NULL)
            return NULL;
    }
    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const json_t *d = json_array_get(json_object_get(t, "functionDeclarations"), 0);

        if (json_is_string(json_object_get(d, "name")))
            return d;
    }
    return NULL;
}

static json_t *vx_gemini_answer(const json_t *body, const char *model, const char *text,
                                const char *finish, long out_words)
{
    const json_t *tool = vx_gemini_tool(body);
    long in = vx_text_words(json_object_get(body, "contents"));
    json_t *part = tool != NULL ? json_pack("{s:{s:O,s:{s:s}}}", "functionCall", "name",
                                            json_object_get(tool, "name"), "args", "q", "mock")
                                : json_pack("{s:s}", "text", text);
    json_t *cand = json_pack("{s:{s:s,s:[o]},s:i}", "content", "role", "model", "parts", part,
                             "index", 0);

    if (cand != NULL && finish != NULL)
        json_object_set_new(cand, "finishReason", json_string(finish));
    return json_pack("{s:[o],s:{s:I,s:I,s:I},s:s}", "candidates", cand, "usageMetadata",
                     "promptTokenCount", (json_int_t)in, "candidatesTokenCount",
                     (json_int_t)out_words, "totalTokenCount", (json_int_t)(in + out_words),
                     "modelVersion", model);
}

static int vx_event(struct lmx_http_req *req, const char *event, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL &&
        (event == NULL || lmx_buf_printf(&b, "event: %s\n", event) == 0) &&
        lmx_buf_printf(&b, "data: %s\n\n", text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    free(text);
    json_decref(o);
    return err;
}

static int vx_begin_sse(struct lmx_http_req *req)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };

    return lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
}

static void vx_gemini(struct lmx_http_req *req, const json_t *body, const char *model,
                      bool stream)
{
    int err;

    if (!json_is_array(json_object_get(body, "contents"))) {
        vx_error(req, 400, "* GenerateContentRequest.contents: contents is not specified");
        return;
    }
    if (!stream) {
        mock_send_json(req, 200, vx_gemini_answer(body, model, VX_TEXT, "STOP",
                                                  mock_count_words(VX_TEXT)), VX_OOM);
        return;
    }
    err = vx_begin_sse(req);
    if (err == 0 && vx_gemini_tool(body) == NULL)
        err = vx_event(req, NULL, vx_gemini_answer(body, model, "Hello from", NULL, 2));
    if (err == 0)
        err = vx_event(req, NULL,
                       vx_gemini_answer(body, model,
                                        vx_gemini_tool(body) != NULL ? "" : " the Vertex mock.",
                                        "STOP", mock_count_words(VX_TEXT)));
    lmx_http_res_end(req, err == 0);
}

static void vx_claude(struct lmx_http_req *req, const json_t *body, const char *model,
                      bool stream)
{
    const char *ver = json_string_value(json_object_get(body, "anthropic_version"));
    const json_t *tool = json_array_get(json_object_get(body, "tools"), 0);
    long in = vx_text_words(json_object_get(body, "messages")), out = mock_count_words(VX_TEXT);
    json_t *block;
    int err;

    if (ver == NULL || strcmp(ver, "vertex-2023-10-16") != 0 ||
        json_object_get(body, "model") != NULL || !json_is_array(json_object_get(body,
                                                                                 "messages"))) {
        mock_send_json(req, 400,
                       json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "type",
                                 "invalid_request_error", "message",
                                 "llmux-mock: rawPredict needs anthropic_version "
                                 "vertex-2023-10-16, messages and no model"), VX_OOM);
        return;
    }
    block = tool != NULL ? json_pack("{s:s,s:s,s:O,s:{s:s}}", "type", "tool_use", "id",
                                     "toolu_mock1", "name", json_object_get(tool, "name"),
                                     "input", "q", "mock")
                         : json_pack("{s:s,s:s}", "type", "text", "text", VX_TEXT);
    if (!stream) {
        mock_send_json(req, 200,
                       json_pack("{s:s,s:s,s:s,s:s,s:[o],s:s,s:n,s:{s:I,s:I}}", "id",
                                 "msg_vrtx_mock",
                                 "type", "message", "role", "assistant", "model", model, "content",
                                 block, "stop_reason", tool != NULL ? "tool_use" : "end_turn",
                                 "stop_sequence", "usage", "input_tokens", (json_int_t)in,
                                 "output_tokens", (json_int_t)out), VX_OOM);
        return;
    }
    json_decref(block);
    err = vx_begin_sse(req);
    if (err == 0)
        err = vx_event(req, "message_start",
                       json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:[],s:n,s:{s:I,s:i}}}", "type",
                                 "message_start", "message", "id", "msg_vrtx_mock", "type",
                                 "message", "role", "assistant", "model", model, "content",
                                 "stop_reason", "usage", "input_tokens", (json_int_t)in,
                                 "output_tokens", 1));
    if (err == 0 && tool != NULL) {
        err = vx_event(req, "content_block_start",
                       json_pack("{s:s,s:i,s:{s:s,s:s,s:O,s:{}}}", "type", "content_block_start",
                                 "index", 0, "content_block", "type", "tool_use", "id",
                                 "toolu_mock1", "name", json_object_get(tool, "name"), "input"));
        if (err == 0)
            err = vx_event(req, "content_block_delta",
                           json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta",
                                     "index", 0, "delta", "type", "input_json_delta",
                                     "partial_json", "{\"q\":\"mock\"}"));
    } else if (err == 0) {
        err = vx_event(req, "content_block_start",
                       json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_start", "index",
                                 0, "content_block", "type", "text", "text", ""));
        for (int i = 0; err == 0 && i < 2; i++)
            err = vx_event(req, "content_block_delta",
                           json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta",
                                     "index", 0, "delta", "type", "text_delta", "text",
                                     i == 0 ? "Hello from" : " the Vertex mock."));
    }
    if (err == 0)
        err = vx_event(req, "content_block_stop",
                       json_pack("{s:s,s:i}", "type", "content_block_stop", "index", 0));
    if (err == 0)
        err = vx_event(req, "message_delta",
                       json_pack("{s:s,s:{s:s,s:n},s:{s:I}}", "type", "message_delta", "delta",
                                 "stop_reason", tool != NULL ? "tool_use" : "end_turn",
                                 "stop_sequence", "usage", "output_tokens", (json_int_t)out));
    if (err == 0)
        err = vx_event(req, "message_stop", json_pack("{s:s}", "type", "message_stop"));
    lmx_http_res_end(req, err == 0);
}

static void vx_predict(struct lmx_http_req *req, const json_t *body)
{
    const json_t *inst = json_object_get(body, "instances"), *x;
    const json_t *dims = json_object_get(json_object_get(body, "parameters"),
                                         "outputDimensionality");
    int d = json_is_integer(dims) && json_integer_value(dims) > 0 &&
                    json_integer_value(dims) <= MOCK_MAX_EMBED_DIMS
                ? (int)json_integer_value(dims)
                : MOCK_EMBED_DIMS;
    json_t *preds = json_array();
    size_t i;

    if (!json_is_array(inst) || json_array_size(inst) == 0) {
        json_decref(preds);
        vx_error(req, 400, "instances must not be empty");
        return;
    }
    json_array_foreach(inst, i, x) {
        const char *s = json_string_value(json_object_get(x, "content"));
        json_t *vals = json_array();
        uint64_t h = 14695981039346656037ull;

        for (const char *p = s; p != NULL && *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        for (int k = 0; k < d; k++) {
            h ^= h >> 29;
            h *= 0xbf58476d1ce4e5b9ull;
            json_array_append_new(vals, json_real((double)(h >> 40) / (double)(1u << 24) - 0.5));
        }
        json_array_append_new(preds, json_pack("{s:{s:o,s:{s:b,s:I}}}", "embeddings", "values",
                                               vals, "statistics", "truncated", 0, "token_count",
                                               (json_int_t)mock_count_words(s)));
    }
    mock_send_json(req, 200, json_pack("{s:o,s:{s:i}}", "predictions", preds, "metadata",
                                       "billableCharacterCount", 1), VX_OOM);
}

static void vx_openai(struct lmx_http_req *req)
{
    struct mock_in in;
    struct mock_events ev;
    struct lmx_buf out;
    uint64_t id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    int err;

    if (mock_in_parse(&in, MOCK_CHAT, req->body.data != NULL ? req->body.data : "",
                      req->body.len, NULL, 0) < 0) {
        vx_error(req, 400, "Invalid JSON payload received.");
        return;
    }
    if (!in.stream) {
        lmx_buf_init(&out, 1u << 24);
        err = mock_body_chat(&out, &in, id,
                             (size_t)MOCK_DEFAULT_CHUNKS * MOCK_DEFAULT_CHUNK_BYTES);
        if (err == 0)
            lmx_http_res_send(req, 200, NULL, 0, "application/json", out.data, out.len);
        else
            vx_error(req, 503, "llmux-mock: out of memory");
        lmx_buf_release(&out);
        mock_in_release(&in);
        return;
    }
    err = mock_events_build(&ev, MOCK_CHAT, &in, id, MOCK_DEFAULT_CHUNKS, MOCK_DEFAULT_CHUNK_BYTES,
                            false);
    if (err == 0)
        err = vx_begin_sse(req);
    for (int i = 0; err == 0 && i < ev.nchunks; i++) {
        const char *p;
        size_t n;

        mock_events_chunk(&ev, i, &p, &n);
        err = lmx_http_res_write(req, p, n);
    }
    if (err == 0)
        err = lmx_http_res_write(req, ev.ev.data + ev.tail_off, ev.tail_len);
    lmx_http_res_end(req, err == 0);
    lmx_buf_release(&ev.ev);
    mock_in_release(&in);
}

/* 0 when "Authorization: Bearer ya29.mock-<n>" is there. */
static bool vx_auth_ok(struct lmx_http_req *req)
{
    size_t n;
    const char *v = lmx_http_req_header(req, "authorization", &n);

    return v != NULL && n > 17 && strncmp(v, "Bearer ya29.mock-", 17) == 0;
}

static int vx_model_status(const char *m)
{
    const char *p = strstr(m, "mock-status-");

    return p != NULL ? atoi(p + 12) : 0;
}

bool mock_vertex_route(struct mock_worker *w, struct lmx_http_req *req)
{
    char model[256];
    enum vx_route r = vx_route_of(req->path, model, sizeof(model));
    struct mock_log_in li;
    json_t *body;
    uint64_t seq;
    int status = 200;

    if (r == VX_NONE)
        return false;
    mock_stats_count(w, req);
    mock_log_in_init(&li, req, r == VX_TOKEN ? "vertex-token" : model,
                     r == VX_STREAM || r == VX_RAW_STREAM);
    seq = mock_log_add(&li);
    if (req->method != LMX_HTTP_POST) {
        vx_error(req, 405, "llmux-mock: POST only");
        mock_log_status(seq, 405);
        return true;
    }
    if (r == VX_TOKEN) {
        mock_log_status(seq, vx_token(req));
        return true;
    }
    if (!vx_auth_ok(req)) {
        vx_error(req, 401,
                 "Request had invalid authentication credentials. Expected OAuth 2 access "
                 "token, login cookie or other valid authentication credential.");
        mock_log_status(seq, 401);
        return true;
    }
    if (r == VX_OPENAI) {
        vx_openai(req);
        mock_log_status(seq, 200);
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (!json_is_object(body)) {
        vx_error(req, 400, "Invalid JSON payload received.");
        status = 400;
    } else if (vx_model_status(model) >= 400 && vx_model_status(model) <= 599) {
        char msg[128];

        status = vx_model_status(model);
        snprintf(msg, sizeof(msg), "llmux-mock: vertex error %d (mock-status-%d)", status,
                 status);
        vx_error(req, status, msg);
    } else if (r == VX_GEN || r == VX_STREAM) {
        vx_gemini(req, body, model, r == VX_STREAM);
    } else if (r == VX_RAW || r == VX_RAW_STREAM) {
        vx_claude(req, body, model, r == VX_RAW_STREAM);
    } else {
        vx_predict(req, body);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
