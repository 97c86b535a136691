/*
 * tools/mock/replicate.c - llmux-mock: Replicate's prediction routes.
 *
 *   POST /v1/models/{owner}/{name}/predictions        an official model
 *   POST /v1/predictions  {"version",...}              a pinned version
 *   POST /v1/deployments/{owner}/{name}/predictions   a deployment
 *
 * Each takes {"input":{"prompt",...}} and answers 201 with a prediction:
 * {"id","model","version","input","output","error","status","urls","metrics"}.
 * With `Prefer: wait` the prediction has "succeeded": the output is the words
 * of "Hello from the mock Replicate model." as a list of pieces, cut to
 * input.max_new_tokens (or max_tokens, max_length) words, and metrics counts
 * the prompt's words (input_token_count) and the pieces (output_token_count).
 * Without it the prediction is "starting" with no output, as Replicate's
 * async mode answers. Auth: with --api-key, "Authorization: Bearer <key>"
 * (else 401). Controls in the model name (the version for /v1/predictions):
 * "mock-fail" -> status "failed" with an error; "mock-slow" -> still
 * "processing" after the wait, with partial output; "mock-status-<code>"
 * (or a /mock/fail rule) -> that HTTP status with a problem-details body.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_replicate_route(struct mock_worker *w, struct lmx_http_req *req);

#define RP_OOM "{\"title\":\"llmux-mock\",\"detail\":\"out of memory\",\"status\":503}"

static const char *const rp_words[] = {"Hello", " from", " the", " mock", " Replicate",
                                       " model."};

enum rp_route { RP_MODEL, RP_VERSION, RP_DEPLOYMENT };

static void rp_send_json(struct lmx_http_req *req, int status, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text == NULL)
        lmx_http_res_send(req, 503, NULL, 0, "application/json", RP_OOM, strlen(RP_OOM));
    else
        lmx_http_res_send(req, status, NULL, 0, "application/json", text, strlen(text));
    lmx_free(text);
    json_decref(o);
}

/* Replicate's errors: problem details. */
static void rp_send_problem(struct lmx_http_req *req, int status, const char *title,
                            const char *detail)
{
    rp_send_json(req, status,
                 json_pack("{s:s,s:s,s:i}", "title", title, "detail", detail, "status", status));
}

/* Which route the path is, and the model ("owner/name") copied into model. */
static bool rp_path(const char *path, enum rp_route *route, char *model, size_t len)
{
    const char *m, *end;
    size_t n;

    if (strcmp(path, "/v1/predictions") == 0) {
        *route = RP_VERSION;
        model[0] = '\0';
        return true;
    }
    if (strncmp(path, "/v1/models/", 11) == 0) {
        *route = RP_MODEL;
        m = path + 11;
    } else if (strncmp(path, "/v1/deployments/", 16) == 0) {
        *route = RP_DEPLOYMENT;
        m = path + 16;
    } else {
        return false;
    }
    n = strlen(m);
    if (n <= 12 || strcmp(m + n - 12, "/predictions") != 0)
        return false;
    end = m + n - 12;
    if (end == m || (size_t)(end - m) >= len || memchr(m, '/', (size_t)(end - m)) == NULL)
        return false;
    memcpy(model, m, (size_t)(end - m));
    model[end - m] = '\0';
    return true;
}

static bool rp_auth_ok(const struct mock_worker *w, const struct lmx_http_req *req)
{
    const char *key = w->opts->api_key;
    size_t n;
    const char *v = lmx_http_req_header(req, "authorization", &n);

    if (key == NULL)
        return true;
    return v != NULL && n > 7 && lmx_streq_ci(v, 7, "bearer ") &&
           lmx_ct_equal(v + 7, n - 7, key, strlen(key));
}

/* Sync mode: "Prefer: wait" or "Prefer: wait=<seconds>". */
static bool rp_wait(const struct lmx_http_req *req)
{
    size_t n;
    const char *v = lmx_http_req_header(req, "prefer", &n);

    return v != NULL && n >= 4 && lmx_streq_ci(v, 4, "wait") && (n == 4 || v[4] == '=');
}

