/*
 * provider/tgi.h - text-generation servers that take one prompt, not a chat:
 *
 *   predibase/  TGI on {base}/{tenant}/deployments/v2/llms/{model}/generate
 *               (`generate_stream` for SSE); base api_base or
 *               https://serving.app.predibase.com, tenant from litellm_params
 *               tenant_id or PREDIBASE_TENANT_ID; Bearer PREDIBASE_API_KEY.
 *               {"inputs","parameters"} -> {"generated_text","details"}.
 *   triton/     Triton's generate extension: {api_base}/v2/models/{model}/generate
 *               (`generate_stream`), or api_base itself when it ends in
 *               /generate or /generate_stream. {"text_input","parameters"} ->
 *               {"text_output"}.
 *
 * The chat is rendered into one prompt; answers and streams come back as
 * OpenAI objects and chunks. See tgi.c.
 */
#ifndef LMX_PROVIDER_TGI_H
#define LMX_PROVIDER_TGI_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_predibase_ops;
extern const struct lmx_provider_ops lmx_provider_triton_ops;

#endif
