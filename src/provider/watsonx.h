/*
 * provider/watsonx.h - IBM watsonx.ai chat (`watsonx/` and
 * `watsonx/deployment/{id}` deployments), called with an IAM token that the
 * token step exchanges for the API key, and `watsonx_text/` (the text
 * generation API, /ml/v1/text/generation) with the same token step. See
 * watsonx.c.
 */
#ifndef LMX_PROVIDER_WATSONX_H
#define LMX_PROVIDER_WATSONX_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_watsonx_ops;
extern const struct lmx_provider_ops lmx_provider_watsonx_text_ops;

#endif
