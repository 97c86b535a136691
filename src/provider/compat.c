/*
 * provider/compat.c - OpenAI-compatible families whose URL, auth, model name
 * or answers need a rule each (azure_ai, huggingface, databricks, snowflake,
 * voyage; see compat.h), as LiteLLM calls them.
 *
 * The body is the client's OpenAI body (plus the deployment's defaults) with
 * the upstream model name; answers and SSE chunks are OpenAI objects, passed
 * on after the family's fix. Claude models on Azure AI Foundry and Snowflake
 * Cortex speak Anthropic's Messages API: those calls run through
 * provider/anthropic.c's ops on a copy of the deployment whose api_base is
 * the family's Anthropic base, and only the auth headers are changed after.
 *
 * Not here: Hugging Face's provider mapping lookup (the router's
 * "<model>:<provider>" form does it server side), Databricks OAuth M2M
 * (a PAT is needed), Snowflake and Hugging Face-router embeddings.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/err.h"
#include "provider/anthropic.h"
#include "provider/compat.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "upstream/sse.h"

#define CX_EVENT_MAX   (8u << 20)
#define CX_HF_ROUTER   "https://router.huggingface.co/v1"
#define CX_FOUNDRY_VER "2024-05-01-preview"

enum cx_fam { CX_AZURE_AI, CX_HF, CX_DATABRICKS, CX_SNOWFLAKE, CX_VOYAGE };

static const char *const fam_names[] = {"azure_ai", "huggingface", "databricks", "snowflake",
                                        "voyage"};

struct cx_state {
    enum cx_fam fam;
    bool claude;                /* Anthropic Messages through anthropic.c */
    void *inner;                /* anthropic.c's state */
    struct lmx_deployment dep;  /* pc->dep with the Anthropic base, for anthropic.c */
    char base[1024];
    struct lmx_sse_reader sse;
    bool done, seen;
    /* set for the duration of one feed */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

/* ------------------------------------------------------------------------ */
/* Helpers */

static bool has_suffix(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);

    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* s contains `needle`, ignoring case. */
static bool contains_ci(const char *s, const char *needle)
{
    size_t k = strlen(needle);

    for (; s != NULL && *s; s++)
        if (strncasecmp(s, needle, k) == 0)
            return true;
    return false;
}

/* The length of the host of url ("scheme://host[:port]"), counted from url. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");

    p = p != NULL ? p + 3 : url;
    return (size_t)(p - url) + strcspn(p, "/?#");
}

/* The host of url ends with `suffix` (".services.ai.azure.com"). */
static bool host_ends(const char *url, const char *suffix)
{
    const char *p = strstr(url, "://");
    size_t n;

    p = p != NULL ? p + 3 : url;
    n = strcspn(p, ":/?#");
    return has_suffix(p, n, suffix);
}

static const char *key_of(const struct lmx_deployment *d)
{
    return d->api_key != NULL && d->api_key[0] != '\0' ? d->api_key : NULL;
}

/* A 400 for a request this family cannot take: "<family>: <why>". */
static int bad(struct lmx_perr *err, const char *fam, const char *why, const char *model)
{
    lmx_perr_set(err, 400, "invalid_request_error", NULL, "%s: %s (model=%s)", fam, why,
                 model != NULL ? model : "");
    return LMX_EBADREQ;
}

/* ------------------------------------------------------------------------ */
/* URLs */

/*
 * Azure AI Foundry, as LiteLLM's AzureAIStudioConfig: the query of api_base
 * is kept; "/models/chat/completions" on *.services.ai.azure.com (with an
 * api-version), "/chat/completions" elsewhere, unless the path already ends so.
 */
