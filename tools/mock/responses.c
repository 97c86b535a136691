/*
 * tools/mock/responses.c - llmux-mock: OpenAI's Responses API.
 *
 *   POST /v1/responses, /responses                 OpenAI
 *   POST /openai/responses?api-version=...         Azure OpenAI (key in api-key)
 *
 * The answer is "Hello from the mock Responses API." as one output_text
 * message; when the request has function tools (tool_choice not "none")
 * and its input does not end with a function_call_output, the answer is a
 * function_call of the first tool with arguments {"query":"mock"}. Streams
 * are the API's typed events (response.created ... response.completed, each
 * with a sequence_number). Ids the mock makes are "resp_mock<n>"; a
 * previous_response_id of another shape is refused as OpenAI refuses an
 * unknown one (400, code previous_response_not_found). Model-name controls:
 * "mock-status-<code>" answers that status (so does a /mock/fail rule);
 * "mock-stream-error" sends two deltas, then an `error` event.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "mock.h"

bool mock_responses_route(struct mock_worker *w, struct lmx_http_req *req);

#define RS_OOM "{\"error\":{\"message\":\"llmux-mock: out of memory\"}}"

static const char *const rs_words[] = {"Hello", " from", " the", " mock", " Responses", " API."};

static void rs_send(struct lmx_http_req *req, int status, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text == NULL)
        lmx_http_res_send(req, 503, NULL, 0, "application/json", RS_OOM, strlen(RS_OOM));
    else
        lmx_http_res_send(req, status, NULL, 0, "application/json", text, strlen(text));
    lmx_free(text);
    json_decref(o);
}

static void rs_error(struct lmx_http_req *req, int status, const char *type, const char *param,
                     const char *code, const char *msg)
{
    rs_send(req, status,
            json_pack("{s:{s:s,s:s,s:s?,s:s?}}", "error", "message", msg, "type", type, "param",
                      param, "code", code));
}

static bool rs_path(const struct lmx_http_req *req, bool *azure)
{
    *azure = strcmp(req->path, "/openai/responses") == 0;
    return *azure || strcmp(req->path, "/v1/responses") == 0 ||
           strcmp(req->path, "/responses") == 0;
}

static bool rs_auth_ok(const struct mock_worker *w, struct lmx_http_req *req, bool azure)
{
    const char *key = w->opts->api_key, *v;
    size_t n, kl;

    if (key == NULL)
        return true;
    kl = strlen(key);
    if (azure) {
        v = lmx_http_req_header(req, "api-key", &n);
        return v != NULL && n == kl && memcmp(v, key, n) == 0;
    }
    v = lmx_http_req_header(req, "authorization", &n);
    return v != NULL && n == kl + 7 && memcmp(v, "Bearer ", 7) == 0 && memcmp(v + 7, key, kl) == 0;
}

/* Words of the input text, the usage's input_tokens. */
static json_int_t rs_input_words(const json_t *input)
{
    json_int_t words = 0;
    const json_t *it, *part;
    size_t i, j;

    if (json_is_string(input)) {
        const char *s = json_string_value(input);

        for (bool in = false; *s; s++) {
            if (*s != ' ' && !in)
                words++;
            in = *s != ' ';
        }
        return words > 0 ? words : 1;
    }
    json_array_foreach(input, i, it) {
        const json_t *c = json_object_get(it, "content");

        if (json_is_string(c))
            words += rs_input_words(c);
        json_array_foreach(c, j, part) {
            if (json_is_string(json_object_get(part, "text")))
                words += rs_input_words(json_object_get(part, "text"));
        }
    }
    return words > 0 ? words : 1;
}

/* The function tool to call, or NULL for a text answer. */
static const char *rs_tool_to_call(const json_t *body)
{
    const json_t *input = json_object_get(body, "input"), *tool;
    const json_t *last = json_array_get(input, json_array_size(input) - 1);
    const char *lt = json_string_value(json_object_get(last, "type"));
    const char *choice = json_string_value(json_object_get(body, "tool_choice"));
    size_t i;

    if ((choice != NULL && strcmp(choice, "none") == 0) ||
        (lt != NULL && strcmp(lt, "function_call_output") == 0))
        return NULL;
    json_array_foreach(json_object_get(body, "tools"), i, tool) {
        const char *type = json_string_value(json_object_get(tool, "type"));

        if (type != NULL && strcmp(type, "function") == 0)
            return json_string_value(json_object_get(tool, "name"));
    }
    return NULL;
}

