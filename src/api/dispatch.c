/*
 * api/dispatch.c - method and path to endpoint, and the worker's config
 * snapshot bookkeeping.
 *
 * Paths are matched exactly (bare, /v1 and Azure-style forms); anything else
 * gets FastAPI's 404 body, as LiteLLM answers.
 */
#include "core/lmx.h"

#include <string.h>

#include "api/api_int.h"
#include "api/info.h"
#include "api/responses.h"
#include "api/passthrough.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "dialect/dialect.h"

/* ------------------------------------------------------------------------ */
/* Config snapshots: the refcount moves once per worker per reload, never per request */

struct lmx_config *lmx_api_cfg_get(struct lmx_api_worker *w)
{
    w->cfg_users++;
    return w->cfg;
}

void lmx_api_cfg_put(struct lmx_api_worker *w, struct lmx_config *cfg)
{
    if (cfg == w->cfg) {
        w->cfg_users--;
        return;
    }
    for (size_t i = 0; i < LMX_API_MAX_RETIRED; i++) {
        if (w->retired[i].cfg != cfg)
            continue;
        if (--w->retired[i].users == 0) {
            lmx_config_unref(cfg);
            w->retired[i].cfg = NULL;
        }
        return;
    }
    assert(0 && "config snapshot not held by this worker");
}

void lmx_api_worker_set_config(struct lmx_api_worker *w, struct lmx_config *cfg)
{
    struct lmx_config *old = w->cfg;

    if (cfg == old) {
        lmx_config_unref(cfg);
        return;
    }
    w->cfg = cfg;
    if (old != NULL && w->cfg_users == 0) {
        lmx_config_unref(old);
    } else if (old != NULL) {
        size_t i;

        for (i = 0; i < LMX_API_MAX_RETIRED && w->retired[i].cfg != NULL; i++)
            ;
        if (i == LMX_API_MAX_RETIRED) {
            /* too many reloads while old requests linger: keep it until exit */
            lmx_warn("worker %d: too many config generations in flight; keeping one until exit",
                     w->id);
            i = LMX_API_MAX_RETIRED - 1;
            lmx_config_unref(w->retired[i].cfg); /* its requests keep a borrowed pointer */
        }
        w->retired[i].cfg = old;
        w->retired[i].users = w->cfg_users;
    }
    w->cfg_users = 0;
}

void lmx_api_worker_release(struct lmx_api_worker *w)
{
    for (size_t i = 0; i < LMX_API_MAX_RETIRED; i++) {
        lmx_config_unref(w->retired[i].cfg);
        w->retired[i].cfg = NULL;
    }
    lmx_config_unref(w->cfg);
    w->cfg = NULL;
}

/* ------------------------------------------------------------------------ */
/* Routing */

static bool path_is(const struct lmx_http_req *req, const char *p)
{
    return strcmp(req->path, p) == 0;
}

/* "/openai/deployments/{model}/<rest>": returns the model (copied into buf) or NULL */
static const char *azure_path(const struct lmx_http_req *req, const char *rest, char *buf,
                              size_t bufsz)
{
    static const char pre[] = "/openai/deployments/";
    const char *p = req->path, *slash;
    size_t ml;

    if (strncmp(p, pre, sizeof(pre) - 1) != 0)
        return NULL;
    p += sizeof(pre) - 1;
    slash = strchr(p, '/');
    if (slash == NULL || strcmp(slash + 1, rest) != 0 || slash == p)
        return NULL;
    ml = (size_t)(slash - p);
    if (ml >= bufsz)
        return NULL;
    memcpy(buf, p, ml);
    buf[ml] = '\0';
    return buf;
}

static void not_found(struct lmx_http_req *req)
{
    static const char body[] = "{\"detail\":\"Not Found\"}";

    lmx_http_res_send(req, 404, NULL, 0, "application/json", body, sizeof(body) - 1);
}

static void method_not_allowed(struct lmx_http_req *req)
{
    static const char body[] = "{\"detail\":\"Method Not Allowed\"}";

    lmx_http_res_send(req, 405, NULL, 0, "application/json", body, sizeof(body) - 1);
}