static int azure_ai_url(const struct lmx_deployment *d, enum lmx_endpoint ep, struct lmx_buf *out)
{
    const char *base = d->api_base, *q;
    bool services = strstr(base, "services.ai.azure.com") != NULL;
    const char *tail = ep == LMX_EP_EMBEDDINGS ? "/embeddings" : lmx_endpoint_path(ep);
    size_t n;
    int rc;

    q = strchr(base, '?');
    n = q != NULL ? (size_t)(q - base) : strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    rc = lmx_buf_append(out, base, n);
    if (rc == 0 && !has_suffix(base, n, tail)) {
        if (services && !has_suffix(base, n, "/models"))
            rc = lmx_buf_puts(out, "/models");
        if (rc == 0)
            rc = lmx_buf_puts(out, tail);
    }
    if (rc == 0 && q != NULL)
        rc = lmx_buf_puts(out, q);
    if (rc == 0 && (q == NULL || strstr(q, "api-version=") == NULL) &&
        (d->api_version != NULL || services))
        rc = lmx_buf_printf(out, "%capi-version=%s", q != NULL ? '&' : '?',
                            d->api_version != NULL ? d->api_version : CX_FOUNDRY_VER);
    return rc;
}

/* Hugging Face: a base that is not the router is a TGI / endpoint URL (LiteLLM's rule). */
static bool hf_router(const struct lmx_deployment *d)
{
    return d->api_base == NULL || strcmp(d->api_base, CX_HF_ROUTER) == 0 ||
           strcmp(d->api_base, "https://router.huggingface.co") == 0;
}

static int hf_url(const struct lmx_deployment *d, enum lmx_endpoint ep, struct lmx_buf *out)
{
    const char *base = hf_router(d) ? CX_HF_ROUTER : d->api_base;
    const char *tail = ep == LMX_EP_EMBEDDINGS ? "/embeddings" : lmx_endpoint_path(ep);
    size_t n = strlen(base);
    int rc;

    while (n > 0 && base[n - 1] == '/')
        n--;
    rc = lmx_buf_append(out, base, n);
    if (rc == 0 && !has_suffix(base, n, tail) && !has_suffix(base, n, "/v1"))
        rc = lmx_buf_puts(out, "/v1");
    if (rc == 0 && !has_suffix(base, n, tail))
        rc = lmx_buf_puts(out, tail);
    return rc;
}

/* Snowflake Cortex: api_base, else the account's host from SNOWFLAKE_ACCOUNT_ID. */
static int snowflake_base(const struct lmx_deployment *d, char *out, size_t len)
{
    const char *acct = getenv("SNOWFLAKE_ACCOUNT_ID");
    size_t n;
    int k;

    if (d->api_base != NULL && d->api_base[0] != '\0')
        k = snprintf(out, len, "%s", d->api_base);
    else if (acct != NULL && acct[0] != '\0')
        k = snprintf(out, len, "https://%s.snowflakecomputing.com/api/v2/cortex/v1", acct);
    else
        return LMX_EBADREQ;
    if (k < 0 || (size_t)k >= len)
        return LMX_ETOOBIG;
    n = (size_t)k;
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    if (has_suffix(out, n, "/chat/completions"))
        out[n - 17] = '\0';
    return 0;
}