/* The Response object, status "in_progress" (no output yet) or "completed". */
static json_t *rs_response(const json_t *body, const char *id, bool done, const char *tool,
                           json_int_t in_words)
{
    char text[128] = "", item_id[80];
    json_t *r, *output = json_array();
    json_int_t out_tokens = tool != NULL ? 5 : (json_int_t)LMX_ARRAY_SIZE(rs_words);

    for (size_t i = 0; i < LMX_ARRAY_SIZE(rs_words); i++)
        strcat(text, rs_words[i]);
    snprintf(item_id, sizeof(item_id), "%s_item", id);
    if (done && tool != NULL)
        json_array_append_new(output, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", item_id,
                                                "type", "function_call", "status", "completed",
                                                "call_id", "call_mock_1", "name", tool,
                                                "arguments", "{\"query\":\"mock\"}"));
    else if (done)
        json_array_append_new(
            output, json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:[]}]}", "id", item_id, "type",
                              "message", "status", "completed", "role", "assistant", "content",
                              "type", "output_text", "text", text, "annotations"));
    r = json_pack("{s:s,s:s,s:i,s:s,s:O,s:o,s:O?,s:n,s:n}", "id", id, "object", "response",
                  "created_at", 1700000000, "status", done ? "completed" : "in_progress",
                  "model", json_object_get(body, "model"), "output", output,
                  "previous_response_id", json_object_get(body, "previous_response_id"),
                  "error", "incomplete_details");
    if (r != NULL && done)
        json_object_set_new(r, "usage",
                            json_pack("{s:I,s:{s:i},s:I,s:{s:i},s:I}", "input_tokens", in_words,
                                      "input_tokens_details", "cached_tokens", 0,
                                      "output_tokens", out_tokens, "output_tokens_details",
                                      "reasoning_tokens", 0, "total_tokens",
                                      in_words + out_tokens));
    return r;
}

/* One typed event; `o` is stolen and gets its type and sequence number. */
static int rs_event(struct lmx_http_req *req, const char *type, json_t *o, int *seq)
{
    char *text;
    int err;

    if (o == NULL)
        return LMX_ENOMEM;
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "sequence_number", json_integer((*seq)++));
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL)
        return LMX_ENOMEM;
    err = lmx_http_res_write(req, "event: ", 7);
    if (err == 0)
        err = lmx_http_res_write(req, type, strlen(type));
    if (err == 0)
        err = lmx_http_res_write(req, "\ndata: ", 7);
    if (err == 0)
        err = lmx_http_res_write(req, text, strlen(text));
    if (err == 0)
        err = lmx_http_res_write(req, "\n\n", 2);
    lmx_free(text);
    return err;
}

static void rs_stream(struct lmx_http_req *req, const json_t *body, const char *id,
                      const char *tool, json_int_t in_words, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {{"Content-Type", 12, "text/event-stream", 17}};
    char item_id[80], text[128] = "";
    int seq = 0, err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    json_t *fin;

    snprintf(item_id, sizeof(item_id), "%s_item", id);
    if (err == 0)
        err = rs_event(req, "response.created",
                       json_pack("{s:o}", "response", rs_response(body, id, false, tool, 0)),
                       &seq);
    if (err == 0)
        err = rs_event(req, "response.in_progress",
                       json_pack("{s:o}", "response", rs_response(body, id, false, tool, 0)),
                       &seq);
    if (err == 0 && tool != NULL) {
        err = rs_event(req, "response.output_item.added",
                       json_pack("{s:i,s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "output_index", 0, "item",
                                 "id", item_id, "type", "function_call", "status", "in_progress",
                                 "call_id", "call_mock_1", "name", tool, "arguments", ""),
                       &seq);
        for (int i = 0; err == 0 && i < 2; i++)
            err = rs_event(req, "response.function_call_arguments.delta",
                           json_pack("{s:s,s:i,s:s}", "item_id", item_id, "output_index", 0,
                                     "delta", i == 0 ? "{\"query\":" : "\"mock\"}"),
                           &seq);
        if (err == 0)
            err = rs_event(req, "response.function_call_arguments.done",
                           json_pack("{s:s,s:i,s:s}", "item_id", item_id, "output_index", 0,
                                     "arguments", "{\"query\":\"mock\"}"),
                           &seq);
    } else if (err == 0) {
        size_t n = fail ? 2 : LMX_ARRAY_SIZE(rs_words);

        err = rs_event(req, "response.output_item.added",
                       json_pack("{s:i,s:{s:s,s:s,s:s,s:s,s:[]}}", "output_index", 0, "item",
                                 "id", item_id, "type", "message", "status", "in_progress",
                                 "role", "assistant", "content"),
                       &seq);
        if (err == 0)
            err = rs_event(req, "response.content_part.added",
                           json_pack("{s:s,s:i,s:i,s:{s:s,s:s,s:[]}}", "item_id", item_id,
                                     "output_index", 0, "content_index", 0, "part", "type",
                                     "output_text", "text", "", "annotations"),
                           &seq);
        for (size_t i = 0; err == 0 && i < n; i++) {
            strcat(text, rs_words[i]);
            err = rs_event(req, "response.output_text.delta",
                           json_pack("{s:s,s:i,s:i,s:s}", "item_id", item_id, "output_index", 0,
                                     "content_index", 0, "delta", rs_words[i]),
                           &seq);
        }
        if (err == 0 && fail) {
            err = rs_event(req, "error",
                           json_pack("{s:s,s:s,s:n}", "code", "server_error", "message",
                                     "llmux-mock: stream failure (mock-stream-error)", "param"),
                           &seq);
            lmx_http_res_end(req, false);
            return;
        }
        if (err == 0)
            err = rs_event(req, "response.output_text.done",
                           json_pack("{s:s,s:i,s:i,s:s}", "item_id", item_id, "output_index", 0,
                                     "content_index", 0, "text", text),
                           &seq);
        if (err == 0)
            err = rs_event(req, "response.content_part.done",
                           json_pack("{s:s,s:i,s:i,s:{s:s,s:s,s:[]}}", "item_id", item_id,
                                     "output_index", 0, "content_index", 0, "part", "type",
                                     "output_text", "text", text, "annotations"),
                           &seq);
    }
    fin = rs_response(body, id, true, tool, in_words);
    if (err == 0)
        err = rs_event(req, "response.output_item.done",
                       json_pack("{s:i,s:O}", "output_index", 0, "item",
                                 json_array_get(json_object_get(fin, "output"), 0)),
                       &seq);
    if (err == 0)
        err = rs_event(req, "response.completed", json_pack("{s:O}", "response", fin), &seq);
    json_decref(fin);
    lmx_http_res_end(req, err == 0);
}

