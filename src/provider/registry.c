/*
 * provider/registry.c - which ops table serves a deployment, and the
 * request-builder helpers every adapter uses.
 *
 * Native families are listed in `families` below, one row per provider
 * prefix; everything else the config marks as callable speaks the OpenAI
 * wire format (openai.c).
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/anthropic.h"
#include "provider/bedrock.h"
#include "provider/cohere.h"
#include "provider/compat.h"
#include "provider/gemini.h"
#include "provider/oci.h"
#include "provider/ollama.h"
#include "provider/provider.h"
#include "provider/tgi.h"
#include "provider/replicate.h"
#include "provider/sagemaker.h"
#include "provider/vertex.h"
#include "provider/watsonx.h"
#include "provider/gigachat.h"
#include "provider/azure_text.h"
#include "provider/nlp_cloud.h"
#include "provider/datarobot.h"
#include "provider/bytez.h"

/* clang-format off */
static const struct lmx_provider_entry families[] = {
    /* one row per provider prefix: {"anthropic", &lmx_provider_anthropic_ops}, */
    {"bedrock", &lmx_provider_bedrock_ops},
    {"vertex_ai", &lmx_provider_vertex_ops},
    {"vertex_ai_beta", &lmx_provider_vertex_ops},
    {"watsonx", &lmx_provider_watsonx_ops},
    {"watsonx_text", &lmx_provider_watsonx_text_ops},
    {"anthropic", &lmx_provider_anthropic_ops},
    {"cohere", &lmx_provider_cohere_ops},
    {"gemini", &lmx_provider_gemini_ops},
    {"cohere_chat", &lmx_provider_cohere_ops},
    {"ollama", &lmx_provider_ollama_ops},
    {"ollama_chat", &lmx_provider_ollama_ops},
    {"sagemaker", &lmx_provider_sagemaker_ops},
    {"sagemaker_chat", &lmx_provider_sagemaker_ops},
    {"azure_ai", &lmx_provider_azure_ai_ops},
    {"huggingface", &lmx_provider_huggingface_ops},
    {"databricks", &lmx_provider_databricks_ops},
    {"snowflake", &lmx_provider_snowflake_ops},
    {"voyage", &lmx_provider_voyage_ops},
    {"predibase", &lmx_provider_predibase_ops},
    {"triton", &lmx_provider_triton_ops},
    {"replicate", &lmx_provider_replicate_ops},
    {"oci", &lmx_provider_oci_ops},
    {"gigachat", &lmx_provider_gigachat_ops},
    {"azure_text", &lmx_provider_azure_text_ops},
    {"nlp_cloud", &lmx_provider_nlp_cloud_ops},
    {"datarobot", &lmx_provider_datarobot_ops},
    {"bytez", &lmx_provider_bytez_ops},
    {NULL, NULL},
};
/* clang-format on */

const struct lmx_provider_ops *lmx_provider_for(const struct lmx_deployment *d)
{
    for (size_t i = 0; families[i].prefix != NULL; i++)
        if (strcmp(families[i].prefix, d->provider) == 0)
            return families[i].ops;
    if (!d->supported)
        return NULL;
    if (strcmp(d->provider, "azure") == 0)
        return &lmx_provider_azure_ops;
    return &lmx_provider_openai_ops;
}

void lmx_upreq_init(struct lmx_upreq *r)
{
    r->method = "POST";
    r->resource = false;
    lmx_buf_init(&r->url, 16384);
    lmx_buf_init(&r->body, 256u << 20);
    r->nheaders = 0;
    r->used = 0;
}

void lmx_upreq_release(struct lmx_upreq *r)
{
    lmx_buf_release(&r->url);
    lmx_buf_release(&r->body);
    r->nheaders = 0;
    r->used = 0;
}

int lmx_upreq_header(struct lmx_upreq *r, const char *name, const char *fmt, ...)
{
    size_t room = sizeof(r->store) - r->used;
    va_list ap;
    int k, v;

    if (r->nheaders == LMX_ARRAY_SIZE(r->headers))
        return LMX_ETOOBIG;
    k = snprintf(r->store + r->used, room, "%s: ", name);
    if (k < 0 || (size_t)k >= room)
        return LMX_ETOOBIG;
    va_start(ap, fmt);
    v = vsnprintf(r->store + r->used + k, room - (size_t)k, fmt, ap);
    va_end(ap);
    if (v < 0 || (size_t)(k + v) >= room)
        return LMX_ETOOBIG;
    r->headers[r->nheaders++] = r->store + r->used;
    r->used += (size_t)(k + v) + 1;
    return 0;
}