/* {base}{tail}, unless base already ends with tail. */
static int plain_url(const char *base, const char *tail, struct lmx_buf *out)
{
    size_t n = strlen(base);
    int rc;

    while (n > 0 && base[n - 1] == '/')
        n--;
    rc = lmx_buf_append(out, base, n);
    if (rc == 0 && !has_suffix(base, n, tail))
        rc = lmx_buf_puts(out, tail);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Claude through anthropic.c */

static const struct lmx_provider_ops *const anth = &lmx_provider_anthropic_ops;

static void enter(struct lmx_pcall *pc, struct cx_state *st, const struct lmx_deployment **saved)
{
    *saved = pc->dep;
    pc->dep = &st->dep;
    pc->state = st->inner;
}

static void leave(struct lmx_pcall *pc, struct cx_state *st, const struct lmx_deployment *saved)
{
    st->inner = pc->state;
    pc->state = st;
    pc->dep = saved;
}

static void drop_header(struct lmx_upreq *u, const char *name)
{
    size_t k = strlen(name);

    for (size_t i = 0; i < u->nheaders; i++)
        if (strncasecmp(u->headers[i], name, k) == 0 && u->headers[i][k] == ':') {
            memmove(&u->headers[i], &u->headers[i + 1],
                    (u->nheaders - i - 1) * sizeof(u->headers[0]));
            u->nheaders--;
            i--;
        }
}

/*
 * The Anthropic base of a Claude call. Foundry: api_base up to "/anthropic",
 * a whole ".../v1/messages" URL as is, else {scheme://host}/anthropic.
 * Cortex: the base without its "/v1" (anthropic.c appends /v1/messages).
 */
static int claude_base(struct cx_state *st, const struct lmx_deployment *d)
{
    const char *b = d->api_base, *a;
    int k;

    if (st->fam == CX_SNOWFLAKE) {
        size_t n;
        int rc = snowflake_base(d, st->base, sizeof(st->base));

        if (rc < 0)
            return rc;
        n = strlen(st->base);
        if (has_suffix(st->base, n, "/v1"))
            st->base[n - 3] = '\0';
        return 0;
    }
    a = strstr(b, "/anthropic");
    if (has_suffix(b, strlen(b), "/v1/messages")) /* a whole Messages URL is used as is */
        k = snprintf(st->base, sizeof(st->base), "%s", b);
    else if (a != NULL)
        k = snprintf(st->base, sizeof(st->base), "%.*s", (int)(a - b) + 10, b);
    else
        k = snprintf(st->base, sizeof(st->base), "%.*s/anthropic", (int)origin_len(b), b);
    return k < 0 || (size_t)k >= sizeof(st->base) ? LMX_ETOOBIG : 0;
}

static int claude_build(struct lmx_pcall *pc, struct cx_state *st, struct lmx_upreq *out,
                        struct lmx_perr *err)
{
    const struct lmx_deployment *saved;
    const char *key = key_of(pc->dep);
    int rc;

    rc = claude_base(st, pc->dep);
    if (rc < 0)
        return bad(err, fam_names[st->fam], "no api_base is known", pc->model);
    st->dep = *pc->dep;
    st->dep.api_base = st->base;
    enter(pc, st, &saved);
    rc = anth->build(pc, out, err);
    leave(pc, st, saved);
    if (rc < 0)
        return rc;
    if (st->fam == CX_SNOWFLAKE) {
        drop_header(out, "x-api-key");
        if (key != NULL) {
            bool pat = strncmp(key, "pat/", 4) == 0;

            rc = lmx_upreq_header(out, "Authorization", "Bearer %s", pat ? key + 4 : key);
            if (rc == 0)
                rc = lmx_upreq_header(out, "X-Snowflake-Authorization-Token-Type", "%s",
                                      pat ? "PROGRAMMATIC_ACCESS_TOKEN" : "KEYPAIR_JWT");
        }
    } else if (key != NULL) {
        /* LiteLLM's AzureAnthropicConfig: Azure's auth header next to x-api-key */
        if (host_ends(st->base, ".services.ai.azure.com") ||
            host_ends(st->base, ".openai.azure.com"))
            rc = lmx_upreq_header(out, "api-key", "%s", key);
        else
            rc = lmx_upreq_header(out, "Authorization", "Bearer %s", key);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* Azure AI: text-only content lists become one string (LiteLLM's _transform_messages). */
static int flatten_text(json_t *params)
{
    json_t *msgs = json_object_get(params, "messages"), *m;
    size_t i;

    json_array_foreach(msgs, i, m) {
        json_t *c = json_object_get(m, "content"), *part;
        struct lmx_buf b;
        bool text_only = json_is_array(c) && json_array_size(c) > 0;
        size_t j;
        int rc = 0;

        json_array_foreach(c, j, part) {
            const char *ty = json_string_value(json_object_get(part, "type"));

            if (ty == NULL || strcmp(ty, "text") != 0 ||
                !json_is_string(json_object_get(part, "text")))
                text_only = false;
        }
        if (!text_only)
            continue;
        lmx_buf_init(&b, 256u << 20);
        json_array_foreach(c, j, part) {
            if (rc == 0)
                rc = lmx_buf_puts(&b, json_string_value(json_object_get(part, "text")));
        }
        if (rc == 0)
            rc = lmx_json_put(m, "content", json_stringn(b.data != NULL ? b.data : "", b.len));
        lmx_buf_release(&b);
        if (rc < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* huggingface/<provider>/<org>/<model> -> "<org>/<model>:<provider>" on the router. */
static json_t *hf_model(const struct lmx_deployment *d, const char *model)
{
    const char *s1 = strchr(model, '/'), *s2 = s1 != NULL ? strchr(s1 + 1, '/') : NULL;

    if (!hf_router(d) || s2 == NULL)
        return json_string(model);
    return json_sprintf("%s:%.*s", s1 + 1, (int)(s1 - model), model);
}

/* Voyage: OpenAI's dimensions is output_dimension; encoding_format is null or "base64". */
static int voyage_params(json_t *params)
{
    json_t *dim = json_object_get(params, "dimensions");
    const char *ef = json_string_value(json_object_get(params, "encoding_format"));

    if (dim != NULL) {
        if (json_object_get(params, "output_dimension") == NULL &&
            json_object_set(params, "output_dimension", dim) < 0)
            return LMX_ENOMEM;
        json_object_del(params, "dimensions");
    }
    if (ef != NULL && strcmp(ef, "float") == 0)
        json_object_del(params, "encoding_format");
    return 0;
}

static int auth(struct cx_state *st, const struct lmx_deployment *d, struct lmx_upreq *out)
{
    const char *key = key_of(d);

    if (key == NULL)
        return 0;
    if (st->fam == CX_AZURE_AI && (host_ends(d->api_base, ".services.ai.azure.com") ||
                                   host_ends(d->api_base, ".openai.azure.com")))
        return lmx_upreq_header(out, "api-key", "%s", key);
    if (st->fam == CX_SNOWFLAKE) {
        bool pat = strncmp(key, "pat/", 4) == 0;
        int rc = lmx_upreq_header(out, "Authorization", "Bearer %s", pat ? key + 4 : key);

        return rc < 0 ? rc
                      : lmx_upreq_header(out, "X-Snowflake-Authorization-Token-Type", "%s",
                                         pat ? "PROGRAMMATIC_ACCESS_TOKEN" : "KEYPAIR_JWT");
    }
    return lmx_upreq_header(out, "Authorization", "Bearer %s", key);
}

static int url_of(struct cx_state *st, const struct lmx_pcall *pc, struct lmx_upreq *out,
                  struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *name = fam_names[st->fam];
    char base[1024];

    switch (st->fam) {
    case CX_AZURE_AI:
        if (d->api_base == NULL)
            return bad(err, name, "set api_base (or AZURE_AI_API_BASE)", pc->model);
        return azure_ai_url(d, pc->ep, &out->url);
    case CX_HF:
        if (pc->ep == LMX_EP_EMBEDDINGS && hf_router(d))
            return bad(err, name, "embeddings need the api_base of a TEI endpoint", pc->model);
        return hf_url(d, pc->ep, &out->url);
    case CX_DATABRICKS:
        if (d->api_base == NULL)
            return bad(err, name,
                       "set api_base (or DATABRICKS_API_BASE), e.g. "
                       "https://<workspace>/serving-endpoints",
                       pc->model);
        return plain_url(d->api_base, pc->ep == LMX_EP_EMBEDDINGS ? "/embeddings"
                                                                  : lmx_endpoint_path(pc->ep),
                         &out->url);
    case CX_SNOWFLAKE:
        if (pc->ep != LMX_EP_CHAT)
            return bad(err, name, "this build serves chat completions only", pc->model);
        if (snowflake_base(d, base, sizeof(base)) < 0)
            return bad(err, name, "set api_base (or SNOWFLAKE_ACCOUNT_ID)", pc->model);
        return plain_url(base, "/chat/completions", &out->url);
    case CX_VOYAGE:
        if (pc->ep != LMX_EP_EMBEDDINGS)
            return bad(err, name, "only embeddings are served", pc->model);
        return plain_url(d->api_base != NULL ? d->api_base : "https://api.voyageai.com/v1",
                         "/embeddings", &out->url);
    }
    return LMX_EINTERNAL;
}

static int cx_build(enum cx_fam fam, struct lmx_pcall *pc, struct lmx_upreq *out,
                    struct lmx_perr *err)
{
    struct cx_state *st = lmx_calloc(1, sizeof(*st));
    json_t *params = NULL;
    int rc;

    if (st == NULL)
        return LMX_ENOMEM;
    st->fam = fam;
    lmx_sse_reader_init(&st->sse, CX_EVENT_MAX);
    pc->state = st;
    if (pc->ep != LMX_EP_CHAT && pc->ep != LMX_EP_COMPLETIONS && pc->ep != LMX_EP_EMBEDDINGS)
        return bad(err, fam_names[fam], "this endpoint is not served for the family", pc->model);
    st->claude = pc->ep == LMX_EP_CHAT &&
                 ((fam == CX_AZURE_AI &&
                   (contains_ci(pc->model, "claude") ||
                    (pc->dep->api_base != NULL && strstr(pc->dep->api_base, "/anthropic")))) ||
                  (fam == CX_SNOWFLAKE && contains_ci(pc->model, "claude")));
    if (st->claude)
        return claude_build(pc, st, out, err);

    out->method = "POST";
    rc = url_of(st, pc, out, err);
    if (rc < 0)
        return rc;
    params = lmx_param_call(pc);
    if (params == NULL)
        return LMX_ENOMEM;
    rc = lmx_json_put(params, "model",
                      fam == CX_HF ? hf_model(pc->dep, pc->model) : json_string(pc->model));
    if (rc == 0 && fam == CX_AZURE_AI)
        rc = flatten_text(params);
    if (rc == 0 && fam == CX_VOYAGE)
        rc = voyage_params(params);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "%s",
                              pc->stream ? "text/event-stream" : "application/json");
    if (rc == 0)
        rc = auth(st, pc->dep, out);
    if (rc == 0)
        rc = lmx_json_append(params, &out->body);
    json_decref(params);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/*
 * Databricks Claude endpoints: content is a list of {type:"text"} and
 * {type:"reasoning", summary:[{type:"summary_text", text, signature}]}
 * blocks. In place: content the joined text (null when none),
 * reasoning_content the joined summaries, thinking_blocks as LiteLLM's.
 */
static int fix_content(json_t *msg)
{
    json_t *c = json_object_get(msg, "content"), *blk, *blocks = NULL;
    struct lmx_buf text, reason;
    bool any_text = false;
    size_t i;
    int rc = 0;

    if (!json_is_array(c))
        return 0;
    lmx_buf_init(&text, 256u << 20);
    lmx_buf_init(&reason, 256u << 20);
    json_array_foreach(c, i, blk) {
        const char *ty = json_string_value(json_object_get(blk, "type"));
        json_t *s;
        size_t j;

        if (ty != NULL && strcmp(ty, "text") == 0 && rc == 0) {
            any_text = true;
            {
                const char *t = json_string_value(json_object_get(blk, "text"));

                rc = lmx_buf_puts(&text, t != NULL ? t : "");
            }
        } else if (ty != NULL && strcmp(ty, "reasoning") == 0) {
            json_array_foreach(json_object_get(blk, "summary"), j, s) {
                const char *t = json_string_value(json_object_get(s, "text"));
                json_t *sig = json_object_get(s, "signature"), *tb;

                if (t == NULL || rc < 0)
                    continue;
                rc = lmx_buf_puts(&reason, t);
                if (rc == 0 && blocks == NULL && (blocks = json_array()) == NULL)
                    rc = LMX_ENOMEM;
                tb = rc == 0 ? json_pack("{s:s,s:s}", "type", "thinking", "thinking", t) : NULL;
                if (tb != NULL && json_is_string(sig))
                    json_object_set(tb, "signature", sig);
                if (rc == 0 && (tb == NULL || json_array_append_new(blocks, tb) < 0))
                    rc = LMX_ENOMEM;
            }
        }
    }
    if (rc == 0)
        rc = lmx_json_put(msg, "content", any_text ? json_stringn(text.data != NULL ? text.data : "", text.len)
                                                   : json_null());
    if (rc == 0 && reason.len > 0)
        rc = lmx_json_put(msg, "reasoning_content", json_stringn(reason.data, reason.len));
    if (rc == 0 && blocks != NULL) {
        rc = lmx_json_put(msg, "thinking_blocks", blocks);
        blocks = NULL;
    }
    json_decref(blocks);
    lmx_buf_release(&text);
    lmx_buf_release(&reason);
    return rc < 0 ? LMX_ENOMEM : 0;
}

/* The family's fix of one answer or chunk. */
static int fix(struct cx_state *st, json_t *o)
{
    json_t *choices = json_object_get(o, "choices"), *ch;
    size_t i;

    if (st->fam == CX_DATABRICKS) {
        json_array_foreach(choices, i, ch) {
            int rc = fix_content(json_object_get(ch, "message"));

            if (rc == 0)
                rc = fix_content(json_object_get(ch, "delta"));
            if (rc < 0)
                return rc;
        }
    }
    if (st->fam == CX_VOYAGE) {
        json_t *u = json_object_get(o, "usage");

        if (json_is_object(u) && json_object_get(u, "prompt_tokens") == NULL &&
            json_object_set_new(u, "prompt_tokens",
                                json_integer(lmx_json_int(json_object_get(u, "total_tokens")))) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static const char *error_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_denied_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "internal_server_error" : "invalid_request_error";
    }
}

/* The message of an error body: error.message, error (a string), message or detail. */
static const char *error_message(const json_t *root)
{
    const json_t *e = json_object_get(root, "error");
    const char *m = json_is_string(e) ? json_string_value(e)
                                      : json_string_value(json_object_get(e, "message"));

    if (m == NULL)
        m = json_string_value(json_object_get(root, "message"));
    if (m == NULL)
        m = json_string_value(json_object_get(root, "detail"));
    return m;
}

static int upstream_error(struct cx_state *st, const json_t *root, struct lmx_perr *err)
{
    const char *m = error_message(root);
    long code = lmx_json_int(json_object_get(json_object_get(root, "error"), "code"));
    int status = code >= 400 && code < 600 ? (int)code : 500;

    lmx_perr_set(err, status, error_type(status), NULL, "%s: %s", fam_names[st->fam],
                 m != NULL ? m : "the provider reported an error");
    return LMX_EUPSTREAM;
}

static int cx_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct cx_state *st = pc->state;
    json_t *root;
    int rc;

    *out = NULL;
    if (st == NULL)
        return LMX_EINTERNAL;
    if (st->claude) {
        const struct lmx_deployment *saved;

        enter(pc, st, &saved);
        rc = anth->parse(pc, body, len, out, err);
        leave(pc, st, saved);
        return rc;
    }
    root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "%s returned a body that is not a JSON object: %.*s", fam_names[st->fam],
                     (int)LMX_MIN(len, 120), body);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(root, "error") != NULL && json_object_get(root, "choices") == NULL &&
        json_object_get(root, "data") == NULL) {
        rc = upstream_error(st, root, err);
        json_decref(root);
        return rc;
    }
    rc = fix(st, root);
    if (rc < 0) {
        json_decref(root);
        return rc;
    }
    *out = root;
    return 0;
}

static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct cx_state *st = ud;
    json_t *o;
    int rc;

    LMX_UNUSED(event);
    LMX_UNUSED(event_len);
    if (st->done)
        return 0;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        st->done = true;
        return 0;
    }
    o = json_loadb(data, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                     "%s sent a malformed stream event: %.*s", fam_names[st->fam],
                     (int)LMX_MIN(len, 120), data);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(o, "error") != NULL && json_object_get(o, "choices") == NULL) {
        rc = upstream_error(st, o, st->err);
        json_decref(o);
        return rc;
    }
    rc = fix(st, o);
    st->seen = true;
    if (rc == 0)
        rc = st->cb(o, st->ud);
    json_decref(o);
    return rc;
}

static int stream_failed(struct cx_state *st, int rc)
{
    if (rc == LMX_ETOOBIG)
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                     "%s sent a stream event longer than %u bytes", fam_names[st->fam],
                     CX_EVENT_MAX);
    return rc;
}

static int cx_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud,
                          struct lmx_perr *err)
{
    struct cx_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    if (st->claude) {
        const struct lmx_deployment *saved;

