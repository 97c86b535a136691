/*
 * provider/datarobot.c - DataRobot's LLM gateway (`datarobot/` deployments),
 * as LiteLLM's DataRobotConfig calls it: the OpenAI chat body, forwarded, on
 *
 *   POST {base}/api/v2/genai/llmgw/chat/completions/   "Authorization: Bearer {api_key}"
 *
 * {base} is api_base, else https://app.datarobot.com; an api_base that already
 * ends in /chat/completions (a deployment's own chat URL) is used as it is,
 * with the trailing slash DataRobot wants. The model name after `datarobot/`
 * (e.g. "azure/gpt-4o-mini", a gateway model id) goes in the body unchanged.
 *
 * Not here: other endpoints (LiteLLM routes only chat to DataRobot: 501).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/datarobot.h"

#define DR_BASE "https://app.datarobot.com"
#define DR_CHAT "/api/v2/genai/llmgw/chat/completions/"

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);

    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int dr_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model,
                  struct lmx_buf *out)
{
    const char *base = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : DR_BASE;
    size_t n = strlen(base);
    int rc;

    LMX_UNUSED(model);
    if (ep != LMX_EP_CHAT)
        return LMX_ENOTIMPL;
    if (ends_with(base, n, "/chat/completions/"))
        rc = lmx_buf_append(out, base, n);
    else if (ends_with(base, n, "/chat/completions"))
        rc = lmx_buf_printf(out, "%s/", base);
    else {
        while (n > 0 && base[n - 1] == '/')
            n--;
        rc = lmx_buf_append(out, base, n);
        if (rc == 0)
            rc = lmx_buf_puts(out, DR_CHAT);
    }
    return rc < 0 ? LMX_ENOMEM : 0;
}

static int dr_auth(const struct lmx_deployment *d, const char **lines, size_t max, char *store,
                   size_t store_len)
{
    int k;

    if (d->api_key == NULL || d->api_key[0] == '\0' || max == 0)
        return 0;
    k = snprintf(store, store_len, "Authorization: Bearer %s", d->api_key);
    if (k < 0 || (size_t)k >= store_len)
        return LMX_ETOOBIG;
    lines[0] = store;
    return 1;
}

const struct lmx_provider_ops lmx_provider_datarobot_ops = {
    .name = "datarobot",
    .build_url = dr_url,
    .auth_headers = dr_auth,
};
