/*
 * tools/mock/cohere.c - llmux-mock: Cohere's v2 API on its real paths.
 *
 *   POST /v2/chat    JSON answer, or SSE typed events with "stream": true
 *                    (message-start, content-*, tool-plan-delta, tool-call-*,
 *                    message-end with finish_reason and usage)
 *   POST /v2/embed   {"embeddings":{"float":[[...]]},"meta":{"billed_units":...}}
 *
 * Auth: with --api-key, "Authorization: Bearer <key>" (401 {"message"} else).
 * When the request has tools, the answer is a call of the first tool with
 * {"query":"mock"}. Model-name controls: "mock-status-<code>" answers that
 * status with Cohere's error body {"id","message"} (a /mock/fail rule with a
 * status does the same); "mock-stream-error" ends a stream with finish_reason
 * ERROR. Everything is deterministic; usage counts whitespace-separated words.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_cohere_route(struct mock_worker *w, struct lmx_http_req *req);

#define CO_TEXT "Hello from the mock Cohere model."
#define CO_OOM  "{\"message\":\"llmux-mock: out of memory\"}"

static const char *const co_words[] = {"Hello", " from", " the", " mock", " Cohere", " model."};

/* Words of every message's text content. */
static long co_prompt_words(const json_t *msgs)
{
    json_t *m, *part;
    size_t i, j;
    long n = 0;

    json_array_foreach(msgs, i, m) {
        json_t *c = json_object_get(m, "content");

        if (json_is_string(c))
            n += mock_count_words(json_string_value(c));
        json_array_foreach(c, j, part) {
            n += mock_count_words(json_string_value(json_object_get(part, "text")));
        }
    }
    return n > 0 ? n : 1;
}

static void co_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    mock_send_json(req, status, json_pack("{s:s,s:s}", "id", "mock-error", "message", msg), CO_OOM);
}

/* The name of the first function tool, or NULL. */
static const char *co_first_tool(const json_t *body)
{
    json_t *t = json_array_get(json_object_get(body, "tools"), 0);

    return json_string_value(json_object_get(json_object_get(t, "function"), "name"));
}

static json_t *co_usage(long in, long out)
{
    return json_pack("{s:{s:I,s:I},s:{s:I,s:I}}", "billed_units", "input_tokens", (json_int_t)in,
                     "output_tokens", (json_int_t)out, "tokens", "input_tokens", (json_int_t)in + 5,
                     "output_tokens", (json_int_t)out);
}

static void co_chat(struct lmx_http_req *req, const json_t *body, uint64_t id)
{
    const char *tool = co_first_tool(body);
    long in = co_prompt_words(json_object_get(body, "messages"));
    char ids[48], call_id[160];
    json_t *msg;

    snprintf(ids, sizeof(ids), "mock-%llu", (unsigned long long)id);
    if (tool != NULL) {
        snprintf(call_id, sizeof(call_id), "%.100s_mock%llu", tool, (unsigned long long)id);
        msg = json_pack("{s:s,s:s,s:[{s:s,s:s,s:{s:s,s:s}}]}", "role", "assistant", "tool_plan",
                        "I will call the tool.", "tool_calls", "id", call_id, "type", "function",
                        "function", "name", tool, "arguments", "{\"query\":\"mock\"}");
        mock_send_json(req, 200,
                       json_pack("{s:s,s:o,s:s,s:o}", "id", ids, "message", msg, "finish_reason",
                                 "TOOL_CALL", "usage", co_usage(in, 9)), CO_OOM);
        return;
    }
    msg = json_pack("{s:s,s:[{s:s,s:s}]}", "role", "assistant", "content", "type", "text", "text",
                    CO_TEXT);
    mock_send_json(req, 200,
                   json_pack("{s:s,s:o,s:s,s:o}", "id", ids, "message", msg, "finish_reason",
                             "COMPLETE", "usage", co_usage(in, mock_count_words(CO_TEXT))), CO_OOM);
}

/* Writes one SSE event "event: <type>\ndata: <json>\n\n" (o is consumed). */
static int co_event(struct lmx_http_req *req, json_t *o)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct lmx_buf b;
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, 1u << 20);
    if (text != NULL && type != NULL &&
        lmx_buf_printf(&b, "event: %s\ndata: %s\n\n", type, text) == 0)
        err = lmx_http_res_write(req, b.data, b.len);
    lmx_buf_release(&b);
    lmx_free(text);
    json_decref(o);
    return err;
}

