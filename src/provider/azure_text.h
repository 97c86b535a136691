/*
 * provider/azure_text.h - Azure OpenAI's legacy completions API
 * (`azure_text/` deployments): chat requests become a prompt for
 * {api_base}/openai/deployments/{deployment}/completions. See azure_text.c.
 */
#ifndef LMX_PROVIDER_AZURE_TEXT_H
#define LMX_PROVIDER_AZURE_TEXT_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_azure_text_ops;

#endif
