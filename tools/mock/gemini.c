/*
 * tools/mock/gemini.c - llmux-mock: the Gemini API (Google AI Studio) on its real paths.
 *
 *   POST /{version}/models/{model}:generateContent          GenerateContentResponse
 *   POST /{version}/models/{model}:streamGenerateContent    SSE, "data: {json}\r\n\r\n" events,
 *                                                            each a whole GenerateContentResponse
 *   POST /{version}/models/{model}:batchEmbedContents       {"embeddings":[{"values":[...]}]}
 *
 * {version} is any "v..." segment (v1beta, v1, v1alpha). Auth: with --api-key,
 * the x-goog-api-key header (or ?key=): missing -> 403 PERMISSION_DENIED,
 * wrong -> 400 INVALID_ARGUMENT "API key not valid", as Google answers.
 *
 * The answer: "Hello from the Gemini mock." (cut to maxOutputTokens words with
 * finishReason MAX_TOKENS); a thought part first when thinkingConfig asks for
 * thoughts; with functionDeclarations (and mode not NONE, and no
 * functionResponse in the last turn) a functionCall of the first function
 * with {} or, when it declares properties, {"<first property>":"mock"}.
 * usageMetadata counts words. Model-name controls: "mock-status-<code>"
 * answers that status with Google's error body (a /mock/fail rule with a
 * status does the same); "mock-stream-error" sends one event, then an error
 * event (429 RESOURCE_EXHAUSTED); "mock-blocked" answers a blocked prompt
 * (promptFeedback.blockReason, no candidates). Everything is deterministic.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_gemini_route(struct mock_worker *w, struct lmx_http_req *req);

#define GM_OOM                                                   \
    "{\"error\":{\"code\":503,\"message\":\"llmux-mock: out of " \
    "memory\",\"status\":\"UNAVAILABLE\"}}"

static const char *const gm_words[] = {"Hello", " from", " the", " Gemini", " mock."};
#define GM_THOUGHT "Thinking about the question."

enum gm_method { GM_NONE, GM_GENERATE, GM_STREAM, GM_EMBED };

/* "/v1beta/models/{model}:{method}" -> the method, and the model in buf. */
/* gm_words[from..to) joined into out (cap bytes; the words are short and fixed). */
static void gm_join(char *out, size_t cap, size_t from, size_t to)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = from; i < to && i < LMX_ARRAY_SIZE(gm_words); i++)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s", gm_words[i]);
}

static enum gm_method gm_route(const char *path, char *model, size_t cap)
{
    const char *p = path, *colon, *m;
    size_t n;

    if (p[0] != '/' || p[1] != 'v')
        return GM_NONE;
    p = strchr(p + 1, '/');
    if (p == NULL || strncmp(p, "/models/", 8) != 0)
        return GM_NONE;
    p += 8;
    colon = strrchr(p, ':');
    if (colon == NULL || colon == p)
        return GM_NONE;
    n = (size_t)(colon - p);
    if (n >= cap)
        n = cap - 1;
    memcpy(model, p, n);
    model[n] = '\0';
    m = colon + 1;
    if (strcmp(m, "generateContent") == 0)
        return GM_GENERATE;
    if (strcmp(m, "streamGenerateContent") == 0)
        return GM_STREAM;
    if (strcmp(m, "batchEmbedContents") == 0)
        return GM_EMBED;
    return GM_NONE;
}

static const char *gm_rpc_status(int status)
{
    switch (status) {
    case 400:
        return "INVALID_ARGUMENT";
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 409:
        return "ABORTED";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 499:
        return "CANCELLED";
    case 500:
        return "INTERNAL";
    case 501:
        return "NOT_IMPLEMENTED";
    case 503:
        return "UNAVAILABLE";
    case 504:
        return "DEADLINE_EXCEEDED";
    default:
        return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
    }
}

static json_t *gm_error_obj(int status, const char *msg)
{
    return json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status, "message", msg, "status",
                     gm_rpc_status(status));
}

static void gm_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    mock_send_json(req, status, gm_error_obj(status, msg), GM_OOM);
}

