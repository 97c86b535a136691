/*
 * provider/datarobot.h - DataRobot's LLM gateway (`datarobot/` deployments):
 * OpenAI chat on {api_base}/api/v2/genai/llmgw/chat/completions/. See
 * datarobot.c.
 */
#ifndef LMX_PROVIDER_DATAROBOT_H
#define LMX_PROVIDER_DATAROBOT_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_datarobot_ops;

#endif
