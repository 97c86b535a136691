/*
 * tools/mock/anthropic.c - llmux-mock: Anthropic's Messages API on its real path.
 *
 *   POST /v1/messages   a message, or with "stream": true the typed SSE events
 *                       (message_start, content_block_start/delta/stop, ping,
 *                       message_delta, message_stop; data lines padded with
 *                       spaces as the real API does)
 *
 * Checks what the real API checks first: with --api-key, "x-api-key: <key>"
 * (401 authentication_error else); an anthropic-version header (400 else); a
 * body with model, messages and an integer max_tokens (400 else). When the
 * request has tools, the answer calls the first one (or the one tool_choice
 * forces) with {"query":"mock"}; with thinking enabled a signed thinking block
 * comes first. Model-name controls: "mock-status-<code>" answers that status
 * with Anthropic's error body (529 overloaded_error, 429 rate_limit_error,
 * ...), as does a /mock/fail rule with a status; "mock-stream-error" sends an
 * `error` event (overloaded_error) in the middle of a stream. Everything is
 * deterministic; usage counts whitespace-separated words.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_anthropic_route(struct mock_worker *w, struct lmx_http_req *req);

#define AN_OOM                                                                                \
    "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"llmux-mock: out of " \
    "memory\"}}"

#define AN_TEXT "Hello from the mock Anthropic model." /* an_words joined */

static const char *const an_words[] = {"Hello", " from", " the", " mock", " Anthropic", " model."};
static const char *const an_args[] = {"", "{\"query\"", ": \"mock\"}"};

#define AN_THINKING  "The mock thinks first."
#define AN_SIGNATURE "bW9jay1zaWduYXR1cmU="

/* Words of a string content or of the text of its blocks. */
static long an_content_words(const json_t *c)
{
    const json_t *b;
    size_t i;
    long n = 0;

    if (json_is_string(c))
        return mock_count_words(json_string_value(c));
    json_array_foreach(c, i, b) {
        n += mock_count_words(json_string_value(json_object_get(b, "text")));
        n += an_content_words(json_object_get(b, "content")); /* tool_result */
    }
    return n;
}

static long an_prompt_words(const json_t *body)
{
    const json_t *m;
    size_t i;
    long n = an_content_words(json_object_get(body, "system"));

    json_array_foreach(json_object_get(body, "messages"), i, m) {
        n += an_content_words(json_object_get(m, "content"));
    }
    return n > 0 ? n : 1;
}

static long an_text_words(void)
{
    long n = 0;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(an_words); i++)
        n += mock_count_words(an_words[i]);
    return n;
}

/* Anthropic's error type for a status. */
static const char *an_error_type(int status)
{
    switch (status) {
    case 400:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static void an_send_json(struct lmx_http_req *req, int status, json_t *o)
{
    static const struct lmx_http_hdr hdrs[] = {{"request-id", 10, "req_mock", 8}};
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text == NULL)
        lmx_http_res_send(req, 503, NULL, 0, "application/json", AN_OOM, strlen(AN_OOM));
    else
        lmx_http_res_send(req, status, hdrs, LMX_ARRAY_SIZE(hdrs), "application/json", text,
                          strlen(text));
    lmx_free(text);
    json_decref(o);
}

static void an_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    an_send_json(req, status,
                 json_pack("{s:s,s:{s:s,s:s},s:s}", "type", "error", "error", "type",
                           an_error_type(status), "message", msg, "request_id", "req_mock"));
}

static bool an_auth_ok(const struct mock_worker *w, const struct lmx_http_req *req)
{
    const char *key = w->opts->api_key;
    size_t n;
    const char *v = lmx_http_req_header(req, "x-api-key", &n);

    if (key == NULL)
        return true;
    return v != NULL && lmx_ct_equal(v, n, key, strlen(key));
}

