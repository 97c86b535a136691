/*
 * tools/mock/ollama.c - llmux-mock: Ollama's native API on its real paths.
 *
 *   POST /api/chat      {"message":{...},"done":true,...}, or NDJSON lines
 *   POST /api/generate  {"response":"...","done":true,...}, or NDJSON lines
 *   POST /api/embed     {"embeddings":[[...]],"prompt_eval_count":N}
 *
 * As Ollama: "stream" defaults to true; the last line of a stream has
 * done:true, done_reason and the counters (prompt_eval_count, eval_count);
 * tool-call arguments are JSON objects and tool calls carry no id. With
 * "tools" the answer is a call of the first tool with {"query":"mock"}; with
 * "think" the message carries "thinking"; with "format" the content is a JSON
 * text. Auth: with --api-key, "Authorization: Bearer <key>" (401
 * {"error":...} else). Model-name controls: "mock-status-<code>" answers that
 * status with {"error":"..."} (so does a /mock/fail rule with a status);
 * "mock-stream-error" sends a few lines, then an {"error":...} line.
 * Deterministic; counts are whitespace-separated words.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_ollama_route(struct mock_worker *w, struct lmx_http_req *req);

#define OL_CREATED "2025-01-01T00:00:00Z"
#define OL_THINK   "Mock thinking."
#define OL_JSON    "{\"answer\":\"mock\"}"
#define OL_OOM     "{\"error\":\"llmux-mock: out of memory\"}"

static const char *const ol_words[] = {"Hello", " from", " the", " mock", " Ollama", " model."};

enum ol_api { OL_CHAT, OL_GENERATE, OL_EMBED };

static long ol_prompt_words(const json_t *body)
{
    json_t *m, *in = json_object_get(body, "input"), *v;
    size_t i;
    long n = mock_count_words(json_string_value(json_object_get(body, "prompt"))) +
             mock_count_words(json_string_value(json_object_get(body, "system"))) +
             mock_count_words(json_string_value(in));

    json_array_foreach(json_object_get(body, "messages"), i, m) {
        n += mock_count_words(json_string_value(json_object_get(m, "content")));
    }
    json_array_foreach(in, i, v) {
        n += mock_count_words(json_string_value(v));
    }
    return n > 0 ? n : 1;
}

static void ol_send_error(struct lmx_http_req *req, int status, const char *msg)
{
    mock_send_json(req, status, json_pack("{s:s}", "error", msg), OL_OOM);
}

static const char *ol_first_tool(const json_t *body)
{
    json_t *t = json_array_get(json_object_get(body, "tools"), 0);

    return json_string_value(json_object_get(json_object_get(t, "function"), "name"));
}

static bool ol_thinks(const json_t *body)
{
    json_t *t = json_object_get(body, "think");

    return json_is_true(t) || (json_is_string(t) && json_string_length(t) > 0);
}

/* The fields every object of an answer starts with; a new object. */
static json_t *ol_head(const json_t *body)
{
    const char *model = json_string_value(json_object_get(body, "model"));

    return json_pack("{s:s,s:s}", "model", model != NULL ? model : "", "created_at", OL_CREATED);
}

/* Adds the done:true fields (done_reason, durations, counters) to o. */
static int ol_done(json_t *o, long prompt, long eval)
{
    json_t *d = json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "done", 1, "done_reason", "stop",
                          "total_duration", (json_int_t)123456789, "load_duration",
                          (json_int_t)1234567, "prompt_eval_count", (json_int_t)prompt,
                          "prompt_eval_duration", (json_int_t)2345678, "eval_count",
                          (json_int_t)eval, "eval_duration", (json_int_t)3456789);
    int rc = d != NULL ? json_object_update(o, d) : -1;

    json_decref(d);
    return rc;
}

static json_t *ol_tool_calls(const char *tool)
{
    return json_pack("[{s:{s:s,s:{s:s}}}]", "function", "name", tool, "arguments", "query", "mock");
}

