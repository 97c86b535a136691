/*
 * tools/mock/count.c - llmux-mock: the providers' token-counting APIs.
 *
 *   POST /v1/messages/count_tokens            Anthropic: {"input_tokens": n}
 *   POST /{version}/models/{model}:countTokens Gemini: {"totalTokens": n}
 *
 * n is the number of words in the request's text strings plus 7 (Anthropic)
 * or 3 (Gemini): not llmux's estimate, so a test can tell whose count it got.
 * Auth as the real APIs check it: with --api-key, Anthropic's "x-api-key"
 * and Gemini's "x-goog-api-key" (or ?key=). A model named
 * "mock-status-<code>" answers that status.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "mock.h"

bool mock_count_route(struct mock_worker *w, struct lmx_http_req *req);

/* Words in every string of v that is not an identifier (type, role, model). */
static long words_of(const json_t *v, const char *key)
{
    const char *k;
    const json_t *x;
    size_t i;
    long n = 0;

    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool in = false;

        if (key != NULL && (strcmp(key, "type") == 0 || strcmp(key, "role") == 0 ||
                            strcmp(key, "model") == 0))
            return 0;
        for (; *s; s++) {
            if (*s != ' ' && !in)
                n++;
            in = *s != ' ';
        }
        return n;
    }
    json_array_foreach(v, i, x) n += words_of(x, key);
    json_object_foreach((json_t *)v, k, x) n += words_of(x, k);
    return n;
}

static bool key_ok(const struct mock_worker *w, struct lmx_http_req *req, const char *header,
                   bool query)
{
    const char *want = w->opts->api_key, *v;
    size_t n;

    if (want == NULL)
        return true;
    v = lmx_http_req_header(req, header, &n);
    if (v != NULL)
        return n == strlen(want) && memcmp(v, want, n) == 0;
    v = query ? lmx_http_req_query(req, "key") : NULL;
    return v != NULL && strcmp(v, want) == 0;
}

static void send_obj(struct lmx_http_req *req, int status, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text != NULL)
        lmx_http_res_send(req, status, NULL, 0, "application/json", text, strlen(text));
    else
        lmx_http_res_send(req, 503, NULL, 0, "application/json", "{}", 2);
    lmx_free(text);
    json_decref(o);
}

static int status_of(const char *model)
{
    const char *p = model != NULL ? strstr(model, "mock-status-") : NULL;
    long v = p != NULL ? strtol(p + 12, NULL, 10) : 0;

    return v >= 400 && v <= 599 ? (int)v : 0;
}

bool mock_count_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *p = req->path, *colon = strrchr(p, ':');
    bool anthropic = strcmp(p, "/v1/messages/count_tokens") == 0;
    bool gemini = !anthropic && p[0] == '/' && p[1] == 'v' && strstr(p, "/models/") != NULL &&
                  colon != NULL && strcmp(colon, ":countTokens") == 0;
    char model[256] = "";
    json_t *body;
    int status;

    if (!anthropic && !gemini)
        return false;
    mock_stats_count(w, req);
    if (!key_ok(w, req, anthropic ? "x-api-key" : "x-goog-api-key", gemini)) {
        send_obj(req, anthropic ? 401 : 403,
                 json_pack("{s:{s:s,s:s}}", "error", "type", "authentication_error", "message",
                           "llmux-mock: bad key"));
        return true;
    }
    body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
    if (anthropic && json_is_string(json_object_get(body, "model")))
        snprintf(model, sizeof(model), "%s", json_string_value(json_object_get(body, "model")));
    else if (gemini)
        snprintf(model, sizeof(model), "%.*s", (int)(colon - (strstr(p, "/models/") + 8)),
                 strstr(p, "/models/") + 8);
    status = !json_is_object(body) ? 400 : status_of(model);
    if (status != 0)
        send_obj(req, status,
                 json_pack("{s:{s:i,s:s}}", "error", "code", status, "message",
                           "llmux-mock: counting failed"));
    else if (anthropic)
        send_obj(req, 200, json_pack("{s:i}", "input_tokens", (int)words_of(body, NULL) + 7));
    else
        send_obj(req, 200, json_pack("{s:i}", "totalTokens", (int)words_of(body, NULL) + 3));
    json_decref(body);
    return true;
}