/* 0 when the key matches (or none is required), else the status to answer. */
static int gm_auth(const struct mock_worker *w, struct lmx_http_req *req)
{
    const char *key = w->opts->api_key, *q;
    size_t n;
    const char *v = lmx_http_req_header(req, "x-goog-api-key", &n);

    if (key == NULL)
        return 0;
    if (v == NULL) {
        q = lmx_http_req_query(req, "key");
        if (q == NULL)
            return 403;
        v = q;
        n = strlen(q);
    }
    return lmx_ct_equal(v, n, key, strlen(key)) ? 0 : 400;
}

/* Words of the text parts of systemInstruction and every content. */
static long gm_prompt_words(const json_t *body)
{
    const json_t *c, *p;
    size_t i, j;
    long n = 0;

    json_array_foreach(json_object_get(json_object_get(body, "systemInstruction"), "parts"), j, p) {
        n += mock_count_words(json_string_value(json_object_get(p, "text")));
    }
    json_array_foreach(json_object_get(body, "contents"), i, c) {
        json_array_foreach(json_object_get(c, "parts"), j, p) {
            n += mock_count_words(json_string_value(json_object_get(p, "text")));
        }
    }
    return n > 0 ? n : 1;
}

/* The first declared function, unless calling is off or the last turn answers a call. */
static const json_t *gm_tool(const json_t *body)
{
    const json_t *t, *contents = json_object_get(body, "contents"), *last, *p;
    const char *mode = json_string_value(json_object_get(
        json_object_get(json_object_get(body, "toolConfig"), "functionCallingConfig"), "mode"));
    size_t i;

    if (mode != NULL && strcmp(mode, "NONE") == 0)
        return NULL;
    last = json_array_get(contents, json_array_size(contents) - 1);
    json_array_foreach(json_object_get(last, "parts"), i, p) {
        if (json_object_get(p, "functionResponse") != NULL)
            return NULL;
    }
    json_array_foreach(json_object_get(body, "tools"), i, t) {
        const json_t *d = json_array_get(json_object_get(t, "functionDeclarations"), 0);

        if (d == NULL)
            d = json_array_get(json_object_get(t, "function_declarations"), 0);
        if (json_is_string(json_object_get(d, "name")))
            return d;
    }
    return NULL;
}

/* {} or {"<first property>":"mock"}. */
static json_t *gm_args(const json_t *decl)
{
    const json_t *props = json_object_get(json_object_get(decl, "parameters"), "properties");
    void *it = json_object_iter((json_t *)props);

    if (it == NULL)
        return json_object();
    return json_pack("{s:s}", json_object_iter_key(it), "mock");
}

static bool gm_thinking(const json_t *body)
{
    return json_is_true(json_object_get(
        json_object_get(json_object_get(body, "generationConfig"), "thinkingConfig"),
        "includeThoughts"));
}

/* How many answer words fit maxOutputTokens. */
static size_t gm_nwords(const json_t *body)
{
    const json_t *m = json_object_get(json_object_get(body, "generationConfig"), "maxOutputTokens");
    size_t n = LMX_ARRAY_SIZE(gm_words);

    if (json_is_integer(m) && json_integer_value(m) >= 0 && (size_t)json_integer_value(m) < n)
        n = (size_t)json_integer_value(m);
    return n;
}

static json_t *gm_usage(long prompt, long cand, long thoughts)
{
    json_t *u = json_pack("{s:I,s:I,s:I,s:[{s:s,s:I}]}", "promptTokenCount", (json_int_t)prompt,
                          "candidatesTokenCount", (json_int_t)cand, "totalTokenCount",
                          (json_int_t)(prompt + cand + thoughts), "promptTokensDetails", "modality",
                          "TEXT", "tokenCount", (json_int_t)prompt);

    if (u != NULL && thoughts > 0 &&
        json_object_set_new(u, "thoughtsTokenCount", json_integer(thoughts)) < 0) {
        json_decref(u);
        return NULL;
    }
    return u;
}

/* One GenerateContentResponse; `parts` and `usage` stolen; finish may be NULL. */
static json_t *
gm_response(json_t *parts, const char *finish, json_t *usage, const char *model, const char *rid)
{
    json_t *cand =
        json_pack("{s:{s:o,s:s},s:i}", "content", "parts", parts, "role", "model", "index", 0);
    json_t *r;

    if (cand != NULL && finish != NULL &&
        json_object_set_new(cand, "finishReason", json_string(finish)) < 0) {
        json_decref(cand);
        cand = NULL;
    }
    r = json_pack("{s:[o],s:s,s:s}", "candidates", cand, "modelVersion", model, "responseId", rid);
    if (r != NULL && usage != NULL && json_object_set_new(r, "usageMetadata", usage) < 0) {
        json_decref(r);
        return NULL;
    }
    if (r == NULL)
        json_decref(usage);
    return r;
}

