/*
 * api/count.c - token counting endpoints of the inbound dialects:
 * POST /v1/messages/count_tokens (Anthropic) and
 * POST /v1beta/models/{model}:countTokens (Gemini).
 *
 * The count is llmux's estimate (dialect/count.c documents the method and
 * its error); no provider is called. The model must name a configured
 * group, as it must for a real call, so a typo fails the same way here.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/err.h"
#include "dialect/dialect.h"
#include "route/router.h"

void lmx__count_tokens(struct lmx_api_worker *w, struct lmx_http_req *req,
                       const struct lmx_dialect_ops *d, const char *path_model)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    lmx_errbody_fn efn = d->error_body;
    bool gemini = strcmp(d->name, "gemini") == 0;
    struct lmx_route route;
    json_error_t jerr;
    json_t *body = NULL, *in, *model;
    const char *name;
    int64_t n;

    if (lmx__auth_check_as(req, cfg, efn, gemini) < 0)
        goto out;
    body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
    if (!json_is_object(body)) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", NULL,
                           "request body must be a JSON object (%s)",
                           body == NULL ? jerr.text : "not an object");
        goto out;
    }
    model = json_object_get(body, "model");
    name = path_model != NULL ? path_model : json_string_value(model);
    if (name == NULL) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", "model",
                           "model: Field required");
        goto out;
    }
    if (lmx_route_resolve(cfg, name, strlen(name), &route) < 0) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", "model",
                           "Invalid model name passed in model=%s. Call `/v1/models` to view "
                           "available models for your key.",
                           name);
        goto out;
    }
    /* Gemini's countTokens takes {contents} or {generateContentRequest:{contents,...}} */
    in = json_object_get(body, "generateContentRequest");
    n = lmx_dialect_estimate_tokens(d, json_is_object(in) ? in : body);
    lmx__send_json(req, NULL, 200,
                   gemini ? json_pack("{s:I}", "totalTokens", (json_int_t)n)
                          : json_pack("{s:I}", "input_tokens", (json_int_t)n));
out:
    json_decref(body);
    lmx_api_cfg_put(w, cfg);
}