static void co_chat_stream(struct lmx_http_req *req, const json_t *body, uint64_t id, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {
        {"Content-Type", 12, "text/event-stream", 17},
        {"Cache-Control", 13, "no-cache", 8},
    };
    const char *tool = co_first_tool(body);
    long in = co_prompt_words(json_object_get(body, "messages"));
    char ids[48], call_id[160];
    int err;

    snprintf(ids, sizeof(ids), "mock-%llu", (unsigned long long)id);
    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (err == 0)
        err = co_event(req, json_pack("{s:s,s:s,s:{s:{s:s,s:[],s:s,s:[],s:[]}}}", "id", ids, "type",
                                      "message-start", "delta", "message", "role", "assistant",
                                      "content", "tool_plan", "", "tool_calls", "citations"));
    if (tool != NULL) {
        static const char *const frags[] = {"{\"que", "ry\":\"mo", "ck\"}"};

        snprintf(call_id, sizeof(call_id), "%.100s_mock%llu", tool, (unsigned long long)id);
        if (err == 0)
            err = co_event(req, json_pack("{s:s,s:{s:{s:s}}}", "type", "tool-plan-delta", "delta",
                                          "message", "tool_plan", "I will call the tool."));
        if (err == 0)
            err = co_event(req, json_pack("{s:s,s:i,s:{s:{s:{s:s,s:s,s:{s:s,s:s}}}}}", "type",
                                          "tool-call-start", "index", 0, "delta", "message",
                                          "tool_calls", "id", call_id, "type", "function",
                                          "function", "name", tool, "arguments", ""));
        for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(frags); i++)
            err = co_event(req, json_pack("{s:s,s:i,s:{s:{s:{s:{s:s}}}}}", "type",
                                          "tool-call-delta", "index", 0, "delta", "message",
                                          "tool_calls", "function", "arguments", frags[i]));
        if (err == 0)
            err = co_event(req, json_pack("{s:s,s:i}", "type", "tool-call-end", "index", 0));
        if (err == 0)
            err = co_event(req, json_pack("{s:s,s:{s:s,s:o}}", "type", "message-end", "delta",
                                          "finish_reason", "TOOL_CALL", "usage", co_usage(in, 9)));
    } else {
        size_t nw = fail ? 2 : LMX_ARRAY_SIZE(co_words);

        if (err == 0)
            err = co_event(req, json_pack("{s:s,s:i,s:{s:{s:{s:s,s:s}}}}", "type", "content-start",
                                          "index", 0, "delta", "message", "content", "type", "text",
                                          "text", ""));
        for (size_t i = 0; err == 0 && i < nw; i++)
            err = co_event(req,
                           json_pack("{s:s,s:i,s:{s:{s:{s:s}}}}", "type", "content-delta", "index",
                                     0, "delta", "message", "content", "text", co_words[i]));
        if (err == 0 && !fail)
            err = co_event(req, json_pack("{s:s,s:i}", "type", "content-end", "index", 0));
        if (err == 0 && fail)
            err = co_event(req, json_pack("{s:s,s:{s:s,s:s}}", "type", "message-end", "delta",
                                          "finish_reason", "ERROR", "error",
                                          "llmux-mock: stream failure (mock-stream-error)"));
        else if (err == 0)
            err = co_event(req, json_pack("{s:s,s:{s:s,s:o}}", "type", "message-end", "delta",
                                          "finish_reason", "COMPLETE", "usage",
                                          co_usage(in, mock_count_words(CO_TEXT))));
    }
    lmx_http_res_end(req, err == 0);
}

/* A deterministic unit-ish vector for a text. */
static json_t *co_vector(const char *s, int dims)
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
static int co_embed(struct lmx_http_req *req, const json_t *body, uint64_t id)
{
    json_t *texts = json_object_get(body, "texts"), *t, *vecs;
    char ids[48];
    size_t i;
    long words = 0;

    if (!json_is_array(texts) || json_array_size(texts) == 0 ||
        !json_is_string(json_object_get(body, "input_type"))) {
        co_send_error(req, 400, "invalid request: texts and input_type are required");
        return 400;
    }
    vecs = json_array();
    json_array_foreach(texts, i, t) {
        words += mock_count_words(json_string_value(t));
        if (vecs != NULL &&
            json_array_append_new(vecs, co_vector(json_string_value(t), MOCK_EMBED_DIMS)) < 0) {
            json_decref(vecs);
            vecs = NULL;
        }
    }
    snprintf(ids, sizeof(ids), "mock-%llu", (unsigned long long)id);
    mock_send_json(req, 200,
                   json_pack("{s:s,s:{s:o},s:O,s:{s:{s:s},s:{s:I}},s:s}", "id", ids, "embeddings",
                             "float", vecs, "texts", texts, "meta", "api_version", "version", "2",
                             "billed_units", "input_tokens", (json_int_t)words, "response_type",
                             "embeddings_by_type"), CO_OOM);
    return 200;
}

bool mock_cohere_route(struct mock_worker *w, struct lmx_http_req *req)
{
    bool chat = strcmp(req->path, "/v2/chat") == 0;
    bool embed = strcmp(req->path, "/v2/embed") == 0;
    const char *model;
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body;
    uint64_t seq, id;
    int status;

    if (!chat && !embed)
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        co_send_error(req, 405, "method not allowed");
        return true;
    }
    if (!mock_bearer_ok(w, req)) {
        co_send_error(req, 401, "invalid api token");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        co_send_error(req, 400, "invalid request: the body is not a JSON object");
        return true;
    }
    model = json_string_value(json_object_get(body, "model"));
    mock_log_in_init(&li, req, model, chat && json_is_true(json_object_get(body, "stream")));
    status = mock_model_status(model);
    if (model != NULL && mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: cohere error %d (mock-status-%d)", status, status);
        co_send_error(req, status, msg);
    } else if (embed) {
        status = co_embed(req, body, id);
    } else if (li.stream) {
        status = 200;
        co_chat_stream(req, body, id, model != NULL && strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        co_chat(req, body, id);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
