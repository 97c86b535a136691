/*
 * provider/compat.h - OpenAI-compatible families that need more than a base
 * URL: their URL scheme, auth header, model name or answer shape differs, or
 * some of their models speak Anthropic's Messages API. See compat.c.
 *
 *   azure_ai/     Azure AI Foundry: {base}/models/chat/completions?api-version=
 *                 on *.services.ai.azure.com (api-key header), else
 *                 {base}/chat/completions (Bearer); claude models -> Anthropic
 *                 Messages on {host}/anthropic/v1/messages
 *   huggingface/  the router https://router.huggingface.co/v1 with
 *                 "<org>/<model>[:<provider>]" (huggingface/<provider>/<org>/<model>),
 *                 or a TGI / Inference Endpoint at api_base
 *   databricks/   {api_base}/chat/completions (…/serving-endpoints), Bearer; Claude
 *                 endpoints' reasoning content lists -> reasoning_content
 *   snowflake/    Cortex {base}/chat/completions with X-Snowflake-Authorization-
 *                 Token-Type; claude models -> {base}/messages (Anthropic)
 *   voyage/       embeddings only: dimensions -> output_dimension, usage.prompt_tokens
 */
#ifndef LMX_PROVIDER_COMPAT_H
#define LMX_PROVIDER_COMPAT_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_azure_ai_ops;
extern const struct lmx_provider_ops lmx_provider_huggingface_ops;
extern const struct lmx_provider_ops lmx_provider_databricks_ops;
extern const struct lmx_provider_ops lmx_provider_snowflake_ops;
extern const struct lmx_provider_ops lmx_provider_voyage_ops;

#endif
