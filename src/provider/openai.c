/*
 * provider/openai.c - the OpenAI wire format: OpenAI, every OpenAI-compatible
 * provider, and Azure OpenAI's URL and key scheme.
 *
 * Requests and responses in this family are forwarded without translation;
 * only the URL and the credentials differ per provider.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/provider.h"
#include "provider/quirks.h"

const char *lmx_endpoint_path(enum lmx_endpoint ep)
{
    switch (ep) {
    case LMX_EP_CHAT: return "/chat/completions";
    case LMX_EP_COMPLETIONS: return "/completions";
    case LMX_EP_EMBEDDINGS: return "/embeddings";
    case LMX_EP_IMAGES: return "/images/generations";
    case LMX_EP_SPEECH: return "/audio/speech";
    case LMX_EP_TRANSCRIPTIONS: return "/audio/transcriptions";
    case LMX_EP_MODERATIONS: return "/moderations";
    case LMX_EP_RERANK: return "/rerank";
    case LMX_EP_RESPONSES: return "/responses";
    }
    return "/";
}

static int openai_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model,
                      struct lmx_buf *out)
{
    const char *base = d->api_base != NULL ? d->api_base : "https://api.openai.com/v1";

    LMX_UNUSED(model);
    if (lmx_buf_puts(out, base) < 0 || lmx_buf_puts(out, lmx_endpoint_path(ep)) < 0)
        return LMX_ENOMEM;
    return 0;
}

static int put_line(const char **lines, size_t *n, size_t max, char *store, size_t len,
                    size_t *used, const char *name, const char *value)
{
    int k;

    if (*n >= max)
        return LMX_EINTERNAL;
    k = snprintf(store + *used, len - *used, "%s: %s", name, value);
    if (k < 0 || (size_t)k >= len - *used)
        return LMX_ETOOBIG;
    lines[(*n)++] = store + *used;
    *used += (size_t)k + 1;
    return 0;
}

static int openai_auth(const struct lmx_deployment *d, const char **lines, size_t max,
                       char *store, size_t store_len)
{
    size_t used = 0;
    int n, err = 0;

    /* the key header as the provider wants it (Bearer for most; presets say otherwise) */
    n = lmx_quirk_auth_lines(d->quirks, d->api_key, lines, max, store, store_len);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        used += strlen(lines[i]) + 1;
    if (d->organization != NULL) {
        size_t k = (size_t)n;

        err = put_line(lines, &k, max, store, store_len, &used, "OpenAI-Organization",
                       d->organization);
        n = (int)k;
    }
    return err < 0 ? err : n;
}

const struct lmx_provider_ops lmx_provider_openai_ops = {
    .name = "openai",
    .build_url = openai_url,
    .auth_headers = openai_auth,
};

static int azure_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model,
                     struct lmx_buf *out)
{
    const char *ver = d->api_version != NULL ? d->api_version : "2024-10-21";

    if (d->api_base == NULL)
        return LMX_EBADREQ;
    if (ep == LMX_EP_RESPONSES) {
        /* not per deployment: the model goes in the body; Responses needs a 2025 api-version */
        if (strcmp(ver, "2025-03-01") < 0)
            ver = "2025-04-01-preview";
        return lmx_buf_printf(out, "%s/openai/responses?api-version=%s", d->api_base, ver) < 0
                   ? LMX_ENOMEM
                   : 0;
    }
    if (lmx_buf_printf(out, "%s/openai/deployments/%s%s?api-version=%s", d->api_base, model,
                       lmx_endpoint_path(ep), ver) < 0)
        return LMX_ENOMEM;
    return 0;
}

static int azure_auth(const struct lmx_deployment *d, const char **lines, size_t max, char *store,
                      size_t store_len)
{
    size_t n = 0, used = 0;
    int err = 0;

    if (d->api_key != NULL && d->api_key[0] != '\0')
        err = put_line(lines, &n, max, store, store_len, &used, "api-key", d->api_key);
    return err < 0 ? err : (int)n;
}

const struct lmx_provider_ops lmx_provider_azure_ops = {
    .name = "azure",
    .build_url = azure_url,
    .auth_headers = azure_auth,
};