        enter(pc, st, &saved);
        rc = anth->stream_feed(pc, p, n, cb, ud, err);
        leave(pc, st, saved);
        return rc;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    rc = lmx_sse_reader_feed(&st->sse, p, n, on_event, st);
    return rc < 0 ? stream_failed(st, rc) : 0;
}

static int cx_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct cx_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    if (st->claude) {
        const struct lmx_deployment *saved;

        enter(pc, st, &saved);
        rc = anth->stream_end(pc, cb, ud, err);
        leave(pc, st, saved);
        return rc;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    rc = lmx_sse_reader_finish(&st->sse, on_event, st);
    if (rc < 0)
        return stream_failed(st, rc);
    if (!st->done && !st->seen) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "the stream of provider '%s' ended without any event", fam_names[st->fam]);
        return LMX_EUPSTREAM;
    }
    return 0;
}

static void cx_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    struct cx_state *st = pc->state;
    json_t *root;
    const char *m;
    int s = status > 0 && status < 1000 ? (int)status : 500;

    if (st != NULL && st->claude) {
        const struct lmx_deployment *saved;

        enter(pc, st, &saved);
        anth->map_error(pc, status, body, len, out);
        leave(pc, st, saved);
        return;
    }
    root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    m = error_message(root);
    if (m != NULL && m[0] != '\0')
        lmx_perr_set(out, s, error_type(s), NULL, "%s", m);
    else
        lmx_perr_set(out, s, error_type(s), NULL, "%s returned HTTP %d: %.*s",
                     st != NULL ? fam_names[st->fam] : pc->dep->provider, s,
                     (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static void cx_release(struct lmx_pcall *pc)
{
    struct cx_state *st = pc->state;

    if (st == NULL)
        return;
    if (st->claude && st->inner != NULL) {
        const struct lmx_deployment *saved;

        enter(pc, st, &saved);
        anth->release(pc);
        leave(pc, st, saved);
    }
    lmx_sse_reader_release(&st->sse);
    lmx_free(st);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Ops tables */

/*
 * Voyage's other endpoint, /rerank, runs on the proxy's OpenAI path (its body
 * is made there): the URL and the key header for it (and for health probes).
 */
static int voyage_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model,
                      struct lmx_buf *out)
{
    LMX_UNUSED(model);
    return plain_url(d->api_base != NULL ? d->api_base : "https://api.voyageai.com/v1",
                     lmx_endpoint_path(ep), out) < 0
               ? LMX_ENOMEM
               : 0;
}

static int voyage_auth(const struct lmx_deployment *d, const char **lines, size_t max,
                       char *store, size_t store_len)
{
    const char *key = key_of(d);
    int k;

    if (key == NULL || max == 0)
        return 0;
    k = snprintf(store, store_len, "Authorization: Bearer %s", key);
    if (k < 0 || (size_t)k >= store_len)
        return LMX_ETOOBIG;
    lines[0] = store;
    return 1;
}

#define CX_OPS(id, fam, label, url, hdrs)                                                          \
    static int id##_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)      \
    {                                                                                              \
        return cx_build(fam, pc, out, err);                                                        \
    }                                                                                              \
    const struct lmx_provider_ops lmx_provider_##id##_ops = {                                      \
        .name = label,                                                                             \
        .build_url = url,                                                                          \
        .auth_headers = hdrs,                                                                      \
        .build = id##_build,                                                                       \
        .parse = cx_parse,                                                                         \
        .stream_feed = cx_stream_feed,                                                             \
        .stream_end = cx_stream_end,                                                               \
        .map_error = cx_map_error,                                                                 \
        .release = cx_release,                                                                     \
    }

CX_OPS(azure_ai, CX_AZURE_AI, "azure_ai", NULL, NULL);
CX_OPS(huggingface, CX_HF, "huggingface", NULL, NULL);
CX_OPS(databricks, CX_DATABRICKS, "databricks", NULL, NULL);
CX_OPS(snowflake, CX_SNOWFLAKE, "snowflake", NULL, NULL);
CX_OPS(voyage, CX_VOYAGE, "voyage", voyage_url, voyage_auth);
