/*
 * provider/sagemaker.h - Amazon SageMaker endpoints: `sagemaker_chat/{endpoint}`
 * (an OpenAI chat body, as the HF Messages API / vLLM / LMI containers take
 * it) and `sagemaker/{endpoint}` (a Text Generation Inference body,
 * {inputs, parameters}), SigV4-signed (service "sagemaker") to
 * /endpoints/{name}/invocations[-response-stream]; streams arrive as an
 * AWS event stream whose PayloadPart events carry the container's own SSE
 * bytes. See sagemaker.c.
 */
#ifndef LMX_PROVIDER_SAGEMAKER_H
#define LMX_PROVIDER_SAGEMAKER_H

#include "provider/provider.h"

/* Both prefixes use this table; dep->provider tells the two bodies apart. */
extern const struct lmx_provider_ops lmx_provider_sagemaker_ops;

#endif
