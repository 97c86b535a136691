/*
 * provider/replicate.h - Replicate's predictions API for `replicate/`
 * deployments (see replicate.c):
 *
 *   replicate/{owner}/{name}              POST {base}/v1/models/{owner}/{name}/predictions
 *   replicate/{owner}/{name}:{version}    POST {base}/v1/predictions with "version"
 *   replicate/deployments/{owner}/{name}  POST {base}/v1/deployments/{owner}/{name}/predictions
 *
 * base is api_base or https://api.replicate.com; Bearer REPLICATE_API_KEY
 * (or REPLICATE_API_TOKEN); `Prefer: wait` makes the answer synchronous.
 * The chat becomes {"input":{"prompt",...}}; the prediction comes back as a
 * chat.completion, or as chunks of a stream made from it.
 */
#ifndef LMX_PROVIDER_REPLICATE_H
#define LMX_PROVIDER_REPLICATE_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_replicate_ops;

#endif
