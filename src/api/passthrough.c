/*
 * api/passthrough.c - the pass-through routes (COMPAT.md §4.7).
 *
 *   /anthropic/<rest>  Anthropic      x-api-key (+ anthropic-version when the client has none)
 *   /gemini/<rest>     Google AI      x-goog-api-key (the client may send its key as ?key=)
 *   /openai/<rest>     OpenAI         Authorization: Bearer
 *   /azure/<rest>      Azure OpenAI   api-key
 *   /bedrock/<rest>    AWS Bedrock    SigV4 (service bedrock), or Bearer with an API key
 *   /cohere/<rest>, /mistral/<rest>, /vllm/<rest>    Bearer
 *   /vertex_ai/<rest>  Vertex AI      Authorization: Bearer <OAuth2 access token>
 *   general_settings.pass_through_endpoints[]: {path, target, headers, forward_headers,
 *                      include_subpath, auth (default true), cost_per_request}
 *
 * No translation: the llmux key is checked (and, like every key header, never
 * sent upstream), the provider credential is added, <rest> and the query are
 * appended to the provider's base URL, and the body goes as received. The
 * credential comes from a deployment of that provider in model_list (one with
 * use_in_pass_through: true first), else the provider's environment
 * variables, else nothing (500 naming the variable); the base URL likewise,
 * else the provider's public one.
 *
 * /vertex_ai/ (as LiteLLM): the credentials are those of a vertex_ai/ (or
 * vertex_ai_beta/) deployment - the first whose vertex_project and
 * vertex_location are the path's, else one with use_in_pass_through, else the
 * first - or, with none, VERTEXAI_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS.
 * The access token comes from provider/vertex.c's token step (its ops'
 * token_prepare / token_done): cached per credential, and fetched on the
 * worker's loop before the call when missing or about to expire. A path with
 * /projects/{p}/locations/{l}/ keeps them unless the deployment sets
 * vertex_project / vertex_location (those win); a path without them
 * ("/v1/publishers/google/models/m:generateContent") gets
 * /{v1|v1beta1}/projects/{project}/locations/{location} from the deployment,
 * the key or the environment. The host is https://{location}-aiplatform.
 * googleapis.com (aiplatform.googleapis.com for global) unless the deployment
 * has an api_base; a ":stream..." method gets ?alt=sse when the client gave
 * no alt. A refused credential answers 401 naming the service account; a
 * token endpoint that cannot be reached or answers 5xx, 503 (429 stays 429,
 * an answer cut short is 502). An upstream 401 drops the cached token.
 *
 * The answer keeps its status, headers and bytes. A JSON answer is held
 * (bounded) so x-litellm-response-cost can go in its headers; anything else
 * (SSE above all) is relayed chunk by chunk with backpressure, and a client
 * that goes away cancels the upstream call. Usage is read on the way without
 * changing a byte: `usage` / `usageMetadata` of a JSON answer, and the SSE
 * events that carry it (Anthropic message_start / message_delta, OpenAI's
 * last chunk, Gemini usageMetadata, Cohere message-end). The cost is logged
 * at debug level and the deployment used, if any, is told how the call went.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api_int.h"
#include "api/passthrough.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/prices.h"
#include "provider/sigv4.h"
#include "provider/vertex.h"
#include "route/retry.h"
#include "route/state.h"
#include "upstream/sse.h"

#define PT_HOLD_MAX      (8u << 20)   /* a JSON answer held for its cost header */
#define PT_SSE_MAX       (4u << 20)   /* one SSE event read for usage */
#define PT_HSTORE_MAX    (256u << 10) /* upstream request header lines */
#define PT_MAX_UP_HDRS   96
#define PT_MAX_OUT_HDRS  64
#define PT_DEFAULT_REGION "us-west-2" /* LiteLLM's last resort for Bedrock */
#define PT_ANTHROPIC_VERSION "2023-06-01"

/* ------------------------------------------------------------------------ */
/* Providers */

enum pt_auth { PT_X_API_KEY, PT_GOOG, PT_BEARER, PT_AZURE, PT_SIGV4, PT_OAUTH };

struct pt_provider {
    const char *route;      /* the path prefix without its '/' */
    const char *label;      /* for messages */
    const char *dep1, *dep2; /* deployment providers that lend their credentials */
    const char *key_env;    /* space-separated; the first one set wins */
    const char *base_env;
    const char *base;       /* the public base URL; NULL when it must be configured */
    enum pt_auth auth;
    bool key_optional;
};

/* clang-format off */
static const struct pt_provider providers[] = {
    {"anthropic", "Anthropic", "anthropic", NULL, "ANTHROPIC_API_KEY",
     "ANTHROPIC_API_BASE ANTHROPIC_BASE_URL", "https://api.anthropic.com", PT_X_API_KEY, false},
    {"gemini", "Gemini", "gemini", NULL, "GEMINI_API_KEY GOOGLE_API_KEY", "GEMINI_API_BASE",
     "https://generativelanguage.googleapis.com", PT_GOOG, false},
    {"openai", "OpenAI", "openai", "text-completion-openai", "OPENAI_API_KEY",
     "OPENAI_API_BASE OPENAI_BASE_URL", "https://api.openai.com/v1", PT_BEARER, false},
    {"azure", "Azure", "azure", "azure_text", "AZURE_API_KEY AZURE_OPENAI_API_KEY",
     "AZURE_API_BASE", NULL, PT_AZURE, false},
    {"bedrock", "Bedrock", "bedrock", NULL, "AWS_BEARER_TOKEN_BEDROCK",
     "AWS_BEDROCK_RUNTIME_ENDPOINT", NULL, PT_SIGV4, false},
    {"cohere", "Cohere", "cohere", "cohere_chat", "COHERE_API_KEY CO_API_KEY", "COHERE_API_BASE",
     "https://api.cohere.com", PT_BEARER, false},
    {"mistral", "Mistral", "mistral", NULL, "MISTRAL_API_KEY", "MISTRAL_API_BASE",
     "https://api.mistral.ai/v1", PT_BEARER, false},
    {"vllm", "vLLM", "hosted_vllm", "vllm", "HOSTED_VLLM_API_KEY",
     "HOSTED_VLLM_API_BASE VLLM_API_BASE", NULL, PT_BEARER, true},
    {"vertex_ai", "Vertex AI", "vertex_ai", "vertex_ai_beta",
     "VERTEXAI_CREDENTIALS GOOGLE_APPLICATION_CREDENTIALS", NULL, NULL, PT_OAUTH, false},
};
/* clang-format on */

/* Bedrock routes served by bedrock-agent-runtime rather than bedrock-runtime. */
static const char *const agent_routes[] = {"/agents/", "/knowledgebases/", "/flows/",
                                           "/retrieveAndGenerate"};

/* ------------------------------------------------------------------------ */
/* One call */

struct pt_call {
    struct lmx_api_worker *w;
    struct lmx_http_req *req; /* NULL once the client is gone */
    struct lmx_config *cfg;
    const struct pt_provider *pv;     /* NULL for a custom endpoint */
    const struct lmx_deployment *dep; /* whose credentials are used, or NULL */
    const char *name;                 /* provider route or custom path, for messages */
    bool fixed_cost_set;
    double fixed_cost; /* a custom endpoint's cost_per_request */
    bool dstate_begun;

    struct lmx_buf url;
    struct lmx_buf hstore; /* "Name: value\0" lines */
    size_t hoff[PT_MAX_UP_HDRS];
    const char *hptr[PT_MAX_UP_HDRS];
    size_t nh;
    struct lmx_xfer *xfer;

    long status;
    struct lmx_buf rhdrs; /* the upstream's header block, copied; out[] points into it */
    struct lmx_http_hdr out[PT_MAX_OUT_HDRS + 2];
    size_t nout;
    bool hold;    /* the answer is held until it is whole (JSON) */
    bool started; /* the client's response has begun */
    struct lmx_buf body;
    struct lmx_sse_reader sse;
    bool sse_on;

    json_t *usage; /* normalised to OpenAI's or Anthropic's shape */
    char model[256];     /* from the answer's "model" */
    char req_model[256]; /* from the request body or path */
    char alt_model[256]; /* Gemini's modelVersion */
    char call_id[64];
    uint64_t t_start;
    uint64_t ttfb_ns;