/* The whole text of the answer (joined words, or the JSON text with "format"). */
static const char *ol_text(const json_t *body)
{
    return json_object_get(body, "format") != NULL ? OL_JSON : "Hello from the mock Ollama model.";
}

static void ol_answer(struct lmx_http_req *req, const json_t *body, enum ol_api api)
{
    const char *tool = api == OL_CHAT ? ol_first_tool(body) : NULL;
    const char *text = tool != NULL ? "" : ol_text(body);
    json_t *o = ol_head(body), *msg;
    int rc = o != NULL ? 0 : -1;

    if (rc == 0 && api == OL_CHAT) {
        msg = json_pack("{s:s,s:s}", "role", "assistant", "content", text);
        if (msg != NULL && ol_thinks(body))
            json_object_set_new(msg, "thinking", json_string(OL_THINK));
        if (msg != NULL && tool != NULL)
            json_object_set_new(msg, "tool_calls", ol_tool_calls(tool));
        rc = json_object_set_new(o, "message", msg);
    } else if (rc == 0) {
        rc = json_object_set_new(o, "response", json_string(text));
        if (rc == 0 && ol_thinks(body))
            rc = json_object_set_new(o, "thinking", json_string(OL_THINK));
        if (rc == 0)
            rc = json_object_set_new(o, "context", json_pack("[i,i,i]", 1, 2, 3));
    }
    if (rc == 0)
        rc = ol_done(o, ol_prompt_words(body), tool != NULL ? 9 : mock_count_words(text));
    if (rc < 0) {
        json_decref(o);
        o = NULL;
    }
    mock_send_json(req, 200, o, OL_OOM);
}

/* Writes one NDJSON line (o is consumed). */
static int ol_line(struct lmx_http_req *req, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    int err = LMX_ENOMEM;

    if (text != NULL) {
        err = lmx_http_res_write(req, text, strlen(text));
        if (err == 0)
            err = lmx_http_res_write(req, "\n", 1);
    }
    lmx_free(text);
    json_decref(o);
    return err;
}

/* One streamed piece: a message (chat) or a response (generate), done:false. */
static json_t *ol_piece(const json_t *body, enum ol_api api, const char *key, const char *s)
{
    json_t *o = ol_head(body);

    if (o == NULL)
        return NULL;
    if (api == OL_CHAT) {
        json_t *msg = json_pack("{s:s,s:s}", "role", "assistant", "content", "");

        if (msg != NULL && strcmp(key, "content") != 0)
            json_object_set_new(msg, key, json_string(s));
        else if (msg != NULL)
            json_object_set_new(msg, "content", json_string(s));
        json_object_set_new(o, "message", msg);
    } else {
        json_object_set_new(o, "response", json_string(strcmp(key, "response") == 0 ? s : ""));
        if (strcmp(key, "thinking") == 0)
            json_object_set_new(o, "thinking", json_string(s));
    }
    json_object_set_new(o, "done", json_false());
    return o;
}

static void ol_stream(struct lmx_http_req *req, const json_t *body, enum ol_api api, bool fail)
{
    static const struct lmx_http_hdr hdrs[] = {{"Content-Type", 12, "application/x-ndjson", 20}};
    const char *tool = api == OL_CHAT ? ol_first_tool(body) : NULL;
    const char *key = api == OL_CHAT ? "content" : "response";
    long eval = 0;
    json_t *last;
    int err;

    err = lmx_http_res_begin(req, 200, hdrs, LMX_ARRAY_SIZE(hdrs), -1);
    if (err == 0 && ol_thinks(body))
        err = ol_line(req, ol_piece(body, api, "thinking", OL_THINK));
    if (tool != NULL) {
        json_t *o = ol_piece(body, api, "content", "");

        if (o != NULL)
            json_object_set_new(json_object_get(o, "message"), "tool_calls", ol_tool_calls(tool));
        if (err == 0)
            err = ol_line(req, o);
        else
            json_decref(o);
        eval = 9;
    } else if (json_object_get(body, "format") != NULL) {
        if (err == 0)
            err = ol_line(req, ol_piece(body, api, key, OL_JSON));
        eval = 1;
    } else {
        size_t nw = fail ? 2 : LMX_ARRAY_SIZE(ol_words);

        for (size_t i = 0; err == 0 && i < nw; i++, eval++)
            err = ol_line(req, ol_piece(body, api, key, ol_words[i]));
    }
    if (err == 0 && fail) {
        err = ol_line(
            req, json_pack("{s:s}", "error", "llmux-mock: stream failure (mock-stream-error)"));
    } else if (err == 0) {
        last = ol_piece(body, api, key, "");
        if (last != NULL && ol_done(last, ol_prompt_words(body), eval) < 0) {
            json_decref(last);
            last = NULL;
        }
        err = ol_line(req, last);
    }
    lmx_http_res_end(req, err == 0);
}

