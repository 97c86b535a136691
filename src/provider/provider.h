/*
 * provider/provider.h - how a deployment is called: one ops table per wire
 * format family.
 *
 * This build speaks the OpenAI wire format: OpenAI itself, every
 * OpenAI-compatible provider (base URL and key from the config or the
 * provider's defaults), and Azure OpenAI (deployment URLs, api-version,
 * api-key header). Other families get their own table in their own file.
 */
#ifndef LMX_PROVIDER_H
#define LMX_PROVIDER_H

#include <stddef.h>

#include "config/config.h"
#include "core/buf.h"

enum lmx_endpoint { LMX_EP_CHAT, LMX_EP_COMPLETIONS, LMX_EP_EMBEDDINGS };

struct lmx_provider_ops {
    const char *name;
    /*
     * Appends the request URL for `ep` and the upstream model name `model`.
     * Returns 0, LMX_EBADREQ when the deployment has no usable api_base, or a
     * buffer error.
     */
    int (*build_url)(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model,
                     struct lmx_buf *out);
    /*
     * Writes up to `max` header lines ("Name: value", each NUL-terminated, into
     * `store` of `store_len` bytes) that authenticate the call. Returns how many
     * lines, or a negative code.
     */
    int (*auth_headers)(const struct lmx_deployment *d, const char **lines, size_t max,
                        char *store, size_t store_len);
};

extern const struct lmx_provider_ops lmx_provider_openai_ops;
extern const struct lmx_provider_ops lmx_provider_azure_ops;

/* The ops for a deployment, or NULL when this build cannot call its provider. */
const struct lmx_provider_ops *lmx_provider_for(const struct lmx_deployment *d);

/* The path suffix of an endpoint: "/chat/completions", "/completions", "/embeddings". */
const char *lmx_endpoint_path(enum lmx_endpoint ep);

#endif