/* "mock-status-<code>" in the model name: that status, else 0. */
static int rs_status_of(const char *model)
{
    const char *p = strstr(model, "mock-status-");
    long v;

    if (p == NULL)
        return 0;
    v = strtol(p + 12, NULL, 10);
    return v >= 400 && v <= 599 ? (int)v : 0;
}

bool mock_responses_route(struct mock_worker *w, struct lmx_http_req *req)
{
    struct mock_rule rule;
    struct mock_log_in li;
    const char *model, *prev, *tool;
    char id[64];
    json_t *body;
    uint64_t seq;
    bool azure, stream;
    int status;

    if (!rs_path(req, &azure))
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        rs_error(req, 405, "invalid_request_error", NULL, NULL, "method not allowed");
        return true;
    }
    if (!rs_auth_ok(w, req, azure)) {
        rs_error(req, 401, "invalid_request_error", NULL, "invalid_api_key",
                 "Incorrect API key provided (llmux-mock)");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    model = json_string_value(json_object_get(body, "model"));
    if (model == NULL) {
        json_decref(body);
        rs_error(req, 400, "invalid_request_error", "model", NULL,
                 "Missing required parameter: 'model'.");
        return true;
    }
    stream = json_is_true(json_object_get(body, "stream"));
    memset(&li, 0, sizeof(li));
    li.model = model;
    li.model_len = strlen(model);
    li.path = req->path;
    li.path_len = req->path_len;
    li.fault = "";
    li.arrival_ns = req->start_ns;
    li.stream = stream;
    status = rs_status_of(model);
    if (mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    snprintf(id, sizeof(id), "resp_mock%llu",
             (unsigned long long)atomic_fetch_add_explicit(&mock_stats.next_id, 1,
                                                           memory_order_relaxed));
    prev = json_string_value(json_object_get(body, "previous_response_id"));
    tool = rs_tool_to_call(body);
    if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: error %d (mock-status-%d)", status, status);
        rs_error(req, status, status == 429 ? "rate_limit_error" : "server_error", NULL, NULL,
                 msg);
    } else if (prev != NULL && strncmp(prev, "resp_mock", 9) != 0) {
        char msg[200];

        status = 400;
        snprintf(msg, sizeof(msg), "Previous response with id '%.120s' not found.", prev);
        rs_error(req, 400, "invalid_request_error", "previous_response_id",
                 "previous_response_not_found", msg);
    } else if (stream) {
        status = 200;
        rs_stream(req, body, id, tool, rs_input_words(json_object_get(body, "input")),
                  strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        rs_send(req, 200,
                rs_response(body, id, true, tool, rs_input_words(json_object_get(body, "input"))));
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
