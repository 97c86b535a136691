/*
 * tools/mock/watsonx.c - llmux-mock: IBM Cloud IAM and watsonx.ai chat.
 *
 *   POST /identity/token    grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=K
 *                           -> {"access_token":"wx.mock-<n>","refresh_token":"not_supported",
 *                           "token_type":"Bearer","expires_in":3600,"expiration":now+3600};
 *                           an apikey containing "refused" gets 400 BXNIM0415E as IBM
 *                           answers an unknown key. Counted under its path in /mock/stats.
 *   POST /ml/v1/text/chat?version=V, /ml/v1/text/chat_stream?version=V
 *   POST /ml/v1/deployments/{id}/text/chat(_stream)?version=V
 *                           "Hello from the watsonx mock." (a tool call of the first tool
 *                           when the request has tools and the last message is no tool
 *                           result); the stream is SSE "id: n / event: message / data: {...}",
 *                           usage on the last chunk. The body needs messages, and (not for
 *                           a deployment) model_id and project_id or space_id; version is
 *                           required. Every chat route needs "Authorization: Bearer
 *                           wx.mock-<n>" (401 authentication_token_not_valid else). A
 *                           model_id "mock-status-<code>" answers that status with IBM's
 *                           error body.
 *   POST /ml/v1/text/generation?version=V, /ml/v1/text/generation_stream?version=V
 *   POST /ml/v1/deployments/{id}/text/generation(_stream)?version=V
 *                           {model_id, created_at, results:[{generated_text: "Hello from
 *                           the watsonx mock.", generated_token_count: 5,
 *                           input_token_count: <words of input>, stop_reason: "eos_token"}]};
 *                           parameters.max_new_tokens below 5 cuts the text to that many
 *                           words with stop_reason "max_tokens". The stream is SSE
 *                           "id: n / event: message / data: {...}", one word a event
 *                           (stop_reason "not_finished" until the last) and an
 *                           "event: close" at the end. The body needs a string input and
 *                           (not for a deployment) model_id and project_id or space_id;
 *                           auth, version and mock-status-<code> as for chat.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "mock.h"

bool mock_watsonx_route(struct mock_worker *w, struct lmx_http_req *req);

#define WX_OOM "{\"errors\":[{\"code\":\"oom\",\"message\":\"llmux-mock: out of memory\"}]}"

static const char *const wx_words[] = {"Hello", " from", " the", " watsonx", " mock."};

enum wx_route { WX_NONE, WX_IAM, WX_CHAT, WX_STREAM, WX_GEN, WX_GEN_STREAM };

static _Atomic uint64_t wx_tokens;

static json_t *wx_error_obj(int status, const char *code, const char *msg)
{
    return json_pack("{s:[{s:s,s:s,s:s}],s:s,s:i}", "errors", "code", code, "message", msg,
                     "more_info", "https://cloud.ibm.com/apidocs/watsonx-ai", "trace",
                     "llmux-mock-trace", "status_code", status);
}

static enum wx_route wx_route_of(const char *path, char *dep, size_t cap)
{
    const char *p;

    dep[0] = '\0';
    if (strcmp(path, "/identity/token") == 0)
        return WX_IAM;
    if (strcmp(path, "/ml/v1/text/chat") == 0)
        return WX_CHAT;
    if (strcmp(path, "/ml/v1/text/chat_stream") == 0)
        return WX_STREAM;
    if (strcmp(path, "/ml/v1/text/generation") == 0)
        return WX_GEN;
    if (strcmp(path, "/ml/v1/text/generation_stream") == 0)
        return WX_GEN_STREAM;
    if (strncmp(path, "/ml/v1/deployments/", 19) != 0)
        return WX_NONE;
    p = strchr(path + 19, '/');
    if (p == NULL || p == path + 19)
        return WX_NONE;
    snprintf(dep, cap, "%.*s", (int)LMX_MIN((size_t)(p - path - 19), cap - 1), path + 19);
    if (strcmp(p, "/text/chat") == 0)
        return WX_CHAT;
    if (strcmp(p, "/text/chat_stream") == 0)
        return WX_STREAM;
    if (strcmp(p, "/text/generation") == 0)
        return WX_GEN;
    if (strcmp(p, "/text/generation_stream") == 0)
        return WX_GEN_STREAM;
    return WX_NONE;
}

static int wx_iam(struct lmx_http_req *req)
{
    const char *b = req->body.data != NULL ? req->body.data : "";
    const char *k = strstr(b, "apikey=");
    char tok[64];
    uint64_t n;
    long long now = (long long)time(NULL);

    if (strstr(b, "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey") == NULL &&
        strstr(b, "grant_type=urn:ibm:params:oauth:grant-type:apikey") == NULL) {
        mock_send_json(req, 400,
                       json_pack("{s:s,s:s,s:s}", "errorCode", "BXNIM0103E", "errorMessage",
                                 "Properties missing: grant_type", "context", "llmux-mock"),
                       WX_OOM);
        return 400;
    }
    if (k == NULL || k[7] == '\0' || k[7] == '&' || strstr(k, "refused") != NULL) {
        mock_send_json(req, 400,
                       json_pack("{s:s,s:s,s:s}", "errorCode", "BXNIM0415E", "errorMessage",
                                 "Provided API key could not be found.", "context", "llmux-mock"),
                       WX_OOM);
        return 400;
    }
    n = atomic_fetch_add_explicit(&wx_tokens, 1, memory_order_relaxed) + 1;
    snprintf(tok, sizeof(tok), "wx.mock-%llu", (unsigned long long)n);
    mock_send_json(req, 200,
                   json_pack("{s:s,s:s,s:s,s:i,s:I,s:s}", "access_token", tok, "refresh_token",
                             "not_supported", "token_type", "Bearer", "expires_in", 3600,
                             "expiration", (json_int_t)(now + 3600), "scope", "ibm openid"),
                   WX_OOM);
    return 200;
}

/* The first tool, unless the last message is a tool result. */
static const json_t *wx_tool(const json_t *body)
{
    const json_t *msgs = json_object_get(body, "messages");
    const json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    const char *role = json_string_value(json_object_get(last, "role"));

    if (role != NULL && strcmp(role, "tool") == 0)
        return NULL;
    return json_object_get(json_array_get(json_object_get(body, "tools"), 0), "function");
}

