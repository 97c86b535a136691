/*
 * api/passthrough.h - the pass-through routes (COMPAT.md §4.7): provider-native
 * APIs behind /anthropic, /gemini, /openai, /azure, /bedrock, /cohere,
 * /mistral, /vllm (and /vertex_ai, not served yet), plus the custom routes of
 * general_settings.pass_through_endpoints.
 *
 * The llmux key is checked, the client's key is dropped and the provider's
 * credential put in its place (Bedrock: the request is signed with SigV4);
 * path, query and body go upstream unchanged and the answer comes back as it
 * is, streamed with backpressure. Usage seen in the answer is costed and
 * logged. See passthrough.c.
 */
#ifndef LMX_API_PASSTHROUGH_H
#define LMX_API_PASSTHROUGH_H

#include "api/api.h"
#include "core/lmx.h"

/*
 * Takes the request when its path is a pass-through route (answering it now
 * or once the upstream call ends) and returns true; returns false, without
 * touching the request, for any other path. Call it after the model and
 * management routes, before the final 404.
 */
bool lmx__passthrough_route(struct lmx_api_worker *w, struct lmx_http_req *req);

#endif
