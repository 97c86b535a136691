/*
 * api/info.h - GET /model/info and /v1/model/info: every deployment with its
 * litellm_params (secrets removed) and its model_info merged with the price
 * map (COMPAT.md §7.3).
 */
#ifndef LMX_INFO_H
#define LMX_INFO_H

#include <jansson.h>

#include "api/api.h"
#include "config/config.h"

/*
 * The endpoint (master key when one is set). `?litellm_model_id=<id>` answers
 * {"data":[that deployment]}, or 400 {"detail":{"error":"Model id = <id> not
 * found on litellm proxy"}} as LiteLLM does. Ends the request.
 */
void lmx_api_model_info(struct lmx_api_worker *w, struct lmx_http_req *req);

/*
 * One element of the answer (new reference): {"model_name", "litellm_params",
 * "model_info"}. model_info = id, db_model, the price facts of the
 * deployment's model (lmx_prices_for: rates, context window, supports_*),
 * then every key of the deployment's own model_info. NULL when out of memory.
 */
json_t *lmx_info_deployment_json(const struct lmx_deployment *d);

/*
 * A deep copy of `params` without secrets (new reference): at any depth,
 * members whose name contains "key", "secret", "password", "credential",
 * "authorization" or "cookie", or a "token" that is not a count or a price
 * (api_key, aws_session_token, vertex_credentials... go; max_tokens and
 * input_cost_per_token stay). NULL when out of memory.
 */
json_t *lmx_info_public_params(const json_t *params);

#endif