static long wx_words_of(const char *s)
{
    bool in = false;
    long n = 0;

    for (; s != NULL && *s; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t';

        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

static long wx_prompt_words(const json_t *body)
{
    const json_t *m;
    size_t i;
    long n = 0;

    json_array_foreach(json_object_get(body, "messages"), i, m)
        n += wx_words_of(json_string_value(json_object_get(m, "content")));
    return n > 0 ? n : 1;
}

/* {id, model_id, model, choices:[one], created, model_version, created_at[, usage]} */
static json_t *wx_obj(const char *model, json_t *choice, json_t *usage)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:[o],s:I,s:s,s:s}", "id", "chat-llmuxmock", "model_id",
                          model, "model", model, "choices", choice, "created",
                          (json_int_t)time(NULL), "model_version", "1.0.0", "created_at",
                          "2025-01-01T00:00:00.000Z");

    if (o != NULL && usage != NULL)
        json_object_set_new(o, "usage", usage);
    else
        json_decref(usage);
    return o;
}

static json_t *wx_usage(long in, long out)
{
    return json_pack("{s:I,s:I,s:I}", "completion_tokens", (json_int_t)out, "prompt_tokens",
                     (json_int_t)in, "total_tokens", (json_int_t)(in + out));
}

static json_t *wx_call(const json_t *tool)
{
    return json_pack("[{s:s,s:s,s:{s:O,s:s}}]", "id", "chatcmpl-tool-mock1", "type", "function",
                     "function", "name", json_object_get(tool, "name"), "arguments",
                     "{\"q\":\"mock\"}");
}

static int wx_event(struct lmx_http_req *req, int n, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && lmx_buf_printf(&b, "id: %d\nevent: message\ndata: %s\n\n", n, text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    free(text);
    json_decref(o);
    return err;
}

static void wx_chat(struct lmx_http_req *req, const json_t *body, const char *model, bool stream)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };
    const json_t *tool = wx_tool(body);
    long in = wx_prompt_words(body), out = (long)LMX_ARRAY_SIZE(wx_words);
    int err, ev = 1;

    if (!stream) {
        json_t *msg = tool != NULL ? json_pack("{s:s,s:o}", "role", "assistant", "tool_calls",
                                               wx_call(tool))
                                   : json_pack("{s:s,s:s}", "role", "assistant", "content",
                                               "Hello from the watsonx mock.");

        mock_send_json(req, 200,
                       wx_obj(model,
                              json_pack("{s:i,s:o,s:s}", "index", 0, "message", msg,
                                        "finish_reason", tool != NULL ? "tool_calls" : "stop"),
                              wx_usage(in, out)), WX_OOM);
        return;
    }
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (err == 0)
        err = wx_event(req, ev++,
                       wx_obj(model,
                              json_pack("{s:i,s:n,s:{s:s,s:s}}", "index", 0, "finish_reason",
                                        "delta", "role", "assistant", "content", ""),
                              NULL));
    if (tool != NULL) {
        if (err == 0)
            err = wx_event(req, ev++,
                           wx_obj(model,
                                  json_pack("{s:i,s:n,s:{s:o}}", "index", 0, "finish_reason",
                                            "delta", "tool_calls", wx_call(tool)),
                                  NULL));
    } else {
        for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(wx_words); i++)
            err = wx_event(req, ev++,
                           wx_obj(model,
                                  json_pack("{s:i,s:n,s:{s:s}}", "index", 0, "finish_reason",
                                            "delta", "content", wx_words[i]),
                                  NULL));
    }
    if (err == 0)
        err = wx_event(req, ev++,
                       wx_obj(model,
                              json_pack("{s:i,s:s,s:{}}", "index", 0, "finish_reason",
                                        tool != NULL ? "tool_calls" : "stop", "delta"),
                              wx_usage(in, out)));
    lmx_http_res_end(req, err == 0);
}