static int rp_status_of(const char *m)
{
    const char *p = strstr(m, "mock-status-");
    long v = 0;

    if (p == NULL)
        return 0;
    for (p += 12; *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    return v >= 100 && v <= 999 ? (int)v : 0;
}

/* How many words to answer: all, or the max token input. */
static size_t rp_nwords(const json_t *input)
{
    static const char *const keys[] = {"max_new_tokens", "max_tokens", "max_length"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(keys); i++) {
        json_int_t max = json_integer_value(json_object_get(input, keys[i]));

        if (max > 0 && (size_t)max < LMX_ARRAY_SIZE(rp_words))
            return (size_t)max;
    }
    return LMX_ARRAY_SIZE(rp_words);
}

static long rp_prompt_words(const char *s)
{
    long n = 0;
    bool in = false;

    for (; *s != '\0'; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';

        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

/* The prediction for `status` ("succeeded", "failed", "processing", "starting"). */
static json_t *rp_prediction(const char *id, const char *model, const char *version,
                             json_t *input, const char *status)
{
    json_t *out = json_null(), *o;
    bool done = strcmp(status, "succeeded") == 0;
    size_t n = done ? rp_nwords(input) : strcmp(status, "processing") == 0 ? 1 : 0;
    char get[160];

    if (n > 0) {
        out = json_array();
        for (size_t i = 0; out != NULL && i < n; i++)
            json_array_append_new(out, json_string(rp_words[i]));
    }
    snprintf(get, sizeof(get), "https://api.replicate.com/v1/predictions/%s", id);
    o = json_pack("{s:s,s:s,s:s,s:O,s:o,s:s,s:s,s:s,s:{s:s,s:s+,s:s}}", "id", id, "model", model,
                  "version", version, "input", input, "output", out, "logs", "", "status", status,
                  "created_at", "2025-01-01T00:00:00.000Z", "urls", "get", get, "cancel", get,
                  "/cancel", "stream", "https://stream.replicate.com/v1/files/mock");
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "error",
                        strcmp(status, "failed") == 0
                            ? json_string("llmux-mock: prediction failed (mock-fail)")
                            : json_null());
    if (done)
        json_object_set_new(
            o, "metrics",
            json_pack("{s:I,s:I,s:f,s:f}", "input_token_count",
                      (json_int_t)rp_prompt_words(
                          json_string_value(json_object_get(input, "prompt"))),
                      "output_token_count", (json_int_t)n, "predict_time", 0.05, "total_time",
                      0.06));
    return o;
}

bool mock_replicate_route(struct mock_worker *w, struct lmx_http_req *req)
{
    enum rp_route route;
    char model[MOCK_LOG_MODEL], id[32];
    const char *version = "", *name, *status;
    struct mock_rule rule;
    struct mock_log_in li;
    json_t *body, *input;
    uint64_t seq;
    int code;

    if (!rp_path(req->path, &route, model, sizeof(model)))
        return false;
    mock_stats_count(w, req);
    if (req->method != LMX_HTTP_POST) {
        rp_send_problem(req, 405, "Method not allowed", "use POST");
        return true;
    }
    if (!rp_auth_ok(w, req)) {
        rp_send_problem(req, 401, "Unauthenticated",
                        "You did not pass a valid authentication token");
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    input = json_object_get(body, "input");
    if (!json_is_object(input) || !json_is_string(json_object_get(input, "prompt"))) {
        json_decref(body);
        rp_send_problem(req, 422, "Input validation failed", "- input: prompt is required");
        return true;
    }
    if (route == RP_VERSION) {
        version = json_string_value(json_object_get(body, "version"));
        if (version == NULL || version[0] == '\0') {
            json_decref(body);
            rp_send_problem(req, 422, "Invalid version or not permitted",
                            "- version: version is required");
            return true;
        }
    }
    name = route == RP_VERSION ? version : model;
    memset(&li, 0, sizeof(li));
    li.model = name;
    li.model_len = strlen(name);
    li.path = req->path;
    li.path_len = req->path_len;
    li.fault = "";
    li.arrival_ns = req->start_ns;
    code = rp_status_of(name);
    if (mock_rule_take(name, strlen(name), &rule)) {
        li.rule = true;
        code = rule.status >= 400 ? (int)rule.status : 0;
    }
    seq = mock_log_add(&li);
    snprintf(id, sizeof(id), "mockpred%llu",
             (unsigned long long)atomic_fetch_add_explicit(&mock_stats.next_id, 1,
                                                           memory_order_relaxed));
    if (code >= 400) {
        char msg[128];

        snprintf(msg, sizeof(msg), "llmux-mock: error %d (mock-status-%d)", code, code);
        rp_send_problem(req, code, "Mock error", msg);
    } else {
        if (!rp_wait(req))
            status = "starting";
        else if (strstr(name, "mock-fail") != NULL)
            status = "failed";
        else if (strstr(name, "mock-slow") != NULL)
            status = "processing";
        else
            status = "succeeded";
        code = 201;
        rp_send_json(req, code,
                     rp_prediction(id, route == RP_VERSION ? "mock/versioned" : model, version,
                                   input, status));
    }
    mock_log_status(seq, code);
    json_decref(body);
    return true;
}
