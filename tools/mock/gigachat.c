/*
 * tools/mock/gigachat.c - llmux-mock: Sber GigaChat's OAuth endpoint and chat.
 *
 *   POST /api/v2/oauth            scope=S with "Authorization: Basic <credentials>" and a
 *                                 36-character "RqUID" -> {"access_token":"gc.mock-<n>",
 *                                 "expires_at":<epoch ms, now + 30 min>}; credentials
 *                                 containing "refused" get 401 {"code":6,"message":
 *                                 "credentials doesn't match db data"}; a missing RqUID or
 *                                 scope gets 400. Counted under its path in /mock/stats.
 *   POST /api/v1/chat/completions "Hello from the gigachat mock." (a function_call of the
 *                                 first function, finish_reason "function_call", when the
 *                                 request has functions and the last message is no function
 *                                 result); with "stream": true, SSE "data: {...}" chunks
 *                                 without id (object "chat.completion"), usage on the last,
 *                                 then "data: [DONE]". Needs "Authorization: Bearer
 *                                 gc.mock-<n>" (401 else), model and messages; OpenAI's
 *                                 "tools", "tool_choice" and role "tool" are refused with 422
 *                                 as GigaChat does not know them. A model
 *                                 "mock-status-<code>" answers that status.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "mock.h"

bool mock_gigachat_route(struct mock_worker *w, struct lmx_http_req *req);

#define GC_OOM "{\"status\":503,\"message\":\"llmux-mock: out of memory\"}"

static const char *const gc_words[] = {"Hello", " from", " the", " gigachat", " mock."};

static _Atomic uint64_t gc_tokens;

static json_t *gc_error(int status, const char *msg)
{
    return json_pack("{s:i,s:s}", "status", status, "message", msg);
}

static int gc_oauth(struct lmx_http_req *req)
{
    const char *b = req->body.data != NULL ? req->body.data : "";
    const char *auth, *rq;
    size_t an = 0, rn = 0;
    char tok[64], cred[512];
    uint64_t n;

    auth = lmx_http_req_header(req, "authorization", &an);
    rq = lmx_http_req_header(req, "rquid", &rn);
    if (rq == NULL || rn != 36 || strstr(b, "scope=") == NULL) {
        mock_send_json(req, 400, gc_error(400, "RqUID header and scope are required"), GC_OOM);
        return 400;
    }
    snprintf(cred, sizeof(cred), "%.*s", auth != NULL ? (int)LMX_MIN(an, sizeof(cred) - 1) : 0,
             auth != NULL ? auth : "");
    if (an <= 6 || strncmp(cred, "Basic ", 6) != 0 || strstr(cred, "refused") != NULL) {
        mock_send_json(req, 401,
                       json_pack("{s:i,s:s}", "code", 6, "message",
                                 "credentials doesn't match db data"),
                       GC_OOM);
        return 401;
    }
    n = atomic_fetch_add_explicit(&gc_tokens, 1, memory_order_relaxed) + 1;
    snprintf(tok, sizeof(tok), "gc.mock-%llu", (unsigned long long)n);
    mock_send_json(req, 200,
                   json_pack("{s:s,s:I}", "access_token", tok, "expires_at",
                             (json_int_t)((long long)time(NULL) * 1000 + 1800000LL)),
                   GC_OOM);
    return 200;
}

/* The first function, unless the last message is a function result. */
static const json_t *gc_function(const json_t *body)
{
    const json_t *msgs = json_object_get(body, "messages");
    const json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    const char *role = json_string_value(json_object_get(last, "role"));

    if (role != NULL && strcmp(role, "function") == 0)
        return NULL;
    return json_array_get(json_object_get(body, "functions"), 0);
}

/* An OpenAI field GigaChat does not know, or NULL. */
static const char *gc_foreign(const json_t *body)
{
    const json_t *m;
    size_t i;

    if (json_object_get(body, "tools") != NULL)
        return "tools";
    if (json_object_get(body, "tool_choice") != NULL)
        return "tool_choice";
    json_array_foreach(json_object_get(body, "messages"), i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (role != NULL && strcmp(role, "tool") == 0)
            return "messages.role=tool";
        if (json_object_get(m, "tool_calls") != NULL)
            return "messages.tool_calls";
        if (!json_is_string(json_object_get(m, "content")))
            return "messages.content (a string is required)";
    }
    return NULL;
}

static long gc_prompt_words(const json_t *body)
{
    const json_t *m;
    size_t i;
    long n = 0;

    json_array_foreach(json_object_get(body, "messages"), i, m)
        n += mock_count_words(json_string_value(json_object_get(m, "content")));
    return n > 0 ? n : 1;
}

static json_t *gc_usage(long in, long out)
{
    return json_pack("{s:I,s:I,s:I,s:I}", "prompt_tokens", (json_int_t)in, "completion_tokens",
                     (json_int_t)out, "total_tokens", (json_int_t)(in + out),
                     "precached_prompt_tokens", (json_int_t)0);
}