/* The tool to call: the one tool_choice forces, else the first one; NULL when none. */
static const char *an_tool(const json_t *body)
{
    const json_t *tc = json_object_get(body, "tool_choice");
    const json_t *tools = json_object_get(body, "tools");
    const char *type = json_string_value(json_object_get(tc, "type"));

    if (json_array_size(tools) == 0 || (type != NULL && strcmp(type, "none") == 0))
        return NULL;
    if (type != NULL && strcmp(type, "tool") == 0 && json_is_string(json_object_get(tc, "name")))
        return json_string_value(json_object_get(tc, "name"));
    return json_string_value(json_object_get(json_array_get(tools, 0), "name"));
}

static bool an_thinking(const json_t *body)
{
    const char *t = json_string_value(json_object_get(json_object_get(body, "thinking"), "type"));

    return t != NULL && strcmp(t, "enabled") == 0;
}

static json_t *an_usage(long in, long out)
{
    return json_pack("{s:I,s:I,s:I,s:I}", "input_tokens", (json_int_t)in,
                     "cache_creation_input_tokens", (json_int_t)0, "cache_read_input_tokens",
                     (json_int_t)0, "output_tokens", (json_int_t)out);
}

static void
an_message(struct lmx_http_req *req, const json_t *body, const char *model, const char *ids)
{
    const char *tool = an_tool(body);
    json_t *content = json_array();
    char call_id[64];
    long out = an_text_words();

    snprintf(call_id, sizeof(call_id), "toolu_%s", ids + 4);
    if (an_thinking(body))
        json_array_append_new(content, json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking",
                                                 AN_THINKING, "signature", AN_SIGNATURE));
    if (tool != NULL) {
        json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "tool_use", "id",
                                                 call_id, "name", tool, "input", "query", "mock"));
        out = 9;
    } else {
        json_array_append_new(content, json_pack("{s:s,s:s}", "type", "text", "text", AN_TEXT));
    }
    an_send_json(req, 200,
                 json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:n,s:o}", "id", ids, "type", "message",
                           "role", "assistant", "model", model, "content", content, "stop_reason",
                           tool != NULL ? "tool_use" : "end_turn", "stop_sequence", "usage",
                           an_usage(an_prompt_words(body), out)));
}

/* Writes "event: <type>\ndata: <json><pad>\n\n" (o is consumed); pad > 0 adds spaces. */
static int an_event(struct lmx_http_req *req, json_t *o, int pad)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && type != NULL &&
        lmx_buf_printf(&b, "event: %s\ndata: %s%*s\n\n", type, text, pad, "") == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    lmx_free(text);
    json_decref(o);
    return err;
}