/* The endpoint of an OpenAI media/utility path, or LMX_EP_CHAT when it is none of them. */
static enum lmx_endpoint media_endpoint(const char *p)
{
    if (strcmp(p, "/images/generations") == 0)
        return LMX_EP_IMAGES;
    if (strcmp(p, "/audio/speech") == 0)
        return LMX_EP_SPEECH;
    if (strcmp(p, "/audio/transcriptions") == 0)
        return LMX_EP_TRANSCRIPTIONS;
    if (strcmp(p, "/moderations") == 0)
        return LMX_EP_MODERATIONS;
    if (strcmp(p, "/rerank") == 0 || strcmp(p, "/v2/rerank") == 0)
        return LMX_EP_RERANK;
    return LMX_EP_CHAT;
}

/* /v1/responses/{id} (GET, DELETE) and /v1/responses/{id}/input_items (GET) */
static void responses_item(struct lmx_api_worker *w, struct lmx_http_req *req, const char *rest)
{
    char id[256];
    const char *slash = strchr(rest, '/');
    size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);

    if (n == 0 || n >= sizeof(id) || (slash != NULL && strcmp(slash, "/input_items") != 0)) {
        not_found(req);
        return;
    }
    memcpy(id, rest, n);
    id[n] = '\0';
    if (slash != NULL && req->method == LMX_HTTP_GET)
        lmx__responses_input_items(w, req, id);
    else if (slash == NULL && req->method == LMX_HTTP_GET)
        lmx__responses_get(w, req, id);
    else if (slash == NULL && req->method == LMX_HTTP_DELETE)
        lmx__responses_delete(w, req, id);
    else
        method_not_allowed(req);
}

/* "{model}:generateContent" | ":streamGenerateContent" | ":countTokens" */
static void gemini_route(struct lmx_api_worker *w, struct lmx_http_req *req, const char *rest)
{
    char model[256];
    const char *colon = strrchr(rest, ':');
    size_t n = colon != NULL ? (size_t)(colon - rest) : 0;

    if (colon == NULL || n == 0 || n >= sizeof(model)) {
        /* GET /v1beta/models/{model} and the like: not served */
        not_found(req);
        return;
    }
    memcpy(model, rest, n);
    model[n] = '\0';
    if (req->method != LMX_HTTP_POST) {
        method_not_allowed(req);
        return;
    }
    if (strcmp(colon, ":generateContent") == 0)
        lmx__proxy_dialect(w, req, &lmx_dialect_gemini, model, false);
    else if (strcmp(colon, ":streamGenerateContent") == 0)
        lmx__proxy_dialect(w, req, &lmx_dialect_gemini, model, true);
    else if (strcmp(colon, ":countTokens") == 0)
        lmx__count_tokens(w, req, &lmx_dialect_gemini, model);
    else
        not_found(req);
}

