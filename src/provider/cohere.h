/*
 * provider/cohere.h - Cohere's v2 API (`cohere/`, `cohere_chat/`): chat on
 * POST {api_base}/v2/chat (SSE stream with typed events) and embeddings on
 * POST {api_base}/v2/embed, translated from and to the OpenAI shapes.
 *
 * The base URL is dep->api_base, else https://api.cohere.com. The key is
 * dep->api_key, else $COHERE_API_KEY, else $CO_API_KEY (Authorization:
 * Bearer). Usage is read from `usage.tokens` (as LiteLLM reports it), from
 * `usage.billed_units` when `tokens` is absent.
 */
#ifndef LMX_PROVIDER_COHERE_H
#define LMX_PROVIDER_COHERE_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_cohere_ops;

#endif
