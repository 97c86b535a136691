/*
 * provider/anthropic.h - the Anthropic Messages API family (`anthropic/`
 * deployments): OpenAI chat requests in, /v1/messages out, and the answer
 * and its typed SSE stream back as OpenAI objects. See anthropic.c.
 */
#ifndef LMX_PROVIDER_ANTHROPIC_H
#define LMX_PROVIDER_ANTHROPIC_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_anthropic_ops;

#endif