static void an_stream(
    struct lmx_http_req *req, const json_t *body, const char *model, const char *ids, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
        {"Cache-Control", 13, "no-cache", 8},
        {"request-id", 10, "req_mock", 8},
    };
    const char *tool = an_tool(body);
    long in = an_prompt_words(body), out = tool != NULL ? 9 : an_text_words();
    char call_id[64];
    int err, idx = 0;

    snprintf(call_id, sizeof(call_id), "toolu_%s", ids + 4);
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (err == 0)
        err = an_event(req,
                       json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:[],s:n,s:n,s:o}}", "type",
                                 "message_start", "message", "id", ids, "type", "message", "role",
                                 "assistant", "model", model, "content", "stop_reason",
                                 "stop_sequence", "usage", an_usage(in, 1)),
                       3);
    if (err == 0 && an_thinking(body)) {
        if (err == 0)
            err = an_event(req,
                           json_pack("{s:s,s:i,s:{s:s,s:s,s:s}}", "type", "content_block_start",
                                     "index", idx, "content_block", "type", "thinking", "thinking",
                                     "", "signature", ""),
                           0);
        if (err == 0)
            err =
                an_event(req,
                         json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta", "index",
                                   idx, "delta", "type", "thinking_delta", "thinking", AN_THINKING),
                         0);
        if (err == 0)
            err = an_event(req,
                           json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta",
                                     "index", idx, "delta", "type", "signature_delta", "signature",
                                     AN_SIGNATURE),
                           0);
        if (err == 0)
            err = an_event(req, json_pack("{s:s,s:i}", "type", "content_block_stop", "index", idx),
                           0);
        idx++;
    }
    if (err == 0 && tool != NULL) {
        err = an_event(req,
                       json_pack("{s:s,s:i,s:{s:s,s:s,s:s,s:{}}}", "type", "content_block_start",
                                 "index", idx, "content_block", "type", "tool_use", "id", call_id,
                                 "name", tool, "input"),
                       0);
        for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(an_args); i++)
            err = an_event(req,
                           json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta",
                                     "index", idx, "delta", "type", "input_json_delta",
                                     "partial_json", an_args[i]),
                           0);
    } else if (err == 0) {
        size_t nw = fail ? 2 : LMX_ARRAY_SIZE(an_words);

        err = an_event(req,
                       json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_start", "index",
                                 idx, "content_block", "type", "text", "text", ""),
                       9);
        if (err == 0)
            err = an_event(req, json_pack("{s:s}", "type", "ping"), 0);
        for (size_t i = 0; err == 0 && i < nw; i++)
            err =
                an_event(req,
                         json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta", "index",
                                   idx, "delta", "type", "text_delta", "text", an_words[i]),
                         (int)(i % 3) * 4);
        if (err == 0 && fail) {
            err = an_event(req,
                           json_pack("{s:s,s:{s:n,s:s,s:s}}", "type", "error", "error", "details",
                                     "type", "overloaded_error", "message", "Overloaded"),
                           0);
            lmx_http_res_end(req, err == 0);
            return;
        }
    }
    if (err == 0)
        err = an_event(req, json_pack("{s:s,s:i}", "type", "content_block_stop", "index", idx), 15);
    if (err == 0)
        err = an_event(req,
                       json_pack("{s:s,s:{s:s,s:n},s:{s:I}}", "type", "message_delta", "delta",
                                 "stop_reason", tool != NULL ? "tool_use" : "end_turn",
                                 "stop_sequence", "usage", "output_tokens", (json_int_t)out),
                       0);
    if (err == 0)
        err = an_event(req, json_pack("{s:s}", "type", "message_stop"), 1);
    lmx_http_res_end(req, err == 0);
}

/* What the real API refuses before looking at the model; NULL when the body is fine. */
static const char *an_invalid(const json_t *body)
{
    if (!json_is_string(json_object_get(body, "model")))
        return "model: Field required";
    if (!json_is_array(json_object_get(body, "messages")))
        return "messages: Field required";
    if (!json_is_integer(json_object_get(body, "max_tokens")))
        return "max_tokens: Field required";
    return NULL;
}

bool mock_anthropic_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *model, *bad;
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body;
    uint64_t seq, id;
    char ids[48];
    size_t n;
    int status;

    if (strcmp(req->path, "/v1/messages") != 0)
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        an_send_error(req, 405, "method not allowed");
        return true;
    }
    if (!an_auth_ok(w, req)) {
        an_send_error(req, 401, "invalid x-api-key");
        return true;
    }
    if (lmx_http_req_header(req, "anthropic-version", &n) == NULL || n == 0) {
        an_send_error(req, 400, "anthropic-version: header is required");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    bad = json_is_object(body) ? an_invalid(body) : "the body is not a JSON object";
    if (bad != NULL) {
        json_decref(body);
        an_send_error(req, 400, bad);
        return true;
    }
    model = json_string_value(json_object_get(body, "model"));
    mock_log_in_init(&li, req, model, json_is_true(json_object_get(body, "stream")));
    status = mock_model_status(model);
    if (mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    snprintf(ids, sizeof(ids), "msg_mock%llu", (unsigned long long)id);
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "%s",
                 status == 529   ? "Overloaded"
                 : status == 429 ? "Number of request tokens has exceeded your per-minute rate "
                                   "limit (llmux-mock)"
                                 : "llmux-mock: simulated error");
        an_send_error(req, status, msg);
    } else if (li.stream) {
        status = 200;
        an_stream(req, body, model, ids, strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        an_message(req, body, model, ids);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