static json_t *gc_call(const json_t *fn)
{
    return json_pack("{s:O,s:{s:s}}", "name", json_object_get(fn, "name"), "arguments", "q",
                     "mock");
}

/* {choices:[one], created, model, object[, usage]} */
static json_t *gc_obj(const char *model, json_t *choice, json_t *usage)
{
    json_t *o = json_pack("{s:[o],s:I,s:s,s:s}", "choices", choice, "created",
                          (json_int_t)time(NULL), "model", model, "object", "chat.completion");

    if (o != NULL && usage != NULL)
        json_object_set_new(o, "usage", usage);
    else
        json_decref(usage);
    return o;
}

static int gc_event(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && lmx_buf_printf(&b, "data: %s\n\n", text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    free(text);
    json_decref(o);
    return err;
}

static void gc_chat(struct lmx_http_req *req, const json_t *body, const char *model, bool stream)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };
    const json_t *fn = gc_function(body);
    long in = gc_prompt_words(body), out = (long)LMX_ARRAY_SIZE(gc_words);
    int err;

    if (!stream) {
        json_t *msg = fn != NULL ? json_pack("{s:s,s:s,s:o,s:s}", "role", "assistant", "content",
                                             "", "function_call", gc_call(fn),
                                             "functions_state_id", "mock-state-1")
                                 : json_pack("{s:s,s:s}", "role", "assistant", "content",
                                             "Hello from the gigachat mock.");

        mock_send_json(req, 200,
                       gc_obj(model,
                              json_pack("{s:i,s:o,s:s}", "index", 0, "message", msg,
                                        "finish_reason", fn != NULL ? "function_call" : "stop"),
                              gc_usage(in, out)),
                       GC_OOM);
        return;
    }
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (fn != NULL) {
        if (err == 0)
            err = gc_event(req, gc_obj(model,
                                       json_pack("{s:i,s:s,s:{s:s,s:s,s:o,s:s}}", "index", 0,
                                                 "finish_reason", "function_call", "delta",
                                                 "role", "assistant", "content", "",
                                                 "function_call", gc_call(fn),
                                                 "functions_state_id", "mock-state-1"),
                                       gc_usage(in, 1)));
    } else {
        for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(gc_words); i++)
            err = gc_event(req, gc_obj(model,
                                       json_pack("{s:i,s:{s:s,s:s}}", "index", 0, "delta",
                                                 "content", gc_words[i], "role", "assistant"),
                                       NULL));
        if (err == 0)
            err = gc_event(req, gc_obj(model,
                                       json_pack("{s:i,s:s,s:{s:s,s:s}}", "index", 0,
                                                 "finish_reason", "stop", "delta", "content",
                                                 "", "role", "assistant"),
                                       gc_usage(in, out)));
    }
    if (err == 0)
        err = lmx_http_res_write(req, "data: [DONE]\n\n", 14);
    lmx_http_res_end(req, err == 0);
}

bool mock_gigachat_route(struct mock_worker *w, struct lmx_http_req *req)
{
    bool oauth = strcmp(req->path, "/api/v2/oauth") == 0;
    struct mock_log_in li;
    const char *model = NULL, *auth, *foreign;
    json_t *body = NULL;
    size_t n = 0;
    uint64_t seq;
    int status = 200;
    bool stream;

    if (!oauth && strcmp(req->path, "/api/v1/chat/completions") != 0)
        return false;
    mock_stats_count(w, req);
    if (!oauth)
        body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    model = json_string_value(json_object_get(body, "model"));
    stream = json_is_true(json_object_get(body, "stream"));
    mock_log_in_init(&li, req, oauth ? "gigachat-oauth" : model, stream);
    seq = mock_log_add(&li);
    auth = lmx_http_req_header(req, "authorization", &n);
    if (req->method != LMX_HTTP_POST) {
        status = 405;
        mock_send_json(req, 405, gc_error(405, "POST only"), GC_OOM);
    } else if (oauth) {
        status = gc_oauth(req);
    } else if (auth == NULL || n <= 15 || strncmp(auth, "Bearer gc.mock-", 15) != 0) {
        status = 401;
        mock_send_json(req, 401, gc_error(401, "Unauthorized"), GC_OOM);
    } else if (model == NULL || !json_is_array(json_object_get(body, "messages"))) {
        status = 422;
        mock_send_json(req, 422, gc_error(422, "model and messages are required"), GC_OOM);
    } else if ((foreign = gc_foreign(body)) != NULL) {
        char msg[128];

        status = 422;
        snprintf(msg, sizeof(msg), "Invalid params: %s", foreign);
        mock_send_json(req, 422, gc_error(422, msg), GC_OOM);
    } else if (mock_model_status(model) != 0) {
        status = mock_model_status(model);
        mock_send_json(req, status, gc_error(status, "llmux-mock: mock-status"), GC_OOM);
    } else {
        gc_chat(req, body, model, stream);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
