/*
 * provider/bedrock.h - AWS Bedrock through the Converse API (`bedrock/` and
 * `bedrock/converse/` deployments): OpenAI chat requests in, SigV4-signed
 * /model/{id}/converse[-stream] out, the answer and its binary event stream
 * back as OpenAI objects. See bedrock.c (and sigv4.h, eventstream.h).
 */
#ifndef LMX_PROVIDER_BEDROCK_H
#define LMX_PROVIDER_BEDROCK_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_bedrock_ops;

#endif