/* A deterministic vector for a text. */
static json_t *ol_vector(const char *s, int dims)
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

static int ol_embed(struct lmx_http_req *req, const json_t *body)
{
    json_t *in = json_object_get(body, "input"), *vecs, *v, *o;
    size_t i;

    if (!json_is_string(in) && !(json_is_array(in) && json_array_size(in) > 0)) {
        ol_send_error(req, 400, "invalid input type");
        return 400;
    }
    vecs = json_array();
    if (json_is_string(in) && vecs != NULL &&
        json_array_append_new(vecs, ol_vector(json_string_value(in), MOCK_EMBED_DIMS)) < 0) {
        json_decref(vecs);
        vecs = NULL;
    }
    json_array_foreach(in, i, v) {
        if (vecs != NULL &&
            json_array_append_new(vecs, ol_vector(json_string_value(v), MOCK_EMBED_DIMS)) < 0) {
            json_decref(vecs);
            vecs = NULL;
        }
    }
    o = ol_head(body);
    if (o != NULL &&
        (json_object_set_new(o, "embeddings", vecs) < 0 ||
         json_object_set_new(o, "total_duration", json_integer(1234567)) < 0 ||
         json_object_set_new(o, "load_duration", json_integer(12345)) < 0 ||
         json_object_set_new(o, "prompt_eval_count", json_integer(ol_prompt_words(body))) < 0)) {
        json_decref(o);
        o = NULL;
    } else if (o == NULL) {
        json_decref(vecs);
    }
    mock_send_json(req, 200, o, OL_OOM);
    return 200;
}

bool mock_ollama_route(struct mock_worker *w, struct lmx_http_req *req)
{
    enum ol_api api;
    const char *model;
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body, *stream;
    uint64_t seq;
    int status;

    if (strcmp(req->path, "/api/chat") == 0)
        api = OL_CHAT;
    else if (strcmp(req->path, "/api/generate") == 0)
        api = OL_GENERATE;
    else if (strcmp(req->path, "/api/embed") == 0)
        api = OL_EMBED;
    else
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        ol_send_error(req, 405, "method not allowed");
        return true;
    }
    if (!mock_bearer_ok(w, req)) {
        ol_send_error(req, 401, "unauthorized");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        ol_send_error(req, 400, "invalid character in request body");
        return true;
    }
    model = json_string_value(json_object_get(body, "model"));
    stream = json_object_get(body, "stream");
    mock_log_in_init(&li, req, model, api != OL_EMBED && (stream == NULL || json_is_true(stream)));
    status = mock_model_status(model);
    if (model != NULL && mock_rule_take(model, strlen(model), &rule)) {
        li.rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed);
    if (model == NULL) {
        status = 400;
        ol_send_error(req, 400, "model is required");
    } else if (status >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: ollama error %d (mock-status-%d)", status, status);
        ol_send_error(req, status, msg);
    } else if (api == OL_EMBED) {
        status = ol_embed(req, body);
    } else if (li.stream) {
        status = 200;
        ol_stream(req, body, api, strstr(model, "mock-stream-error") != NULL);
    } else {
        status = 200;
        ol_answer(req, body, api);
    }
    mock_log_status(seq, status);
    json_decref(body);
    return true;
}