static json_t *gm_text(const char *s, bool thought)
{
    return thought ? json_pack("{s:s,s:b}", "text", s, "thought", 1)
                   : json_pack("{s:s}", "text", s);
}

static void
gm_generate(struct lmx_http_req *req, const json_t *body, const char *model, const char *rid)
{
    const json_t *tool = gm_tool(body);
    bool think = gm_thinking(body);
    long prompt = gm_prompt_words(body), thoughts = think ? mock_count_words(GM_THOUGHT) : 0;
    json_t *parts = json_array();
    size_t nw = gm_nwords(body);
    char text[128] = "";

    if (parts != NULL && think)
        json_array_append_new(parts, gm_text(GM_THOUGHT, true));
    if (tool != NULL) {
        json_array_append_new(parts,
                              json_pack("{s:{s:O,s:o}}", "functionCall", "name",
                                        json_object_get(tool, "name"), "args", gm_args(tool)));
        mock_send_json(req, 200,
                       gm_response(parts, "STOP", gm_usage(prompt, 4, thoughts), model,
                                   rid), GM_OOM);
        return;
    }
    gm_join(text, sizeof(text), 0, nw);
    json_array_append_new(parts, gm_text(text, false));
    mock_send_json(req, 200,
                   gm_response(parts, nw < LMX_ARRAY_SIZE(gm_words) ? "MAX_TOKENS" : "STOP",
                               gm_usage(prompt, (long)nw, thoughts), model, rid), GM_OOM);
}

/* One "data: <json>\r\n\r\n" event (o consumed). */
static int gm_event(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && lmx_buf_printf(&b, "data: %s\r\n\r\n", text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    lmx_free(text);
    json_decref(o);
    return err;
}

/* A stream of one event (o consumed). */
static void gm_stream_one(struct lmx_http_req *req, json_t *o)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };
    int err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);

    if (err == 0)
        err = gm_event(req, o);
    else
        json_decref(o);
    lmx_http_res_end(req, err == 0);
}

static void gm_stream(
    struct lmx_http_req *req, const json_t *body, const char *model, const char *rid, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
        {"Cache-Control", 13, "no-cache", 8},
    };
    const json_t *tool = gm_tool(body);
    bool think = gm_thinking(body);
    long prompt = gm_prompt_words(body), thoughts = think ? mock_count_words(GM_THOUGHT) : 0;
    size_t nw = fail ? 2 : gm_nwords(body);
    int err;

    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (err == 0 && think)
        err = gm_event(req, gm_response(json_pack("[o]", gm_text(GM_THOUGHT, true)), NULL,
                                        gm_usage(prompt, 0, thoughts), model, rid));
    if (tool != NULL) {
        if (err == 0)
            err = gm_event(
                req, gm_response(json_pack("[{s:{s:O,s:o}}]", "functionCall", "name",
                                           json_object_get(tool, "name"), "args", gm_args(tool)),
                                 NULL, gm_usage(prompt, 4, thoughts), model, rid));
        if (err == 0)
            err = gm_event(req, gm_response(json_pack("[o]", gm_text("", false)), "STOP",
                                            gm_usage(prompt, 4, thoughts), model, rid));
        lmx_http_res_end(req, err == 0);
        return;
    }
    /* the words in three events; the finish reason rides on the last one */
    for (size_t i = 0; err == 0 && i < nw; i += 2) {
        char text[64] = "";
        bool last = i + 2 >= nw;

        gm_join(text, sizeof(text), i, LMX_MIN(i + 2, nw));
        err = gm_event(
            req, gm_response(json_pack("[o]", gm_text(text, false)),
                             last && !fail ? (nw < LMX_ARRAY_SIZE(gm_words) ? "MAX_TOKENS" : "STOP")
                                           : NULL,
                             gm_usage(prompt, (long)LMX_MIN(i + 2, nw), thoughts), model, rid));
    }
    if (err == 0 && nw == 0)
        err = gm_event(req, gm_response(json_pack("[o]", gm_text("", false)), "MAX_TOKENS",
                                        gm_usage(prompt, 0, thoughts), model, rid));
    if (err == 0 && fail)
        err = gm_event(req, gm_error_obj(429, "Resource has been exhausted (e.g. check quota). "
                                              "(llmux-mock: mock-stream-error)"));
    lmx_http_res_end(req, err == 0);
}