    /* /vertex_ai: the token step, run through provider/vertex.c's ops */
    const char *rest;              /* the path after the route (in req->path) */
    struct lmx_deployment env_dep; /* zeroed: credentials from the environment */
    struct lmx_pcall pcall;        /* only dep set; its state is the adapter's */
    bool pcall_on;
    struct lmx_upreq *tokreq; /* the token request, alive until its transfer ends */
    long tok_status;
};

struct pt_fail {
    int status;
    const char *type;
    char msg[512];
};

static void fail_set(struct pt_fail *f, int status, const char *type, const char *fmt, ...)
    LMX_PRINTF(4, 5);

static void fail_set(struct pt_fail *f, int status, const char *type, const char *fmt, ...)
{
    va_list ap;

    f->status = status;
    f->type = type;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
}

static void call_free(struct pt_call *c)
{
    if (c->req != NULL) {
        c->req->on_abort = NULL;
        c->req->on_drain = NULL;
    }
    if (c->pcall_on && lmx_provider_vertex_ops.release != NULL)
        lmx_provider_vertex_ops.release(&c->pcall);
    if (c->tokreq != NULL) {
        lmx_upreq_release(c->tokreq);
        lmx_free(c->tokreq);
    }
    json_decref(c->usage);
    lmx_buf_release(&c->url);
    lmx_buf_release(&c->hstore);
    lmx_buf_release(&c->rhdrs);
    lmx_buf_release(&c->body);
    lmx_sse_reader_release(&c->sse);
    lmx_api_cfg_put(c->w, c->cfg);
    lmx_free(c);
}

/* Answers with the error envelope and frees the call. */
static void call_fail(struct pt_call *c, const struct pt_fail *f)
{
    if (c->req != NULL) {
        struct lmx_hdrset hs;

        lmx__hdrset_init(&hs);
        lmx__hdrset_add(&hs, "x-litellm-call-id", "%s", c->call_id);
        lmx__send_error(c->req, &hs, f->status, f->type, NULL, "%s", f->msg);
        c->req = NULL;
    }
    call_free(c);
}

/* ------------------------------------------------------------------------ */
/* Small helpers */

static const char *env_str(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* The first variable of a space-separated list that is set; its name goes to *which. */
static const char *env_first(const char *list, const char **which)
{
    char name[64];

    while (list != NULL && *list != '\0') {
        size_t n = strcspn(list, " ");
        const char *v;

        if (n > 0 && n < sizeof(name)) {
            memcpy(name, list, n);
            name[n] = '\0';
            if ((v = env_str(name)) != NULL) {
                if (which != NULL)
                    *which = list;
                return v;
            }
        }
        list += n;
        while (*list == ' ')
            list++;
    }
    return NULL;
}

/* The first name of a space-separated list, for messages. */
static int first_name_len(const char *list)
{
    return list != NULL ? (int)strcspn(list, " ") : 0;
}

/* A non-empty string of the deployment's litellm_params, or NULL. */
static const char *lp_str(const struct lmx_deployment *d, const char *key)
{
    const char *v = d != NULL ? json_string_value(json_object_get(d->litellm_params, key)) : NULL;

    return v != NULL && *v != '\0' ? v : NULL;
}

static bool truthy(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return strcasecmp(json_string_value(v), "true") == 0;
    return false;
}

/* Adds one upstream header line; the format makes "Name: value". */
static int up_header(struct pt_call *c, const char *fmt, ...) LMX_PRINTF(2, 3);

static int up_header(struct pt_call *c, const char *fmt, ...)
{
    size_t off = c->hstore.len;
    va_list ap;
    int err;

    if (c->nh == PT_MAX_UP_HDRS)
        return LMX_EHDRTOOBIG;
    va_start(ap, fmt);
    err = lmx_buf_vprintf(&c->hstore, fmt, ap);
    va_end(ap);
    if (err == 0)
        err = lmx_buf_append(&c->hstore, "", 1);
    if (err < 0) {
        if (c->hstore.data != NULL) {
            c->hstore.len = off;
            c->hstore.data[off] = '\0';
        }
        return err == LMX_ETOOBIG ? LMX_EHDRTOOBIG : err;
    }
    c->hoff[c->nh++] = off;
    return 0;
}

static bool name_is(const char *n, size_t len, const char *s)
{
    return strlen(s) == len && strncasecmp(n, s, len) == 0;
}

/* Client headers never sent upstream: hop-by-hop, framing, keys, the proxy's own. */
static bool drop_client_header(const struct pt_call *c, const char *n, size_t len)
{
    static const char *const drop[] = {
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "expect", "te",
        "trailer", "upgrade", "proxy-authorization", "proxy-connection", "accept-encoding",
        "authorization", "x-api-key", "api-key", "x-goog-api-key", "x-litellm-api-key",
        "ocp-apim-subscription-key",
    };
    static const char *const amz[] = {"x-amz-date", "x-amz-security-token",
                                      "x-amz-content-sha256"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(drop); i++)
        if (name_is(n, len, drop[i]))
            return true;
    if (len >= 10 && strncasecmp(n, "x-litellm-", 10) == 0)
        return true;
    if (c->pv != NULL && c->pv->auth == PT_SIGV4)
        for (size_t i = 0; i < LMX_ARRAY_SIZE(amz); i++)
            if (name_is(n, len, amz[i]))
                return true;
    return false;
}

/* Is `name` one of the keys of the object `set` (case-insensitive)? */
static bool in_header_set(const json_t *set, const char *n, size_t len)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)set, k, v) {
        LMX_UNUSED(v);
        if (name_is(n, len, k))
            return true;
    }
    return false;
}

/*
 * The client's headers that may go upstream; `only` (when not NULL) limits
 * them to those names, `skip` (an object, may be NULL) drops the names it has.
 */
static int forward_client_headers(struct pt_call *c, const char *const *only, size_t nonly,
                                  const json_t *skip)
{
    const struct lmx_http_req *req = c->req;
    int err = 0;

    for (size_t i = 0; err == 0 && i < req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &req->hdrs[i];
        bool ok = only == NULL;

        for (size_t j = 0; !ok && j < nonly; j++)
            ok = name_is(h->name, h->name_len, only[j]);
        if (!ok || drop_client_header(c, h->name, h->name_len) ||
            (skip != NULL && in_header_set(skip, h->name, h->name_len)))
            continue;
        err = up_header(c, "%.*s: %.*s", (int)h->name_len, h->name, (int)h->value_len,
                        h->value);
    }
    if (err == 0 && req->body.len > 0 && lmx_http_req_header(req, "content-type", NULL) == NULL &&
        (skip == NULL || !in_header_set(skip, "content-type", 12)))
        err = up_header(c, "Content-Type:"); /* keeps curl from inventing a form type */
    return err;
}

