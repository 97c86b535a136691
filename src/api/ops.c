/*
 * api/ops.c - operational endpoints: /v1/models, liveness, readiness,
 * /health (one real call per deployment) and /routes.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "route/shared.h"

void lmx__ops_models(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    json_t *data = json_array(), *root;
    long created = (long)w->started_at;

    if (lmx__auth_check(req, cfg) < 0) {
        json_decref(data);
        lmx_api_cfg_put(w, cfg);
        return;
    }
    for (size_t i = 0; data != NULL && i < cfg->ngroups; i++) {
        const struct lmx_group *g = &cfg->groups[i];

        if (strcmp(g->name, "*") == 0)
            continue;
        json_array_append_new(data, json_pack("{s:s, s:s, s:i, s:s}", "id", g->name, "object",
                                              "model", "created", (json_int_t)created,
                                              "owned_by", "openai"));
    }
    root = json_pack("{s:s, s:o}", "object", "list", "data", data);
    lmx__send_json(req, NULL, 200, root);
    lmx_api_cfg_put(w, cfg);
}

void lmx__ops_liveness(struct lmx_http_req *req)
{
    static const char body[] = "\"I'm alive!\"";

    lmx_http_res_send(req, 200, NULL, 0, "application/json", body, sizeof(body) - 1);
}

void lmx__ops_readiness(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    char ts[40];
    time_t t = (time_t)w->started_at;
    struct tm tm;
    json_t *v;

    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    v = json_pack("{s:s, s:s, s:n, s:s, s:[], s:s}", "status", "connected", "db", "Not connected",
                  "cache", "litellm_version", LMX_VERSION, "success_callbacks", "last_updated",
                  ts);
    if (v != NULL && lmx_shared_status() != NULL)
        json_object_set_new(v, "shared_state", json_pack("{s:s}", "redis", lmx_shared_status()));
    lmx__send_json(req, NULL, 200, v);
}

void lmx__ops_routes(struct lmx_http_req *req)
{
    static const char *const routes[][2] = {
        {"/chat/completions", "POST"},
        {"/v1/chat/completions", "POST"},
        {"/completions", "POST"},
        {"/v1/completions", "POST"},
        {"/embeddings", "POST"},
        {"/v1/embeddings", "POST"},
        {"/openai/deployments/{model}/chat/completions", "POST"},
        {"/openai/deployments/{model}/completions", "POST"},
        {"/openai/deployments/{model}/embeddings", "POST"},
        {"/openai/deployments/{model}/images/generations", "POST"},
        {"/openai/deployments/{model}/audio/speech", "POST"},
        {"/openai/deployments/{model}/audio/transcriptions", "POST"},
        {"/v1/images/generations", "POST"},
        {"/v1/audio/speech", "POST"},
        {"/v1/audio/transcriptions", "POST"},
        {"/v1/moderations", "POST"},
        {"/v1/rerank", "POST"},
        {"/v2/rerank", "POST"},
        {"/v1/messages", "POST"},
        {"/v1/messages/count_tokens", "POST"},
        {"/v1/responses", "POST"},
        {"/openai/v1/responses", "POST"},
        {"/v1/responses/{response_id}", "GET"},
        {"/v1/responses/{response_id}", "DELETE"},
        {"/v1/responses/{response_id}/input_items", "GET"},
        {"/v1beta/models/{model}:generateContent", "POST"},
        {"/v1beta/models/{model}:streamGenerateContent", "POST"},
        {"/v1beta/models/{model}:countTokens", "POST"},
        {"/anthropic/{endpoint:path}", "POST"},
        {"/gemini/{endpoint:path}", "POST"},
        {"/openai/{endpoint:path}", "POST"},
        {"/azure/{endpoint:path}", "POST"},
        {"/bedrock/{endpoint:path}", "POST"},
        {"/cohere/{endpoint:path}", "POST"},
        {"/mistral/{endpoint:path}", "POST"},
        {"/vllm/{endpoint:path}", "POST"},
        {"/model/info", "GET"},
        {"/v1/model/info", "GET"},
        {"/models", "GET"},
        {"/v1/models", "GET"},
        {"/health", "GET"},
        {"/health/liveliness", "GET"},
        {"/health/liveness", "GET"},
        {"/health/readiness", "GET"},
        {"/routes", "GET"},
    };
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < LMX_ARRAY_SIZE(routes); i++)
        json_array_append_new(arr, json_pack("{s:s, s:[s]}", "path", routes[i][0], "methods",
                                             routes[i][1]));
    lmx__send_json(req, NULL, 200, json_pack("{s:o}", "routes", arr));
}
