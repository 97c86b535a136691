/*
 * provider/nlp_cloud.h - NLP Cloud text generation (`nlp_cloud/`
 * deployments): the chat becomes one text for {base}{model}/generation.
 * See nlp_cloud.c.
 */
#ifndef LMX_PROVIDER_NLP_CLOUD_H
#define LMX_PROVIDER_NLP_CLOUD_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_nlp_cloud_ops;

#endif