void lmx_api_handle(struct lmx_http_req *req, void *ud)
{
    struct lmx_api_worker *w = ud;
    const char *p = req->path;
    char model[256];
    const char *m;
    bool get = req->method == LMX_HTTP_GET || req->method == LMX_HTTP_HEAD;
    bool post = req->method == LMX_HTTP_POST;
    enum lmx_endpoint ep;

    lmx_api_count(&w->stats.requests);
    if (strncmp(p, "/v1/", 4) == 0 && strcmp(p, "/v1/") != 0)
        p += 3; /* "/v1/x" and "/x" are the same route */

    if (strcmp(p, "/chat/completions") == 0 || strcmp(p, "/completions") == 0 ||
        strcmp(p, "/embeddings") == 0 || strcmp(p, "/openai/v1/chat/completions") == 0) {
        if (!post) {
            method_not_allowed(req);
            return;
        }
        ep = strstr(p, "chat/") != NULL ? LMX_EP_CHAT
             : strcmp(p, "/completions") == 0 ? LMX_EP_COMPLETIONS
                                               : LMX_EP_EMBEDDINGS;
        lmx__proxy_start(w, req, ep, NULL);
        return;
    }
    /* the other OpenAI endpoints, forwarded like the three above */
    if ((ep = media_endpoint(p)) != LMX_EP_CHAT) {
        if (!post) {
            method_not_allowed(req);
            return;
        }
        lmx__proxy_start(w, req, ep, NULL);
        return;
    }
    /* Anthropic Messages (Claude Code, @anthropic-ai/sdk) */
    if (strcmp(p, "/messages") == 0 || strcmp(p, "/messages/count_tokens") == 0) {
        if (!post) {
            method_not_allowed(req);
            return;
        }
        if (strcmp(p, "/messages") == 0)
            lmx__proxy_dialect(w, req, &lmx_dialect_anthropic, NULL, false);
        else
            lmx__count_tokens(w, req, &lmx_dialect_anthropic, NULL);
        return;
    }
    /* OpenAI Responses (Codex, openai SDK responses.*) */
    if (strcmp(p, "/responses") == 0 || strcmp(p, "/openai/v1/responses") == 0) {
        if (!post) {
            method_not_allowed(req);
            return;
        }
        lmx__proxy_dialect(w, req, &lmx_dialect_responses, NULL, false);
        return;
    }
    if (strncmp(p, "/responses/", 11) == 0 || strncmp(p, "/openai/v1/responses/", 21) == 0) {
        responses_item(w, req, p + (p[1] == 'o' ? 21 : 11));
        return;
    }
    /* Gemini generateContent (@google/genai): /v1beta/models/{model}:{method} */
    if (strncmp(req->path, "/v1beta/models/", 15) == 0 || strncmp(p, "/models/", 8) == 0) {
        gemini_route(w, req, strncmp(req->path, "/v1beta/", 8) == 0 ? req->path + 15 : p + 8);
        return;
    }
    if (strncmp(req->path, "/openai/deployments/", 20) == 0) {
        if ((m = azure_path(req, "chat/completions", model, sizeof(model))) != NULL)
            ep = LMX_EP_CHAT;
        else if ((m = azure_path(req, "completions", model, sizeof(model))) != NULL)
            ep = LMX_EP_COMPLETIONS;
        else if ((m = azure_path(req, "embeddings", model, sizeof(model))) != NULL)
            ep = LMX_EP_EMBEDDINGS;
        else if ((m = azure_path(req, "images/generations", model, sizeof(model))) != NULL)
            ep = LMX_EP_IMAGES;
        else if ((m = azure_path(req, "audio/speech", model, sizeof(model))) != NULL)
            ep = LMX_EP_SPEECH;
        else if ((m = azure_path(req, "audio/transcriptions", model, sizeof(model))) != NULL)
            ep = LMX_EP_TRANSCRIPTIONS;
        else {
            not_found(req);
            return;
        }
        if (!post) {
            method_not_allowed(req);
            return;
        }
        lmx__proxy_start(w, req, ep, m);
        return;
    }
    if (get && strcmp(p, "/models") == 0) {
        lmx__ops_models(w, req);
        return;
    }
    if (get && (path_is(req, "/health/liveliness") || path_is(req, "/health/liveness"))) {
        lmx__ops_liveness(req);
        return;
    }
    if (get && path_is(req, "/health/readiness")) {
        lmx__ops_readiness(w, req);
        return;
    }
    if (get && path_is(req, "/health")) {
        lmx__ops_health(w, req);
        return;
    }
    if (get && strcmp(p, "/model/info") == 0) {
        lmx_api_model_info(w, req);
        return;
    }
    if (get && path_is(req, "/routes")) {
        lmx__ops_routes(req);
        return;
    }
    if (get && path_is(req, "/")) {
        static const char body[] = "\"llmux: an OpenAI-compatible LLM gateway\"";

        lmx_http_res_send(req, 200, NULL, 0, "application/json", body, sizeof(body) - 1);
        return;
    }
    if (lmx__passthrough_route(w, req))
        return;
    not_found(req);
}