/* "v1", "v1beta", "v2": a version segment of a path. */
static bool version_seg(const char *s, size_t n)
{
    if (n < 2 || s[0] != 'v' || s[1] < '0' || s[1] > '9')
        return false;
    for (size_t i = 2; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/*
 * base + rest + "?" query. When the base already ends with the segment the
 * rest starts with, or both are API versions ("…/v1" and "/v1beta/…"), the
 * base's one goes: OPENAI_API_BASE=https://host/v1 with /openai/v1/files
 * calls https://host/v1/files, as LiteLLM (which replaces the base's path).
 */
static int join_url(struct lmx_buf *out, const char *base, const char *rest, const char *query)
{
    size_t bl = strlen(base);
    const char *scheme = strstr(base, "://");
    const char *path = NULL;
    int err;

    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    if (scheme != NULL && (size_t)(scheme + 3 - base) <= bl)
        path = memchr(scheme + 3, '/', bl - (size_t)(scheme + 3 - base));
    if (path != NULL && rest[0] == '/') {
        const char *ls = base + bl;
        const char *rs = rest + 1;
        size_t rl = strcspn(rs, "/"), sl;

        while (ls > path && ls[-1] != '/')
            ls--;
        sl = (size_t)(base + bl - ls);
        if (sl > 0 && rl > 0 &&
            ((sl == rl && memcmp(ls, rs, sl) == 0) || (version_seg(ls, sl) && version_seg(rs, rl))))
            bl = (size_t)(ls - 1 - base);
    }
    err = lmx_buf_append(out, base, bl);
    if (err == 0)
        err = lmx_buf_puts(out, rest);
    if (err == 0 && query != NULL && *query != '\0')
        err = lmx_buf_printf(out, "?%s", query);
    return err;
}

/* The query without its `name` parameters (Gemini's ?key=). */
static int filter_query(struct lmx_buf *out, const char *q, const char *name)
{
    size_t nl = strlen(name);
    bool first = true;
    int err = 0;

    while (err == 0 && *q != '\0') {
        size_t n = strcspn(q, "&");

        if (n > 0 && !(n >= nl && strncmp(q, name, nl) == 0 && (n == nl || q[nl] == '='))) {
            err = lmx_buf_append(out, first ? "" : "&", first ? 0 : 1);
            if (err == 0)
                err = lmx_buf_append(out, q, n);
            first = false;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    if (err == 0 && out->data == NULL)
        err = lmx_buf_puts(out, "");
    return err;
}

/* Copies a path segment into out, %XX decoded (Bedrock model ids are sent encoded). */
static void copy_segment(char *out, size_t n, const char *s, size_t len)
{
    size_t k = 0;

    for (size_t i = 0; i < len && k + 1 < n; i++) {
        unsigned v;

        if (s[i] == '%' && i + 2 < len && sscanf(s + i + 1, "%2x", &v) == 1) {
            out[k++] = (char)v;
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
}

/* The model named in the path: /models/{m}:verb, /model/{id}/verb, /deployments/{name}/... */
static void model_from_path(struct pt_call *c, const char *rest)
{
    static const char *const marks[] = {"/models/", "/model/", "/deployments/"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(marks); i++) {
        const char *p = strstr(rest, marks[i]);

        if (p != NULL) {
            p += strlen(marks[i]);
            copy_segment(c->req_model, sizeof(c->req_model), p, strcspn(p, "/:"));
            return;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Usage */

static json_int_t int_of(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

/* Usage in any provider's shape -> OpenAI's or Anthropic's (what lmx_cost reads); new ref. */
static json_t *usage_norm(const json_t *u)
{
    const json_t *t;

    if (!json_is_object(u))
        return NULL;
    if (json_object_get(u, "promptTokenCount") != NULL ||
        json_object_get(u, "candidatesTokenCount") != NULL) {
        /* Gemini usageMetadata: thoughts are billed as output */
        json_int_t p = int_of(u, "promptTokenCount"), out = int_of(u, "candidatesTokenCount");
        json_int_t th = int_of(u, "thoughtsTokenCount"), tot = int_of(u, "totalTokenCount");

        return json_pack("{s:I,s:I,s:I,s:{s:I},s:{s:I}}", "prompt_tokens", p, "completion_tokens",
                         out + th, "total_tokens", tot > 0 ? tot : p + out + th,
                         "prompt_tokens_details", "cached_tokens",
                         int_of(u, "cachedContentTokenCount"), "completion_tokens_details",
                         "reasoning_tokens", th);
    }
    if (json_object_get(u, "inputTokens") != NULL || json_object_get(u, "outputTokens") != NULL) {
        /* Bedrock Converse */
        return json_pack("{s:I,s:I,s:I,s:I}", "input_tokens", int_of(u, "inputTokens"),
                         "output_tokens", int_of(u, "outputTokens"), "cache_read_input_tokens",
                         int_of(u, "cacheReadInputTokens"), "cache_creation_input_tokens",
                         int_of(u, "cacheWriteInputTokens"));
    }
    t = json_object_get(u, "tokens");
    if (!json_is_object(t))
        t = json_object_get(u, "billed_units");
    if (json_is_object(t) && json_object_get(u, "input_tokens") == NULL &&
        json_object_get(u, "prompt_tokens") == NULL) {
        /* Cohere v2: {billed_units, tokens} */
        return json_pack("{s:I,s:I}", "input_tokens", int_of(t, "input_tokens"), "output_tokens",
                         int_of(t, "output_tokens"));
    }
    return json_deep_copy(u);
}

static uint64_t usage_total(const json_t *u)
{
    json_int_t t = int_of(u, "total_tokens");

    if (t > 0)
        return (uint64_t)t;
    t = int_of(u, "prompt_tokens") + int_of(u, "completion_tokens") + int_of(u, "input_tokens") +
        int_of(u, "output_tokens") + int_of(u, "cache_read_input_tokens") +
        int_of(u, "cache_creation_input_tokens");
    return (uint64_t)t;
}

static void set_usage(struct pt_call *c, json_t *u)
{
    if (u == NULL)
        return;
    json_decref(c->usage);
    c->usage = u;
}

static void keep_model(char *dst, size_t n, const json_t *v)
{
    if (dst[0] == '\0' && json_is_string(v) && json_string_length(v) < n)
        snprintf(dst, n, "%s", json_string_value(v));
}

/* What a whole JSON answer says about its model and usage. */
static void read_answer(struct pt_call *c, const json_t *root)
{
    const json_t *u;

    if (!json_is_object(root))
        return;
    keep_model(c->model, sizeof(c->model), json_object_get(root, "model"));
    keep_model(c->alt_model, sizeof(c->alt_model), json_object_get(root, "modelVersion"));
    u = json_object_get(root, "usage");
    if (!json_is_object(u))
        u = json_object_get(root, "usageMetadata");
    if (json_is_object(u))
        set_usage(c, usage_norm(u));
}

/* One SSE event of a 2xx stream: its usage, if any. The bytes themselves were already sent. */
static int sse_event(const char *ev, size_t evlen, const char *data, size_t len, void *ud)
{
    struct pt_call *c = ud;
    const char *type;
    json_t *root, *u;

    LMX_UNUSED(ev);
    LMX_UNUSED(evlen);
    if (len == 0 || data[0] != '{' ||
        (c->model[0] != '\0' && memmem(data, len, "sage", 4) == NULL))
        return 0; /* most events carry neither usage nor the model */
    root = json_loadb(data, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    type = json_string_value(json_object_get(root, "type"));
    if (type != NULL && strcmp(type, "message_start") == 0) {
        /* Anthropic: the input side first, output_tokens grows in message_delta */
        json_t *m = json_object_get(root, "message");

        keep_model(c->model, sizeof(c->model), json_object_get(m, "model"));
        set_usage(c, usage_norm(json_object_get(m, "usage")));
    } else if (type != NULL && strcmp(type, "message_delta") == 0) {
        u = json_object_get(root, "usage");
        if (json_is_object(u) && json_is_object(c->usage))
            json_object_update(c->usage, u);
        else
            set_usage(c, usage_norm(u));
    } else if (type != NULL && strcmp(type, "message-end") == 0) {
        set_usage(c, usage_norm(json_object_get(json_object_get(root, "delta"), "usage")));
    } else {
        read_answer(c, root); /* OpenAI's usage chunk, Gemini's usageMetadata */
    }
    json_decref(root);
    return 0;
}

/* The cost of the call when it is known: cost_per_request, else usage at the model's prices. */
static int call_cost(struct pt_call *c, double *out)
{
    const char *model = c->model[0]       ? c->model
                        : c->req_model[0] ? c->req_model
                        : c->alt_model[0] ? c->alt_model
                                          : NULL;
    const struct lmx_price *p;

    if (c->fixed_cost_set) {
        *out = c->fixed_cost;
        return 0;
    }
    if (c->usage == NULL || c->pv == NULL)
        return LMX_DECLINED;
    if (c->dep != NULL)
        return model != NULL ? lmx_prices_call_cost_model(c->dep, model, c->usage, out)
                             : lmx_prices_call_cost(c->dep, c->usage, out);
    if (model == NULL)
        return LMX_DECLINED;
    p = lmx_prices_find(strcmp(c->pv->route, "vllm") == 0 ? "hosted_vllm" : c->pv->route, model);
    if (p == NULL)
        return LMX_DECLINED;
    *out = lmx_cost(p, c->usage);
    return 0;
}

/* The call is over: the deployment's state and the debug log hear how it went. */
static void call_record(struct pt_call *c, int err)
{
    uint64_t tokens = usage_total(c->usage);
    /* a client that left says nothing about the deployment */
    bool ok = (err == 0 && c->status >= 200 && c->status < 400) || err == LMX_ECLIENT;

    if (c->dstate_begun) {
        enum lmx_errclass cls =
            ok ? LMX_EC_NONE
               : lmx_route_classify(err, err == 0 ? c->status : 0, c->body.data, c->body.len);
        uint64_t took = (c->hold || c->ttfb_ns == 0 ? lmx_now_ns() - c->t_start : c->ttfb_ns);

        lmx_dstate_end(c->dep->state, lmx_wall_ms(), ok, cls, took / 1000, tokens);
        c->dstate_begun = false;
    }
    if (lmx_log_get_level() <= LMX_LOG_DEBUG) {
        char ustr[512] = "none", cstr[64] = "unknown";
        double cost;
        char *dump = c->usage != NULL ? json_dumps(c->usage, JSON_COMPACT) : NULL;

        if (dump != NULL)
            snprintf(ustr, sizeof(ustr), "%s", dump);
        lmx_free(dump);
        if (call_cost(c, &cost) == 0)
            lmx_cost_format(cost, cstr, sizeof(cstr));
        lmx_debug("pass-through %s call %s: HTTP %ld%s%s, model %s, usage %s, tokens %llu, "
                  "cost %s",
                  c->name, c->call_id, c->status, err != 0 ? ", failed: " : "",
                  err != 0 ? lmx_strerror(err) : "",
                  c->model[0] ? c->model : c->req_model[0] ? c->req_model : "?", ustr,
                  (unsigned long long)tokens, cstr);
    }
}

/* ------------------------------------------------------------------------ */
/* Upstream callbacks */

static void on_client_drain(struct lmx_http_req *req, void *ud)
{
    struct pt_call *c = ud;

    LMX_UNUSED(req);
    if (c->xfer != NULL)
        lmx_xfer_resume(c->xfer);
}

static void on_client_abort(struct lmx_http_req *req, void *ud)
{
    struct pt_call *c = ud;
    struct lmx_api_stats *st = &c->w->stats;

    LMX_UNUSED(req);
    c->req = NULL;
    lmx_api_count(&st->client_aborts);
    lmx_debug("pass-through %s call %s: client went away; cancelling the upstream call", c->name,
              c->call_id);
    if (c->xfer != NULL) {
        lmx_xfer_cancel(c->xfer);
        c->xfer = NULL;
    }
    if (c->dstate_begun) {
        lmx_dstate_end(c->dep->state, lmx_wall_ms(), true, LMX_EC_NONE, 0, usage_total(c->usage));
        c->dstate_begun = false;
    }
    call_free(c);
}

/* Upstream response headers the client must not get as they are. */
static bool drop_answer_header(const char *n, size_t len)
{
    static const char *const drop[] = {
        "connection", "keep-alive", "transfer-encoding", "content-length", "date",
        "proxy-connection", "trailer", "upgrade", "te", "x-litellm-call-id",
        "x-litellm-response-cost",
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(drop); i++)
        if (name_is(n, len, drop[i]))
            return true;
    return false;
}

/* Splits the upstream's header block into out[]; returns the content type (may be NULL). */
static const struct lmx_http_hdr *parse_answer_headers(struct pt_call *c)
{
    const struct lmx_http_hdr *ctype = NULL;
    char *p = c->rhdrs.data, *end = p + c->rhdrs.len;
    bool first = true;

    c->nout = 0;
    while (p != NULL && p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *line_end = eol != NULL ? eol : end;
        char *colon, *v, *ve;

        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        colon = first || line_end <= p ? NULL : memchr(p, ':', (size_t)(line_end - p));
        first = false;
        if (colon != NULL && colon > p && c->nout < PT_MAX_OUT_HDRS &&
            !drop_answer_header(p, (size_t)(colon - p))) {
            v = colon + 1;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            ve = line_end;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            c->out[c->nout] = (struct lmx_http_hdr){p, (size_t)(colon - p), v, (size_t)(ve - v)};
            if (name_is(p, (size_t)(colon - p), "content-type"))
                ctype = &c->out[c->nout];
            c->nout++;
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return ctype;
}

static bool ctype_has(const struct lmx_http_hdr *h, const char *what)
{
    size_t n = strlen(what);

    if (h == NULL)
        return false;
    for (size_t i = 0; i + n <= h->value_len; i++)
        if (strncasecmp(h->value + i, what, n) == 0)
            return true;
    return false;
}

/* Sends the response head for a relayed (not held) answer. */
static int begin_relay(struct pt_call *c)
{
    size_t n = c->nout;

    c->out[n++] = LMX_HDR("x-litellm-call-id", c->call_id);
    if (lmx_http_res_begin(c->req, (int)c->status, c->out, n, -1) < 0)
        return LMX_ECLIENT;
    c->started = true;
    return 0;
}

static int on_up_headers(struct lmx_xfer *x, long status, const char *hdrs, size_t len, void *ud)
{
    struct pt_call *c = ud;
    const struct lmx_http_hdr *ctype;
    int err;

    LMX_UNUSED(x);
    if (c->req == NULL)
        return LMX_ECLIENT;
    c->status = status;
    c->ttfb_ns = lmx_now_ns() - c->t_start;
    if (status == 401 && c->pcall_on) {
        /* Google no longer takes the token (revoked, key deleted): the next call fetches one */
        struct lmx_perr ignored;

        lmx_provider_vertex_ops.map_error(&c->pcall, status, "", 0, &ignored);
    }
    err = lmx_buf_append(&c->rhdrs, hdrs, len);
    if (err < 0)
        return err == LMX_ETOOBIG ? LMX_EUPSTREAM : err;
    ctype = parse_answer_headers(c);
    c->hold = (ctype_has(ctype, "json") && c->req->method != LMX_HTTP_HEAD) || status == 204 ||
              status == 304;
    c->sse_on = status >= 200 && status < 300 && ctype_has(ctype, "text/event-stream");
    if (c->hold)
        return 0;
    return begin_relay(c);
}

/* Relays n bytes (all or none: LMX_AGAIN while the client's buffer is full). */
static int relay(struct pt_call *c, const char *p, size_t n)
{
    int err;

    if (lmx_http_res_room(c->req) == 0)
        return LMX_AGAIN;
    err = lmx_http_res_queue(c->req, p, n);
    if (err < 0)
        return err;
    lmx_http_res_flush(c->req);
    if (c->sse_on && lmx_sse_reader_feed(&c->sse, p, n, sse_event, c) < 0)
        c->sse_on = false; /* an event past the cap: usage stays unknown, bytes flow on */
    return 0;
}

static int on_up_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct pt_call *c = ud;
    int err;

    LMX_UNUSED(x);
    if (c->req == NULL)
        return LMX_ECLIENT;
    if (c->hold) {
        err = lmx_buf_append(&c->body, p, n);
        if (err != LMX_ETOOBIG)
            return err;
        /* too big to hold for a cost header: relay what is held and go on streaming */
        lmx_debug("pass-through %s call %s: answer over %u bytes; relayed without a cost header",
                  c->name, c->call_id, PT_HOLD_MAX);
        c->hold = false;
        err = begin_relay(c);
        if (err == 0 && c->body.len > 0)
            err = lmx_http_res_queue(c->req, c->body.data, c->body.len);
        lmx_buf_release(&c->body);
        if (err < 0)
            return err;
    }
    return relay(c, p, n);
}

/* Sends a held JSON answer with its cost header. */
static void send_held(struct pt_call *c)
{
    size_t n = c->nout;
    char cost_text[64];
    double cost;

    if (c->status >= 200 && c->status < 300 && c->body.len > 0) {
        json_t *root = json_loadb(c->body.data, c->body.len, 0, NULL);

        read_answer(c, root);
        json_decref(root);
        if (call_cost(c, &cost) == 0) {
            lmx_cost_format(cost, cost_text, sizeof(cost_text));
            c->out[n++] = LMX_HDR("x-litellm-response-cost", cost_text);
        }
    }
    c->out[n++] = LMX_HDR("x-litellm-call-id", c->call_id);
    if (lmx_http_res_begin(c->req, (int)c->status, c->out, n, (int64_t)c->body.len) == 0 &&
        c->body.len > 0)
        lmx_http_res_write(c->req, c->body.data, c->body.len);
    lmx_http_res_end(c->req, true);
    c->req = NULL;
}

static void on_up_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct pt_call *c = ud;

    LMX_UNUSED(x);
    c->xfer = NULL;
    if (c->req == NULL) {
        call_record(c, err != 0 ? err : LMX_ECLIENT);
        call_free(c);
        return;
    }
    if (err == LMX_ECLIENT) {
        struct lmx_api_stats *st = &c->w->stats;

        lmx_api_count(&st->client_aborts);
        lmx_debug("pass-through %s call %s: the client went away; upstream call stopped", c->name,
                  c->call_id);
    } else if (err != 0) {
        _Atomic uint64_t *fails = &c->w->stats.upstream_failures;

        lmx_api_count(fails);
        lmx_warn("pass-through %s call %s: upstream failed: %s: %s", c->name, c->call_id,
                 lmx_strerror(err), msg != NULL ? msg : "");
    }
    if (err != 0) {
        call_record(c, err);
        if (c->started) {
            /* the bytes so far are the upstream's own: the client sees the cut as a cut */
            lmx_http_res_abort(c->req);
            c->req = NULL;
            call_free(c);
        } else {
            struct pt_fail f;

            fail_set(&f, lmx_err_status(err), lmx_err_type(err),
                     "pass-through to %s failed: %s%s%s", c->name, lmx_strerror(err),
                     msg != NULL && msg[0] ? ": " : "", msg != NULL ? msg : "");
            call_fail(c, &f);
        }
        return;
    }
    if (c->hold) {
        send_held(c);
    } else {
        if (c->sse_on && lmx_sse_reader_finish(&c->sse, sse_event, c) < 0)
            c->sse_on = false;
        lmx_http_res_end(c->req, true);
        c->req = NULL;
    }
    call_record(c, 0);
    call_free(c);
}

static const struct lmx_xfer_cbs xfer_cbs = {
    .on_headers = on_up_headers,
    .on_data = on_up_data,
    .on_done = on_up_done,
};

/* ------------------------------------------------------------------------ */
/* Credentials and URLs */

/* The deployment whose credentials a provider route uses: use_in_pass_through first. */
static const struct lmx_deployment *pick_dep(const struct lmx_config *cfg,
                                             const struct pt_provider *pv)
{
    const struct lmx_deployment *first = NULL;

    for (size_t i = 0; i < cfg->ndeps; i++) {
        const struct lmx_deployment *d = &cfg->deps[i];

        if (d->provider == NULL || (strcmp(d->provider, pv->dep1) != 0 &&
                                    (pv->dep2 == NULL || strcmp(d->provider, pv->dep2) != 0)))
            continue;
        if (truthy(json_object_get(d->litellm_params, "use_in_pass_through")))
            return d;
        if (first == NULL)
            first = d;
    }
    return first;
}

/* Appends base with every "{region}" replaced. */
static int put_base(struct lmx_buf *out, const char *b, const char *region)
{
    const char *t;
    int err = 0;

    while (err == 0 && (t = strstr(b, "{region}")) != NULL) {
        err = lmx_buf_append(out, b, (size_t)(t - b));
        if (err == 0)
            err = lmx_buf_puts(out, region);
        b = t + 8;
    }
    return err < 0 ? err : lmx_buf_puts(out, b);
}

/* The URL's "host[:port]", path and query, for signing. */
static bool split_url(const char *url, char *host, size_t hn, const char **path, size_t *plen,
                      const char **query)
{
    const char *p = strstr(url, "://"), *slash, *q;

    if (p == NULL)
        return false;
    p += 3;
    slash = p + strcspn(p, "/?");
    if (slash == p || (size_t)(slash - p) >= hn)
        return false;
    memcpy(host, p, (size_t)(slash - p));
    host[slash - p] = '\0';
    q = strchr(slash, '?');
    *path = *slash == '/' ? slash : "/";
    *plen = *slash == '/' ? (q != NULL ? (size_t)(q - slash) : strlen(slash)) : 1;
    *query = q != NULL ? q + 1 : "";
    return true;
}

/* Bedrock: URL from the region and endpoint settings, then SigV4 (or an API key as Bearer). */
static int setup_bedrock(struct pt_call *c, const char *rest, const char *query,
                         struct pt_fail *f)
{
    const struct lmx_deployment *d = c->dep;
    const char *ak = lp_str(d, "aws_access_key_id"), *sk = lp_str(d, "aws_secret_access_key");
    const char *tok = lp_str(d, "aws_session_token"), *region = lp_str(d, "aws_region_name");
    const char *bearer = d != NULL && d->api_key != NULL && *d->api_key ? d->api_key : NULL;
    const char *base = lp_str(d, "api_base");
    bool agent = false;
    struct lmx_buf b;
    int err;

    if (ak == NULL && sk == NULL) {
        ak = env_str("AWS_ACCESS_KEY_ID");
        sk = env_str("AWS_SECRET_ACCESS_KEY");
        if (tok == NULL)
            tok = env_str("AWS_SESSION_TOKEN");
    }
    if (bearer == NULL)
        bearer = env_str("AWS_BEARER_TOKEN_BEDROCK");
    if ((ak == NULL || sk == NULL) && bearer == NULL) {
        fail_set(f, 500, "internal_server_error",
                 "Bedrock pass-through needs AWS credentials: set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK), or a bedrock deployment "
                 "with aws_access_key_id and aws_secret_access_key");
        return LMX_ECONFIG;
    }
    if (region == NULL && (region = env_str("AWS_REGION_NAME")) == NULL &&
        (region = env_str("AWS_REGION")) == NULL &&
        (region = env_str("AWS_DEFAULT_REGION")) == NULL)
        region = PT_DEFAULT_REGION;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(agent_routes); i++)
        agent = agent || strncmp(rest, agent_routes[i], strlen(agent_routes[i])) == 0;
    if (base == NULL && !agent)
        base = lp_str(d, "aws_bedrock_runtime_endpoint");
    if (base == NULL && !agent && d != NULL && d->api_base != NULL &&
        strstr(d->api_base, "{region}") == NULL)
        base = d->api_base;
    if (base == NULL && !agent)
        base = env_str("AWS_BEDROCK_RUNTIME_ENDPOINT");
    lmx_buf_init(&b, 4096);
    if (base != NULL)
        err = put_base(&b, base, region);
    else
        err = lmx_buf_printf(&b, "https://bedrock-%sruntime.%s.amazonaws.com",
                             agent ? "agent-" : "", region);
    if (err == 0)
        err = join_url(&c->url, b.data, rest, query);
    lmx_buf_release(&b);
    if (err < 0)
        return err;
    if (ak == NULL || sk == NULL)
        return up_header(c, "Authorization: Bearer %s", bearer);

    {
        struct lmx_sigv4_hdr h[3];
        struct lmx_sigv4_req r;
        struct lmx_buf auth;
        char host[512], date[17];
        const char *path, *q;
        size_t plen, nh = 0;
        char *pathz;

        if (!split_url(c->url.data, host, sizeof(host), &path, &plen, &q)) {
            fail_set(f, 500, "internal_server_error", "Bedrock pass-through: bad endpoint URL %s",
                     c->url.data);
            return LMX_ECONFIG;
        }
        pathz = lmx_malloc(plen + 1);
        if (pathz == NULL)
            return LMX_ENOMEM;
        memcpy(pathz, path, plen);
        pathz[plen] = '\0';
        lmx_sigv4_date(time(NULL), date);
        h[nh++] = (struct lmx_sigv4_hdr){"host", host};
        h[nh++] = (struct lmx_sigv4_hdr){"x-amz-date", date};
        if (tok != NULL)
            h[nh++] = (struct lmx_sigv4_hdr){"x-amz-security-token", tok};
        memset(&r, 0, sizeof(r));
        r.method = c->req->method_str;
        r.path = pathz;
        r.query = q;
        r.headers = h;
        r.nheaders = nh;
        r.payload = c->req->body.len > 0 ? c->req->body.data : NULL;
        r.payload_len = c->req->body.len;
        r.amz_date = date;
        r.region = region;
        r.service = "bedrock";
        r.access_key = ak;
        r.secret_key = sk;
        lmx_buf_init(&auth, 4096);
        err = lmx_sigv4_sign(&r, &auth, NULL, NULL);
        lmx_free(pathz);
        if (err == 0)
            err = up_header(c, "X-Amz-Date: %s", date);
        if (err == 0 && tok != NULL)
            err = up_header(c, "X-Amz-Security-Token: %s", tok);
        if (err == 0)
            err = up_header(c, "Authorization: %s", auth.data);
        lmx_buf_release(&auth);
        if (err == LMX_EBADREQ) {
            fail_set(f, 400, "invalid_request_error",
                     "Bedrock pass-through: the request cannot be signed (SigV4)");
        }
        return err;
    }
}

/* A provider route: URL, client headers, the credential. */
static int setup_provider(struct pt_call *c, const char *rest, struct pt_fail *f)
{
    const struct pt_provider *pv = c->pv;
    const char *key = NULL, *base = NULL, *query = c->req->query;
    struct lmx_buf q;
    int err;

    lmx_buf_init(&q, 1u << 20);
    if (pv->auth == PT_GOOG) {
        err = filter_query(&q, query, "key"); /* the client's key stays here */
        if (err < 0)
            goto out;
        query = q.data;
    }
    err = forward_client_headers(c, NULL, 0, NULL);
    if (err < 0)
        goto out;
    if (pv->auth == PT_SIGV4) {
        err = setup_bedrock(c, rest, query, f);
        goto out;
    }
    if (c->dep != NULL) {
        key = c->dep->api_key != NULL && *c->dep->api_key ? c->dep->api_key : NULL;
        base = c->dep->api_base != NULL && *c->dep->api_base ? c->dep->api_base : NULL;
    }
    if (key == NULL)
        key = env_first(pv->key_env, NULL);
    if (base == NULL)
        base = env_first(pv->base_env, NULL);
    if (base == NULL)
        base = pv->base;
    if (base == NULL) {
        fail_set(f, 500, "internal_server_error",
                 "Required '%.*s' in environment to make pass-through calls to %s (or a %s "
                 "deployment with an api_base)",
                 first_name_len(pv->base_env), pv->base_env, pv->label, pv->dep1);
        err = LMX_ECONFIG;
        goto out;
    }
    if (key == NULL && !pv->key_optional) {
        fail_set(f, 500, "internal_server_error",
                 "Required '%.*s' in environment to make pass-through calls to %s (or a %s "
                 "deployment with an api_key)",
                 first_name_len(pv->key_env), pv->key_env, pv->label, pv->dep1);
        err = LMX_ECONFIG;
        goto out;
    }
    err = join_url(&c->url, base, rest, query);
    if (err < 0 || key == NULL)
        goto out;
    switch (pv->auth) {
    case PT_X_API_KEY:
        err = up_header(c, "x-api-key: %s", key);
        if (err == 0 && lmx_http_req_header(c->req, "anthropic-version", NULL) == NULL)
            err = up_header(c, "anthropic-version: %s", PT_ANTHROPIC_VERSION);
        break;
    case PT_GOOG: err = up_header(c, "x-goog-api-key: %s", key); break;
    case PT_AZURE: err = up_header(c, "api-key: %s", key); break;
    default: err = up_header(c, "Authorization: Bearer %s", key); break;
    }
out:
    lmx_buf_release(&q);
    return err;
}

/* A config header value with "os.environ/NAME" inside resolved; NULL when NAME is unset. */
static const char *header_value(const json_t *v, char *buf, size_t n)
{
    const char *s, *env, *name;

    if (json_is_integer(v)) {
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    if (json_is_real(v)) {
        snprintf(buf, n, "%g", json_real_value(v));
        return buf;
    }
    s = json_string_value(v);
    if (s == NULL)
        return NULL;
    name = strstr(s, "os.environ/");
    if (name == NULL)
        return s;
    env = getenv(name + 11);
    if (env == NULL)
        return NULL;
    snprintf(buf, n, "%.*s%s", (int)(name - s), s, env);
    return buf;
}

/* A custom endpoint: URL from its target, its headers, the client's when forward_headers. */
static int setup_custom(struct pt_call *c, const json_t *e, const char *sub)
{
    static const char *const body_headers[] = {"content-type"};
    const char *target = json_string_value(json_object_get(e, "target"));
    const json_t *hdrs = json_object_get(e, "headers");
    const char *k;
    json_t *v;
    int err;

    if (!json_is_object(hdrs))
        hdrs = NULL;
    err = lmx_buf_puts(&c->url, target);
    if (err == 0 && sub[0] != '\0') {
        size_t tl = strlen(target);

        if (tl > 0 && target[tl - 1] == '/' && sub[0] == '/')
            sub++;
        err = lmx_buf_puts(&c->url, sub);
    }
    if (err == 0 && c->req->query[0] != '\0')
        err = lmx_buf_printf(&c->url, "%c%s", strchr(target, '?') != NULL ? '&' : '?',
                             c->req->query);
    if (err < 0)
        return err;
    if (truthy(json_object_get(e, "forward_headers")))
        err = forward_client_headers(c, NULL, 0, hdrs);
    else
        err = forward_client_headers(c, body_headers, LMX_ARRAY_SIZE(body_headers), hdrs);
    json_object_foreach((json_t *)hdrs, k, v) {
        char buf[4096];
        const char *val;

        if (err < 0)
            break;
        val = header_value(v, buf, sizeof(buf));
        if (val == NULL) {
            lmx_warn("pass-through %s: header %s names an unset environment variable; not sent",
                     c->name, k);
            continue;
        }
        err = up_header(c, "%s: %s", k, val);
    }
    return err;
}

/* The custom endpoint for this path, or NULL; *sub gets the part after its path. */
static const json_t *custom_find(const struct lmx_config *cfg, const char *path, const char **sub)
{
    const json_t *list =
        json_object_get(json_object_get(cfg->root, "general_settings"), "pass_through_endpoints");
    size_t i;
    json_t *e;

    json_array_foreach((json_t *)list, i, e) {
        const char *p = json_string_value(json_object_get(e, "path"));
        size_t n;

        if (p == NULL || !json_is_string(json_object_get(e, "target")))
            continue;
        n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (strncmp(path, p, n) != 0)
            continue;
        if (path[n] == '\0') {
            *sub = "";
            return e;
        }
        if (path[n] == '/' && truthy(json_object_get(e, "include_subpath"))) {
            *sub = path + n;
            return e;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Vertex AI: an OAuth2 access token first, then the call */

static void start_call(struct pt_call *c);
static void on_client_drain(struct lmx_http_req *req, void *ud);
static void on_client_abort(struct lmx_http_req *req, void *ud);

/* The /projects/{p}/locations/{l} of a Vertex path: spans into rest. */
struct vx_scope {
    const char *proj, *loc;
    size_t plen, llen;
};

static bool vx_scope_of(const char *rest, struct vx_scope *s)
{
    const char *p = strstr(rest, "/projects/");

    if (p == NULL)
        return false;
    s->proj = p + 10;
    s->plen = strcspn(s->proj, "/");
    if (s->plen == 0 || strncmp(s->proj + s->plen, "/locations/", 11) != 0)
        return false;
    s->loc = s->proj + s->plen + 11;
    s->llen = strcspn(s->loc, "/");
    return s->llen > 0;
}

/* A location fit for a host name: letters, digits and '-' ("us-central1", "global"). */
static bool vx_location_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static bool span_is(const char *s, size_t n, const char *v)
{
    return v != NULL && strlen(v) == n && strncmp(s, v, n) == 0;
}

/*
 * The deployment whose credentials /vertex_ai uses: the first whose
 * vertex_project and vertex_location are the path's, else pick_dep's.
 */
static const struct lmx_deployment *vx_dep(const struct lmx_config *cfg,
                                           const struct pt_provider *pv, const char *rest)
{
    struct vx_scope s;

    if (vx_scope_of(rest, &s))
        for (size_t i = 0; i < cfg->ndeps; i++) {
            const struct lmx_deployment *d = &cfg->deps[i];

            if (d->provider != NULL &&
                (strcmp(d->provider, pv->dep1) == 0 || strcmp(d->provider, pv->dep2) == 0) &&
                span_is(s.proj, s.plen, lp_str(d, "vertex_project")) &&
                span_is(s.loc, s.llen, lp_str(d, "vertex_location")))
                return d;
        }
    return pick_dep(cfg, pv);
}

/* Does the query have a parameter `name`? */
static bool query_has(const char *q, const char *name)
{
    size_t nl = strlen(name);

    while (*q != '\0') {
        size_t n = strcspn(q, "&");

        if (n >= nl && strncmp(q, name, nl) == 0 && (n == nl || q[nl] == '='))
            return true;
        q += n;
        if (*q == '&')
            q++;
    }
    return false;
}

/* Appends s with bytes outside [A-Za-z0-9._~@-] %XX-escaped (a path segment). */
static int put_segment(struct lmx_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int err = 0;

    for (const unsigned char *p = (const unsigned char *)s; err == 0 && *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~@", *p) != NULL)
            err = lmx_buf_append(b, p, 1);
        else
            err = lmx_buf_append(b, esc, 3);
    }
    return err;
}

/* The upstream URL: host, the path with its project and location, the query (+ alt=sse). */
static int vx_url(struct pt_call *c, struct pt_fail *f)
{
    const struct lmx_deployment *d = c->pcall.dep;
    const char *rest = c->rest, *query = c->req->query;
    const char *project = lp_str(c->dep, "vertex_project");
    const char *loc = lp_str(c->dep, "vertex_location");
    char locbuf[65];
    struct vx_scope s = {0};
    bool scoped = vx_scope_of(rest, &s);
    int err;

    if (scoped && loc == NULL) {
        if (!vx_location_ok(s.loc, s.llen)) {
            fail_set(f, 400, "invalid_request_error",
                     "Vertex AI pass-through: '%.*s' is not a location (letters, digits and '-')",
                     (int)LMX_MIN(s.llen, 64), s.loc);
            return LMX_EBADREQ;
        }
        snprintf(locbuf, sizeof(locbuf), "%.*s", (int)s.llen, s.loc);
        loc = locbuf;
    }
    if (loc == NULL)
        loc = lmx_vertex_location(d);
    if (!scoped && project == NULL && (project = lmx_vertex_project(&c->pcall)) == NULL) {
        fail_set(f, 400, "invalid_request_error",
                 "Vertex AI pass-through: the path names no project (/v1/projects/{project}/"
                 "locations/{location}/...) and none is configured (vertex_project, the key's "
                 "project_id or VERTEXAI_PROJECT)");
        return LMX_EBADREQ;
    }
    err = lmx_vertex_base(d, loc, &c->url);
    if (err == 0 && scoped) {
        /* the path's own segments, unless the deployment names its project / location */
        err = lmx_buf_append(&c->url, rest, (size_t)(s.proj - rest));
        if (err == 0)
            err = project != NULL ? put_segment(&c->url, project)
                                  : lmx_buf_append(&c->url, s.proj, s.plen);
        if (err == 0)
            err = lmx_buf_puts(&c->url, "/locations/");
        if (err == 0)
            err = put_segment(&c->url, loc);
        if (err == 0)
            err = lmx_buf_puts(&c->url, s.loc + s.llen);
    } else if (err == 0) {
        /* /v1/publishers/... or /publishers/...: the version, project and location go first */
        const char *version = strstr(rest, "cachedContent") != NULL ? "v1beta1" : "v1";

        if (strncmp(rest, "/v1/", 4) == 0) {
            version = "v1";
            rest += 3;
        } else if (strncmp(rest, "/v1beta1/", 9) == 0) {
            version = "v1beta1";
            rest += 8;
        }
        err = lmx_buf_printf(&c->url, "/%s/projects/", version);
        if (err == 0)
            err = put_segment(&c->url, project);
        if (err == 0)
            err = lmx_buf_puts(&c->url, "/locations/");
        if (err == 0)
            err = put_segment(&c->url, loc);
        if (err == 0 && rest[0] != '\0' && rest[0] != '/')
            err = lmx_buf_puts(&c->url, "/");
        if (err == 0)
            err = lmx_buf_puts(&c->url, rest);
    }
    if (err == 0 && query[0] != '\0')
        err = lmx_buf_printf(&c->url, "?%s", query);
    /* a streaming method answers SSE only when asked (LiteLLM adds alt=sse too) */
    if (err == 0 && strstr(c->rest, ":stream") != NULL && !query_has(query, "alt"))
        err = lmx_buf_puts(&c->url, query[0] != '\0' ? "&alt=sse" : "?alt=sse");
    return err;
}

/* The token is at hand: the URL, the client's headers and the bearer token; then the call. */
static void vx_send(struct pt_call *c)
{
    const char *token = lmx_vertex_token(&c->pcall);
    struct pt_fail f = {500, "internal_server_error", ""};
    int err;

    if (c->tokreq != NULL) {
        lmx_upreq_release(c->tokreq);
        lmx_free(c->tokreq);
        c->tokreq = NULL;
    }
    lmx_buf_reset(&c->body);
    c->status = 0;
    if (token == NULL) {
        fail_set(&f, 500, "internal_server_error",
                 "Vertex AI pass-through: the token step left no access token");
        call_fail(c, &f);
        return;
    }
    err = vx_url(c, &f);
    if (err == 0)
        err = forward_client_headers(c, NULL, 0, NULL);
    if (err == 0)
        err = up_header(c, "Authorization: Bearer %s", token);
    if (err < 0) {
        if (f.msg[0] == '\0')
            fail_set(&f, lmx_err_status(err), lmx_err_type(err),
                     "pass-through to %s: cannot build the upstream request: %s", c->name,
                     lmx_strerror(err));
        call_fail(c, &f);
        return;
    }
    start_call(c);
}

static int on_token_headers(struct lmx_xfer *x, long status, const char *hdrs, size_t len,
                            void *ud)
{
    struct pt_call *c = ud;

    LMX_UNUSED(x);
    LMX_UNUSED(hdrs);
    LMX_UNUSED(len);
    if (c->req == NULL)
        return LMX_ECLIENT;
    c->tok_status = status;
    return 0;
}

static int on_token_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct pt_call *c = ud;

    LMX_UNUSED(x);
    if (c->req == NULL)
        return LMX_ECLIENT;
    return lmx_buf_append(&c->body, p, n);
}

/* The token endpoint answered (or could not be reached). */
static void on_token_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct pt_call *c = ud;
    struct lmx_perr pe = {0, "", "", ""};
    struct pt_fail f;

    LMX_UNUSED(x);
    c->xfer = NULL;
    if (c->req == NULL) {
        call_free(c);
        return;
    }
    if (err != 0) {
        _Atomic uint64_t *fails = &c->w->stats.upstream_failures;

        lmx_api_count(fails);
        lmx_warn("pass-through %s call %s: token endpoint %s failed: %s: %s", c->name,
                 c->call_id, c->tokreq != NULL ? c->tokreq->url.data : "?", lmx_strerror(err),
                 msg != NULL ? msg : "");
        fail_set(&f, err == LMX_EUPSTREAM || err == LMX_ETOOBIG ? 502 : 503,
                 "internal_server_error",
                 "Vertex AI pass-through: cannot get an access token from %s: %s%s%s",
                 c->tokreq != NULL ? c->tokreq->url.data : "the token endpoint",
                 lmx_strerror(err), msg != NULL && msg[0] ? ": " : "", msg != NULL ? msg : "");
        call_fail(c, &f);
        return;
    }
    err = lmx_provider_vertex_ops.token_done(&c->pcall, c->tok_status,
                                             c->body.data != NULL ? c->body.data : "",
                                             c->body.len, &pe);
    if (err < 0) {
        fail_set(&f, pe.status > 0 ? pe.status : lmx_err_status(err),
                 pe.type[0] ? pe.type : lmx_err_type(err), "%s",
                 pe.message[0] ? pe.message : lmx_strerror(err));
        call_fail(c, &f);
        return;
    }
    vx_send(c);
}

static const struct lmx_xfer_cbs token_cbs = {
    .on_headers = on_token_headers,
    .on_data = on_token_data,
    .on_done = on_token_done,
};

/*
 * /vertex_ai: the adapter's token step says whether its cached token serves
 * (then the call goes at once) or fills the token request, sent here on the
 * worker's loop; on_token_done carries on.
 */
static void vx_begin(struct pt_call *c)
{
    const struct lmx_provider_ops *ops = &lmx_provider_vertex_ops;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_xfer_req xr;
    struct pt_fail f;
    double timeout = c->cfg->request_timeout;
    int r;

    if (c->dep == NULL && env_first(c->pv->key_env, NULL) == NULL) {
        fail_set(&f, 500, "internal_server_error",
                 "Required 'GOOGLE_APPLICATION_CREDENTIALS' (or 'VERTEXAI_CREDENTIALS') in "
                 "environment to make pass-through calls to Vertex AI (or a vertex_ai deployment "
                 "with vertex_credentials)");
        call_fail(c, &f);
        return;
    }
    c->pcall.dep = c->dep != NULL ? c->dep : &c->env_dep;
    c->pcall.call_id = c->call_id;
    c->pcall_on = true;
    c->tokreq = lmx_malloc(sizeof(*c->tokreq));
    if (c->tokreq == NULL) {
        fail_set(&f, 503, "internal_server_error", "out of memory");
        call_fail(c, &f);
        return;
    }
    lmx_upreq_init(c->tokreq);
    r = ops->token_prepare(&c->pcall, c->tokreq, &pe);
    if (r < 0) {
        fail_set(&f, pe.status > 0 ? pe.status : lmx_err_status(r),
                 pe.type[0] ? pe.type : lmx_err_type(r), "%s",
                 pe.message[0] ? pe.message : lmx_strerror(r));
        call_fail(c, &f);
        return;
    }
    if (r == 0) { /* a cached token */
        vx_send(c);
        return;
    }
    if (c->dep != NULL && c->dep->timeout > 0)
        timeout = c->dep->timeout;
    memset(&xr, 0, sizeof(xr));
    xr.method = c->tokreq->method != NULL ? c->tokreq->method : "POST";
    xr.url = c->tokreq->url.data;
    xr.headers = c->tokreq->headers;
    xr.nheaders = c->tokreq->nheaders;
    xr.body = c->tokreq->body.data != NULL ? c->tokreq->body.data : "";
    xr.body_len = c->tokreq->body.len;
    xr.connect_timeout = timeout > 0 ? LMX_MIN(timeout, 30.0) : 30.0;
    xr.total_timeout = timeout > 0 ? timeout : 60.0;
    c->req->on_abort = on_client_abort;
    c->req->on_drain = on_client_drain;
    c->req->ud = c;
    lmx_api_count(&c->w->stats.upstream_calls);
    lmx_debug("pass-through %s call %s: access token from %s", c->name, c->call_id, xr.url);
    r = lmx_xfer_start(c->w->up, &xr, &token_cbs, c, &c->xfer);
    if (r < 0) {
        c->xfer = NULL;
        fail_set(&f, 503, "internal_server_error",
                 "Vertex AI pass-through: cannot start the token request: %s", lmx_strerror(r));
        call_fail(c, &f);
    }
}

/* ------------------------------------------------------------------------ */
/* Entry */

/* The provider whose prefix the path has; *rest gets what follows it ("" or "/..."). */
static const struct pt_provider *provider_of(const char *path, const char **rest)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(providers); i++) {
        size_t n = strlen(providers[i].route);

        if (path[0] == '/' && strncmp(path + 1, providers[i].route, n) == 0 &&
            (path[n + 1] == '\0' || path[n + 1] == '/')) {
            *rest = path + n + 1;
            return &providers[i];
        }
    }
    return NULL;
}

static void start_call(struct pt_call *c)
{
    struct lmx_api_stats *st = &c->w->stats;
    struct lmx_xfer_req xr;
    double timeout = c->cfg->request_timeout;
    int err;

    if (c->dep != NULL && c->dep->timeout > 0)
        timeout = c->dep->timeout;
    if (c->dep != NULL && c->dep->stream_timeout > timeout)
        timeout = c->dep->stream_timeout;
    for (size_t i = 0; i < c->nh; i++)
        c->hptr[i] = c->hstore.data + c->hoff[i];
    memset(&xr, 0, sizeof(xr));
    xr.method = c->req->method_str;
    xr.url = c->url.data;
    xr.headers = c->hptr;
    xr.nheaders = c->nh;
    if (c->req->body.len > 0 || c->req->method == LMX_HTTP_POST) {
        xr.body = c->req->body.len > 0 ? c->req->body.data : "";
        xr.body_len = c->req->body.len;
    }
    xr.connect_timeout = timeout > 0 ? LMX_MIN(timeout, 30.0) : 30.0;
    xr.idle_timeout = timeout > 0 ? timeout : 0; /* a stall, not the length of a stream */
    c->req->on_abort = on_client_abort;
    c->req->on_drain = on_client_drain;
    c->req->ud = c;
    lmx_api_count(&st->upstream_calls);
    lmx_debug("pass-through %s call %s: %s %s", c->name, c->call_id, xr.method, xr.url);
    c->t_start = lmx_now_ns();
    if (c->dep != NULL && c->dep->state != NULL) {
        lmx_dstate_begin(c->dep->state, lmx_wall_ms());
        c->dstate_begun = true;
    }
    err = lmx_xfer_start(c->w->up, &xr, &xfer_cbs, c, &c->xfer);
    if (err < 0) {
        struct pt_fail f;

        c->xfer = NULL;
        call_record(c, err);
        fail_set(&f, lmx_err_status(err), lmx_err_type(err),
                 "pass-through to %s: cannot start the upstream call: %s", c->name,
                 lmx_strerror(err));
        call_fail(c, &f);
    }
}

bool lmx__passthrough_route(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    const struct pt_provider *pv = NULL;
    const json_t *custom;
    const char *rest = "", *cid;
    struct lmx_config *cfg;
    struct pt_call *c;
    struct pt_fail f = {500, "internal_server_error", ""};
    size_t cidlen;
    int err;

    cfg = lmx_api_cfg_get(w);
    custom = custom_find(cfg, req->path, &rest);
    if (custom == NULL && (pv = provider_of(req->path, &rest)) == NULL) {
        lmx_api_cfg_put(w, cfg);
        return false;
    }
    /* a custom endpoint is open only when it says auth: false */
    if ((custom == NULL || !json_is_false(json_object_get(custom, "auth"))) &&
        lmx__auth_check_as(req, cfg, NULL, pv != NULL && pv->auth == PT_GOOG) < 0) {
        lmx_api_cfg_put(w, cfg);
        return true;
    }
    c = lmx_calloc(1, sizeof(*c));
    if (c == NULL) {
        lmx_api_cfg_put(w, cfg);
        lmx__send_err_code(req, NULL, LMX_ENOMEM, "out of memory");
        return true;
    }
    c->w = w;
    c->req = req;
    c->cfg = cfg;
    c->pv = pv;
    c->name = pv != NULL ? pv->route : json_string_value(json_object_get(custom, "path"));
    lmx_buf_init(&c->url, 64u << 10);
    lmx_buf_init(&c->hstore, PT_HSTORE_MAX);
    lmx_buf_init(&c->rhdrs, 256u << 10);
    lmx_buf_init(&c->body, PT_HOLD_MAX);
    lmx_sse_reader_init(&c->sse, PT_SSE_MAX);
    cid = lmx_http_req_header(req, "x-litellm-call-id", &cidlen);
    if (cid != NULL && cidlen > 0 && cidlen < sizeof(c->call_id))
        snprintf(c->call_id, sizeof(c->call_id), "%.*s", (int)cidlen, cid);
    else
        lmx_uuid4(c->call_id);

    if (custom != NULL) {
        json_t *cpr = json_object_get(custom, "cost_per_request");

        if (json_is_number(cpr)) {
            c->fixed_cost_set = true;
            c->fixed_cost = json_number_value(cpr);
        }
        err = setup_custom(c, custom, rest);
    } else {
        struct lmx_jspan s;

        c->dep = pv->auth == PT_OAUTH ? vx_dep(cfg, pv, rest) : pick_dep(cfg, pv);
        if (req->body.len > 0 && lmx_jscan_check(req->body.data, req->body.len) == 0 &&
            lmx_jscan_find(req->body.data, req->body.len, "model", &s) == 0 &&
            req->body.data[s.value_start] == '"' && s.value_end - s.value_start >= 2)
            snprintf(c->req_model, sizeof(c->req_model), "%.*s",
                     (int)(s.value_end - s.value_start - 2), req->body.data + s.value_start + 1);
        if (c->req_model[0] == '\0')
            model_from_path(c, rest);
        if (pv->auth == PT_OAUTH) {
            c->rest = rest;
            vx_begin(c);
            return true;
        }
        err = setup_provider(c, rest, &f);
    }
    if (err < 0) {
        if (f.msg[0] == '\0')
            fail_set(&f, lmx_err_status(err), lmx_err_type(err),
                     "pass-through to %s: cannot build the upstream request: %s", c->name,
                     lmx_strerror(err));
        call_fail(c, &f);
        return true;
    }
    start_call(c);
    return true;
}