/* {model_id, created_at, results:[{generated_text, counts, stop_reason}]} */
static json_t *wx_gen_obj(const char *model, const char *text, long out, long in,
                          const char *stop)
{
    return json_pack("{s:s,s:s,s:s,s:[{s:s,s:I,s:I,s:s}]}", "model_id", model, "model_version",
                     "1.0.0", "created_at", "2025-01-01T00:00:00.000Z", "results",
                     "generated_text", text, "generated_token_count", (json_int_t)out,
                     "input_token_count", (json_int_t)in, "stop_reason", stop);
}

static void wx_generation(struct lmx_http_req *req, const json_t *body, const char *model,
                          bool stream)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
    };
    const json_t *mx = json_object_get(json_object_get(body, "parameters"), "max_new_tokens");
    long in = wx_words_of(json_string_value(json_object_get(body, "input")));
    size_t n = LMX_ARRAY_SIZE(wx_words);
    char text[128] = "";
    const char *stop = "eos_token";
    int err, ev = 1;

    if (json_is_integer(mx) && json_integer_value(mx) > 0 &&
        (size_t)json_integer_value(mx) < n) {
        n = (size_t)json_integer_value(mx);
        stop = "max_tokens";
    }
    if (!stream) {
        for (size_t i = 0; i < n; i++)
            strcat(text, wx_words[i]);
        mock_send_json(req, 200, wx_gen_obj(model, text, (long)n, in, stop), WX_OOM);
        return;
    }
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    for (size_t i = 0; err == 0 && i < n; i++)
        err = wx_event(req, ev++,
                       wx_gen_obj(model, wx_words[i], (long)i + 1, i == 0 ? in : 0,
                                  i + 1 == n ? stop : "not_finished"));
    if (err == 0)
        err = lmx_http_res_write(req, "id: 99\nevent: close\n\n", 21);
    lmx_http_res_end(req, err == 0);
}

bool mock_watsonx_route(struct mock_worker *w, struct lmx_http_req *req)
{
    char dep[128];
    enum wx_route r = wx_route_of(req->path, dep, sizeof(dep));
    struct mock_log_in li;
    const char *model = NULL, *auth;
    json_t *body = NULL;
    size_t n;
    uint64_t seq;
    int status = 200;

    if (r == WX_NONE)
        return false;
    mock_stats_count(w, req);
    if (r != WX_IAM)
        body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    model = json_string_value(json_object_get(body, "model_id"));
    if (model == NULL)
        model = r == WX_IAM ? "watsonx-iam" : dep;
    mock_log_in_init(&li, req, model, r == WX_STREAM || r == WX_GEN_STREAM);
    seq = mock_log_add(&li);
    auth = lmx_http_req_header(req, "authorization", &n);
    if (req->method != LMX_HTTP_POST) {
        status = 405;
        mock_send_json(req, 405, wx_error_obj(405, "method_not_allowed", "POST only"), WX_OOM);
    } else if (r == WX_IAM) {
        status = wx_iam(req);
    } else if (auth == NULL || n <= 15 || strncmp(auth, "Bearer wx.mock-", 15) != 0) {
        status = 401;
        mock_send_json(req, 401,
                       wx_error_obj(401, "authentication_token_not_valid",
                                    "Failed to authenticate the request due to invalid token"),
                       WX_OOM);
    } else if (lmx_http_req_query(req, "version") == NULL) {
        status = 400;
        mock_send_json(req, 400,
                       wx_error_obj(400, "missing_required_query_parameter",
                                    "Missing required query parameter 'version'"), WX_OOM);
    } else if ((r == WX_GEN || r == WX_GEN_STREAM) &&
               (!json_is_string(json_object_get(body, "input")) ||
                (dep[0] == '\0' && (json_object_get(body, "model_id") == NULL ||
                                    (json_object_get(body, "project_id") == NULL &&
                                     json_object_get(body, "space_id") == NULL))))) {
        status = 400;
        mock_send_json(req, 400,
                       wx_error_obj(400, "json_validation_error",
                                    "Json document validation error: model_id, project_id or "
                                    "space_id, and input are required"), WX_OOM);
    } else if (r != WX_GEN && r != WX_GEN_STREAM &&
               (!json_is_object(body) || !json_is_array(json_object_get(body, "messages")) ||
               (dep[0] == '\0' && (json_object_get(body, "model_id") == NULL ||
                                   (json_object_get(body, "project_id") == NULL &&
                                    json_object_get(body, "space_id") == NULL))))) {
        status = 400;
        mock_send_json(req, 400,
                       wx_error_obj(400, "json_validation_error",
                                    "Json document validation error: model_id, project_id or "
                                    "space_id, and messages are required"), WX_OOM);
    } else if (strstr(model, "mock-status-") != NULL) {
        status = atoi(strstr(model, "mock-status-") + 12);
        if (status < 400 || status > 599)
            status = 500;
        mock_send_json(req, status, wx_error_obj(status, "mock_status", "llmux-mock: mock-status"),
                       WX_OOM);
    } else if (r == WX_GEN || r == WX_GEN_STREAM) {
        wx_generation(req, body, model, r == WX_GEN_STREAM);
    } else {
        wx_chat(req, body, model, r == WX_STREAM);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