/* A deterministic vector for a text. */
static json_t *gm_vector(const char *s, int dims)
{
    json_t *v = json_array();
    uint64_t h = 14695981039346656037ull;

    for (const char *p = s; p != NULL && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (int i = 0; v != NULL && i < dims; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        if (json_array_append_new(v, json_real((double)(h >> 40) / (double)(1u << 24) - 0.5)) < 0) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

/* Returns the status answered. */
static int gm_embed(struct lmx_http_req *req, const json_t *body)
{
    const json_t *reqs = json_object_get(body, "requests"), *r;
    json_t *embs = json_array();
    size_t i;

    if (!json_is_array(reqs) || json_array_size(reqs) == 0) {
        json_decref(embs);
        gm_send_error(req, 400, "* BatchEmbedContentsRequest.requests: requests must not be empty");
        return 400;
    }
    json_array_foreach(reqs, i, r) {
        const json_t *dims = json_object_get(r, "outputDimensionality");
        const json_t *part0 =
            json_array_get(json_object_get(json_object_get(r, "content"), "parts"), 0);
        const char *text = json_string_value(json_object_get(part0, "text"));
        int d = json_is_integer(dims) && json_integer_value(dims) > 0 &&
                        json_integer_value(dims) <= MOCK_MAX_EMBED_DIMS
                    ? (int)json_integer_value(dims)
                    : MOCK_EMBED_DIMS;

        if (embs != NULL &&
            json_array_append_new(embs, json_pack("{s:o}", "values", gm_vector(text, d))) < 0) {
            json_decref(embs);
            embs = NULL;
        }
    }
    mock_send_json(req, 200, json_pack("{s:o}", "embeddings", embs), GM_OOM);
    return 200;
}

bool mock_gemini_route(struct mock_worker *w, struct lmx_http_req *req)
{
    char model[256], rid[48];
    enum gm_method m = gm_route(req->path, model, sizeof(model));
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body;
    uint64_t seq, id;
    int status;

    if (m == GM_NONE)
        return false;
    mock_stats_count(w, req);
    mock_log_in_init(&li, req, model, m == GM_STREAM);
    status = mock_model_status(model);
    if (mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    if (req->method != LMX_HTTP_POST) {
        gm_send_error(req, 405, "llmux-mock: POST only");
        mock_log_status(seq, 405);
        return true;
    }
    switch (gm_auth(w, req)) {
    case 403:
        gm_send_error(req, 403,
                      "Method doesn't allow unregistered callers (callers without established "
                      "identity). Please use API Key or other form of API consumer identity to "
                      "call this API.");
        mock_log_status(seq, 403);
        return true;
    case 400:
        gm_send_error(req, 400, "API key not valid. Please pass a valid API key.");
        mock_log_status(seq, 400);
        return true;
    default:
        break;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        gm_send_error(req, 400, "Invalid JSON payload received. Unexpected token.");
        mock_log_status(seq, 400);
        return true;
    }
    id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    snprintf(rid, sizeof(rid), "mock-%llu", (unsigned long long)id);
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: gemini error %d (mock-status-%d)", status, status);
        gm_send_error(req, status, msg);
    } else if (m == GM_EMBED) {
        status = gm_embed(req, body);
    } else if (strstr(model, "mock-blocked") != NULL) {
        json_t *o =
            json_pack("{s:{s:s},s:o,s:s}", "promptFeedback", "blockReason", "SAFETY",
                      "usageMetadata", gm_usage(gm_prompt_words(body), 0, 0), "responseId", rid);

        status = 200;
        if (m == GM_STREAM)
            gm_stream_one(req, o);
        else
            mock_send_json(req, 200, o, GM_OOM);
    } else if (m == GM_STREAM) {
        status = 200;
        gm_stream(req, body, model, rid, strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        gm_generate(req, body, model, rid);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
