/*
 * provider/bedrock.c - AWS Bedrock through the Converse API (`bedrock/` and
 * `bedrock/converse/` deployments), and Bedrock embeddings.
 *
 * build:  the OpenAI chat request becomes a Converse body (system blocks,
 *         user/assistant turns with text, image and document blocks, toolUse
 *         and toolResult, toolConfig, inferenceConfig,
 *         additionalModelRequestFields), POSTed to
 *         {endpoint}/model/{url-encoded model id}/converse[-stream], signed
 *         with SigV4 (service "bedrock") or sent with a Bedrock API key
 *         (Authorization: Bearer).
 *         An OpenAI embeddings request becomes an InvokeModel call,
 *         {endpoint}/model/{id}/invoke: {inputText, dimensions, normalize}
 *         for Amazon Titan text models (one text per call: a list of more
 *         than one input is refused with 400, as one adapter call makes one
 *         upstream request), {texts, input_type} for Cohere embed models.
 * parse:  a Converse answer becomes a chat.completion; an InvokeModel
 *         embeddings answer becomes the OpenAI embeddings list (floats, or
 *         base64 of little-endian float32 for encoding_format "base64").
 *         Titan reports inputTextTokenCount; Cohere on Bedrock reports no
 *         usage, so prompt_tokens is estimated as ceil(chars / 4) per text.
 * stream: the binary event stream (provider/eventstream.c) becomes
 *         chat.completion.chunk objects; exception messages become errors.
 *
 * The credential lookup and SigV4 signing are shared with provider/sagemaker.c
 * through the lmx__aws_* helpers of bedrock.h.
 *
 * images: Converse takes image bytes only, so every distinct http(s)
 *         image_url of the user and tool messages is fetched before build,
 *         through the proxy's pre-step loop (token_prepare / token_done: one
 *         GET accepting any image type per step, on the worker's loop, with the
 *         deployment's timeout; at most IMAGE_FETCHES per request). An image
 *         must be 2xx, at most 3.75 MB (Bedrock's limit) and png, jpeg, gif or
 *         webp by its magic bytes (the proxy passes the body only, not the
 *         Content-Type); otherwise 400 naming the URL, as the caller has to
 *         fix it. The base64 of the bytes waits in pc->state until build of
 *         the same attempt: a retry on another deployment fetches again.
 *         Only http and https are fetched, never a URL with userinfo
 *         (user:password@); redirects are not followed (the proxy's transfers
 *         do not follow them: a 3xx answers 400). Private-network addresses
 *         are not blocked, as in LiteLLM: a deployment that must not reach
 *         them needs a network policy in front of llmux. data: URLs go out
 *         as they are.
 *
 * Not here: the invoke chat routes (`bedrock/invoke/`, `bedrock/llama/`, ...),
 * STS AssumeRole / web identity / profiles: those answer 501 until a later
 * task adds them.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/bedrock.h"
#include "provider/eventstream.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "provider/sigv4.h"

#define DEFAULT_REGION  "us-west-2" /* LiteLLM's last resort */
#define ENDPOINT_FMT    "https://bedrock-runtime.%s.amazonaws.com"
#define JSON_TOOL       "json_tool_call" /* response_format rides on a forced tool call */
#define THINKING_EXTRA  4096             /* maxTokens = budget + this when unset (LiteLLM) */
#define THINKING_MIN    1024             /* Bedrock's smallest thinking budget */
#define MAX_TOOL_BLOCKS 128              /* tool calls tracked in one stream */
#define STREAM_MSG_MAX  (16u << 20)      /* one eventstream message */
#define BODY_MAX        (256u << 20)
#define IMAGE_MAX       3932160u /* Bedrock's limit for one image: 3.75 MB */
#define IMAGE_FETCHES   16       /* image URLs fetched per attempt (the proxy's pre-step budget) */
#define IMAGE_URL_MAX   4096

/* ------------------------------------------------------------------------ */
/* Call state */

struct tool_slot {
    long block; /* contentBlockIndex */
    int index;  /* OpenAI tool_calls index */
};

/* An image fetched from its URL for this attempt (token_prepare / token_done). */
struct fetched {
    char *url;
    const char *fmt; /* "png", "jpeg", "gif", "webp" */
    json_t *bytes;   /* their base64, a JSON string */
};

/* The images of one attempt, fetched before build. */
struct image_set {
    struct fetched img[IMAGE_FETCHES];
    int n;
    char *pending; /* the URL token_prepare asked for, until token_done */
};

/* Embedding model families served through InvokeModel. */
enum embed_kind { EMB_NONE, EMB_TITAN_V1, EMB_TITAN_V2, EMB_COHERE };

struct bedrock_state {
    char id[80];
    char model[256];
    long created;
    bool include_usage;
    bool json_mode; /* response_format: the JSON_TOOL call's input is the content */

    /* stream */
    struct lmx_es_decoder dec;
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
    int cb_err; /* the callback's own failure, passed up untouched */
    bool sent_role, finished, usage_sent, have_usage, saw_tool;
    long json_block; /* contentBlockIndex of the JSON_TOOL call, -1 when none */
    struct tool_slot tools[MAX_TOOL_BLOCKS];
    int ntools;
    json_t *usage; /* OpenAI usage object once known */

    /* embeddings */
    enum embed_kind embed; /* EMB_NONE for chat */
    bool emb_base64;       /* encoding_format "base64": float32 little-endian, base64 */
    long emb_tokens;       /* the prompt estimate used when the answer has no count */

    /* image URLs fetched before build (token_prepare / token_done); NULL when none */
    struct image_set *imgs;
};

/* ------------------------------------------------------------------------ */
/* Small helpers */

static void
set_err(struct lmx_perr *e, int status, const char *type, const char *param, const char *fmt, ...)
    LMX_PRINTF(5, 6);

static void
set_err(struct lmx_perr *e, int status, const char *type, const char *param, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return;
    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type != NULL ? type : "");
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A non-empty string member of the deployment's litellm_params, or NULL. */
static const char *lp_str(const struct lmx_deployment *d, const char *key)
{
    return lmx_json_str(d->litellm_params, key);
}

static const char *env_str(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* o[key] = v, stealing v; false when out of memory (v is freed either way). */
static bool put(json_t *o, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

static bool append(json_t *a, json_t *v)
{
    return v != NULL && json_array_append_new(a, v) == 0;
}

/* ------------------------------------------------------------------------ */
/* Model ids, regions, endpoints */

struct model_ref {
    const char *id; /* what goes in the URL (before encoding) */
    char base[256]; /* without ARN and cross-region prefix: "anthropic.claude-..." */
    bool claude, nova, gpt_oss, mistral;
};

static const char *const region_prefixes[] = {"us",     "us-gov", "eu", "apac", "ap",
                                              "global", "jp",     "au", "ca"};

/*
 * Resolves the upstream model name ("converse/..." or a plain id or ARN).
 * Returns 0, or LMX_ENOTIMPL with *err filled for routes this file does not serve.
 */
static int model_ref_of(const char *model, struct model_ref *m, struct lmx_perr *err)
{
    const char *b, *slash, *dot;

    memset(m, 0, sizeof(*m));
    if (has_prefix(model, "converse/"))
        model += strlen("converse/");
    else if (has_prefix(model, "converse_like/"))
        model += strlen("converse_like/");
    if (!has_prefix(model, "arn:") && (slash = strchr(model, '/')) != NULL) {
        set_err(err, 501, "not_implemented", NULL,
                "bedrock route '%.*s/' is not served by this llmux build yet (only Converse: "
                "'bedrock/<model>' or 'bedrock/converse/<model>')",
                (int)LMX_MIN((size_t)(slash - model), 64), model);
        return LMX_ENOTIMPL;
    }
    if (*model == '\0') {
        set_err(err, 400, "invalid_request_error", "model", "bedrock deployment names no model");
        return LMX_EBADMODEL;
    }
    m->id = model;
    b = model;
    if (has_prefix(model, "arn:")) {
        slash = strrchr(model, '/');
        b = slash != NULL ? slash + 1 : model;
    }
    dot = strchr(b, '.');
    if (dot != NULL) {
        for (size_t i = 0; i < LMX_ARRAY_SIZE(region_prefixes); i++) {
            size_t n = strlen(region_prefixes[i]);

            if ((size_t)(dot - b) == n && memcmp(b, region_prefixes[i], n) == 0) {
                b = dot + 1;
                break;
            }
        }
    }
    snprintf(m->base, sizeof(m->base), "%s", b);
    m->claude = has_prefix(m->base, "anthropic.");
    m->nova = has_prefix(m->base, "amazon.nova");
    m->gpt_oss = has_prefix(m->base, "openai.");
    m->mistral = has_prefix(m->base, "mistral.");
    return 0;
}

static bool valid_region(const char *r)
{
    if (r == NULL || *r == '\0' || strlen(r) > 64)
        return false;
    for (const char *p = r; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

/*
 * The signing region: aws_region_name, else the region of an ARN model id,
 * else AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION, else us-west-2.
 */
static const char *region_of(const struct lmx_deployment *d, const char *id, char *buf, size_t n)
{
    const char *r = lp_str(d, "aws_region_name");

    if (r != NULL)
        return r;
    if (has_prefix(id, "arn:")) {
        /* arn:partition:service:region:account:resource */
        const char *p = id;

        for (int k = 0; k < 3 && p != NULL; k++) {
            p = strchr(p, ':');
            if (p != NULL)
                p++;
        }
        if (p != NULL) {
            const char *e = strchr(p, ':');

            if (e != NULL && e > p && (size_t)(e - p) < n) {
                memcpy(buf, p, (size_t)(e - p));
                buf[e - p] = '\0';
                if (valid_region(buf))
                    return buf;
            }
        }
    }
    if ((r = env_str("AWS_REGION_NAME")) != NULL || (r = env_str("AWS_REGION")) != NULL ||
        (r = env_str("AWS_DEFAULT_REGION")) != NULL)
        return r;
    return DEFAULT_REGION;
}

/*
 * The endpoint base URL (no trailing '/'): api_base, aws_bedrock_runtime_endpoint,
 * the deployment's api_base from the config (which may be the
 * "{region}" template of the provider table), AWS_BEDROCK_RUNTIME_ENDPOINT,
 * else bedrock-runtime.{region}.amazonaws.com. "{region}" is replaced.
 */
static int endpoint_of(const struct lmx_deployment *d, const char *region, struct lmx_buf *out)
{
    const char *b = lp_str(d, "api_base");
    const char *tmpl;
    size_t n;
    int err = 0;

    if (b == NULL)
        b = lp_str(d, "aws_bedrock_runtime_endpoint");
    if (b == NULL && d->api_base != NULL && *d->api_base != '\0' &&
        strstr(d->api_base, "{region}") == NULL)
        b = d->api_base;
    if (b == NULL)
        b = env_str("AWS_BEDROCK_RUNTIME_ENDPOINT");
    if (b == NULL)
        b = d->api_base != NULL && *d->api_base != '\0' ? d->api_base : NULL;
    if (b == NULL)
        return lmx_buf_printf(out, ENDPOINT_FMT, region);
    n = strlen(b);
    while (n > 0 && b[n - 1] == '/')
        n--;
    while (err == 0 && n > 0 && (tmpl = memmem(b, n, "{region}", 8)) != NULL) {
        err = lmx_buf_append(out, b, (size_t)(tmpl - b));
        if (err == 0)
            err = lmx_buf_puts(out, region);
        n -= (size_t)(tmpl - b) + 8;
        b = tmpl + 8;
    }
    return err < 0 ? err : lmx_buf_append(out, b, n);
}

/* ------------------------------------------------------------------------ */
/* Request translation */

struct bctx {
    struct lmx_pcall *pc;
    struct lmx_perr *err;
    struct model_ref m;
    const struct image_set *imgs; /* the images fetched for this attempt, or NULL */
    json_t *amrf;                 /* additionalModelRequestFields */
    json_t *inf;                  /* inferenceConfig */
    int ndocs;
    bool json_mode;
    bool thinking;
};

/* Body members never sent upstream (the proxy's own, see COMPAT.md §3.4) or meaningless here. */
/* clang-format off */
static const char *const ignored_keys[] = {
    "model", "messages", "stream", "stream_options", "user", "metadata", "fallbacks", "num_retries",
    "timeout", "mock_response", "mock_testing_fallbacks", "mock_testing_rate_limit_error",
    "mock_timeout", "cache", "caching", "drop_params", "api_key", "api_base", "api_version",
    "litellm_logging_obj", "proxy_server_request", "secret_fields", "context_window_fallbacks",
    "content_policy_fallbacks", "tags", "litellm_metadata", "litellm_call_id",
    "additional_drop_params", "user_config", "extra_headers", "litellm_trace_id",
    "litellm_session_id",
};
/* clang-format on */

/* Handled by build (below). */
/* clang-format off */
static const char *const handled_keys[] = {
    "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "tools", "tool_choice",
    "reasoning_effort", "thinking", "top_k", "response_format", "n", "parallel_tool_calls",
    "guardrailConfig", "performanceConfig", "requestMetadata", "promptVariables",
    "additionalModelRequestFields", "additionalModelResponseFieldPaths",
};
/* clang-format on */

/* litellm_params that act as defaults for the request when the client did not set them. */
/* clang-format off */
static const char *const lp_defaults[] = {
    "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop",
    "reasoning_effort", "thinking", "guardrailConfig", "performanceConfig", "requestMetadata",
    "additionalModelRequestFields", "additionalModelResponseFieldPaths",
};
/* clang-format on */

static bool in_list(const char *const *list, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], k) == 0)
            return true;
    return false;
}

/*
 * The request's value of `key`, else the deployment's default; NULL for
 * absent, null, or named by the deployment's additional_drop_params.
 */
static json_t *param(const struct bctx *b, const char *key)
{
    json_t *v = json_object_get(b->pc->req, key);

    if (lmx_param_dropped(b->pc->dep, key))
        return NULL;

    if (v == NULL && in_list(lp_defaults, LMX_ARRAY_SIZE(lp_defaults), key))
        v = json_object_get(b->pc->dep->litellm_params, key);
    return json_is_null(v) ? NULL : v;
}

/*
 * A parameter Bedrock cannot take for this model: dropped under drop_params,
 * else a 400 naming it. Returns 0 (dropped) or LMX_EBADPARAM.
 */
static int unsupported(struct bctx *b, const char *p, const char *why)
{
    if (b->pc->drop_params)
        return 0;
    set_err(b->err, 400, "invalid_request_error", p,
            "bedrock does not support parameter '%s' for model '%s'%s. To drop it from the call, "
            "set `drop_params: true`",
            p, b->m.id, why != NULL ? why : "");
    return LMX_EBADPARAM;
}

static int bad(struct bctx *b, const char *p, const char *msg)
{
    set_err(b->err, 400, "invalid_request_error", p, "%s", msg);
    return LMX_EBADREQ;
}

static int nomem(struct bctx *b)
{
    set_err(b->err, 503, "internal_server_error", NULL, "out of memory");
    return LMX_ENOMEM;
}

/* "data:<mime>;base64,<data>": *mime and *data point into url. False when not of that form. */
static bool data_url(const char *url, const char **mime, size_t *mime_len, const char **data)
{
    const char *comma, *semi;

    if (!has_prefix(url, "data:"))
        return false;
    url += 5;
    comma = strchr(url, ',');
    if (comma == NULL)
        return false;
    semi = memmem(url, (size_t)(comma - url), ";base64", 7);
    if (semi == NULL || semi + 7 != comma)
        return false;
    *mime = url;
    *mime_len = (size_t)(strchr(url, ';') - url);
    *data = comma + 1;
    return true;
}

static const char *image_format(const char *mime, size_t n)
{
    static const struct {
        const char *mime, *fmt;
    } map[] = {{"image/png", "png"},
               {"image/jpeg", "jpeg"},
               {"image/jpg", "jpeg"},
               {"image/gif", "gif"},
               {"image/webp", "webp"}};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strlen(map[i].mime) == n && strncasecmp(map[i].mime, mime, n) == 0)
            return map[i].fmt;
    return NULL;
}

static const char *document_format(const char *mime, size_t n)
{
    static const struct {
        const char *mime, *fmt;
    } map[] = {
        {"application/pdf", "pdf"},
        {"text/csv", "csv"},
        {"application/msword", "doc"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
        {"application/vnd.ms-excel", "xls"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
        {"text/html", "html"},
        {"text/plain", "txt"},
        {"text/markdown", "md"},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strlen(map[i].mime) == n && strncasecmp(map[i].mime, mime, n) == 0)
            return map[i].fmt;
    return NULL;
}

/* An http(s) URL (the scheme in any case): fetched before build. */
static bool remote_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* The URL of an image_url part ({"url": ...} or the string itself), or NULL. */
static const char *part_image_url(json_t *part)
{
    json_t *iu = json_object_get(part, "image_url");

    return json_is_string(iu) ? json_string_value(iu)
                              : json_string_value(json_object_get(iu, "url"));
}

/* The image fetched from `url` for this attempt, or NULL. */
static const struct fetched *fetched_of(const struct image_set *set, const char *url)
{
    for (int i = 0; set != NULL && i < set->n; i++)
        if (strcmp(set->img[i].url, url) == 0)
            return &set->img[i];
    return NULL;
}

/*
 * An image part's URL → an image block in *out (NULL when the part is
 * dropped). Returns 0 or a negative code with the error set.
 */
static int image_block(struct bctx *b, const char *url, json_t **out)
{
    const char *mime, *data, *fmt;
    size_t ml;

    *out = NULL;
    if (url == NULL)
        return bad(b, "messages", "an image_url part has no url");
    if (remote_url(url)) {
        const struct fetched *f = fetched_of(b->imgs, url);

        if (f == NULL) {
            set_err(b->err, 400, "invalid_request_error", "messages",
                    "bedrock: image '%.200s' was not fetched (at most %d image URLs are fetched "
                    "per request; send the others as base64 data URLs)",
                    url, IMAGE_FETCHES);
            return LMX_EBADREQ;
        }
        *out = json_pack("{s:{s:s,s:{s:O}}}", "image", "format", f->fmt, "source", "bytes",
                         f->bytes);
        return *out != NULL ? 0 : nomem(b);
    }
    if (!data_url(url, &mime, &ml, &data)) {
        if (b->pc->drop_params)
            return 0;
        set_err(b->err, 400, "invalid_request_error", "messages",
                "bedrock needs image bytes: send images as base64 data URLs "
                "(data:image/png;base64,...) or as http(s) URLs to fetch; '%.80s' is neither",
                url);
        return LMX_EBADPARAM;
    }
    fmt = image_format(mime, ml);
    if (fmt == NULL) {
        set_err(b->err, 400, "invalid_request_error", "messages",
                "bedrock does not support image type '%.*s' (png, jpeg, gif and webp are)",
                (int)LMX_MIN(ml, 64), mime);
        return LMX_EBADREQ;
    }
    *out = json_pack("{s:{s:s,s:{s:s}}}", "image", "format", fmt, "source", "bytes", data);
    return *out != NULL ? 0 : nomem(b);
}

/* A "file" part: a PDF or other document (or an image) given as a data URL. */
static int file_block(struct bctx *b, json_t *part, json_t **out)
{
    json_t *f = json_object_get(part, "file");
    const char *fd = json_string_value(json_object_get(f, "file_data"));
    const char *mime, *data, *fmt;
    char name[32];
    size_t ml;

    *out = NULL;
    if (fd == NULL || !data_url(fd, &mime, &ml, &data))
        return unsupported(b, "messages",
                           " (a file part needs file_data as a base64 data URL; file_id is not "
                           "supported)");
    if (image_format(mime, ml) != NULL)
        return image_block(b, fd, out);
    fmt = document_format(mime, ml);
    if (fmt == NULL) {
        set_err(b->err, 400, "invalid_request_error", "messages",
                "bedrock does not support documents of type '%.*s'", (int)LMX_MIN(ml, 80), mime);
        return LMX_EBADREQ;
    }
    snprintf(name, sizeof(name), "document-%d", ++b->ndocs);
    *out = json_pack("{s:{s:s,s:s,s:{s:s}}}", "document", "format", fmt, "name", name, "source",
                     "bytes", data);
    return *out != NULL ? 0 : nomem(b);
}

static json_t *cache_point(void)
{
    return json_pack("{s:{s:s}}", "cachePoint", "type", "default");
}

/*
 * Appends the blocks of an OpenAI message content (string or parts) to
 * `blocks`. `images`: image and file parts are allowed (user and tool turns).
 */
static int content_blocks(struct bctx *b, json_t *content, json_t *blocks, bool images)
{
    size_t i;
    json_t *part;
    int err;

    if (content == NULL || json_is_null(content))
        return 0;
    if (json_is_string(content)) {
        if (json_string_length(content) == 0)
            return 0; /* Bedrock refuses blank text blocks */
        return append(blocks, json_pack("{s:O}", "text", content)) ? 0 : nomem(b);
    }
    if (!json_is_array(content))
        return bad(b, "messages", "message content must be a string or an array of parts");
    json_array_foreach(content, i, part) {
        const char *type = json_string_value(json_object_get(part, "type"));
        json_t *blk = NULL;

        if (type == NULL)
            return bad(b, "messages", "a content part has no type");
        if (strcmp(type, "text") == 0) {
            json_t *t = json_object_get(part, "text");

            if (!json_is_string(t))
                return bad(b, "messages", "a text part has no text");
            if (json_string_length(t) > 0 && !append(blocks, json_pack("{s:O}", "text", t)))
                return nomem(b);
        } else if (strcmp(type, "image_url") == 0 && images) {
            err = image_block(b, part_image_url(part), &blk);
            if (err < 0)
                return err;
            if (blk != NULL && !append(blocks, blk))
                return nomem(b);
        } else if (strcmp(type, "file") == 0 && images) {
            err = file_block(b, part, &blk);
            if (err < 0)
                return err;
            if (blk != NULL && !append(blocks, blk))
                return nomem(b);
        } else if (strcmp(type, "refusal") == 0 || strcmp(type, "thinking") == 0 ||
                   strcmp(type, "redacted_thinking") == 0) {
            continue; /* not sent back (thinking goes through thinking_blocks) */
        } else {
            char what[96];

            snprintf(what, sizeof(what), " (content part type '%.40s')", type);
            err = unsupported(b, "messages", what);
            if (err < 0)
                return err;
            continue;
        }
        if (json_object_get(part, "cache_control") != NULL && !append(blocks, cache_point()))
            return nomem(b);
    }
    return 0;
}

/* The content array of the last turn when it has `role`, else of a new turn. */
static json_t *turn(json_t *msgs, const char *role)
{
    size_t n = json_array_size(msgs);
    json_t *last = n > 0 ? json_array_get(msgs, n - 1) : NULL;
    json_t *m;

    if (last != NULL && strcmp(json_string_value(json_object_get(last, "role")), role) == 0)
        return json_object_get(last, "content");
    m = json_pack("{s:s,s:[]}", "role", role, "content");
    if (m == NULL || json_array_append_new(msgs, m) < 0)
        return NULL;
    return json_object_get(m, "content");
}

static int system_blocks(struct bctx *b, json_t *msg, json_t *sys)
{
    int err = content_blocks(b, json_object_get(msg, "content"), sys, false);

    if (err == 0 && json_object_get(msg, "cache_control") != NULL && !append(sys, cache_point()))
        return nomem(b);
    return err;
}

/* thinking_blocks of an assistant message → reasoningContent blocks (replayed for Claude). */
static int reasoning_blocks(struct bctx *b, json_t *msg, json_t *blocks)
{
    json_t *tb = json_object_get(msg, "thinking_blocks");
    size_t i;
    json_t *t;

    json_array_foreach(tb, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        json_t *blk = NULL;

        if (type != NULL && strcmp(type, "thinking") == 0) {
            json_t *text = json_object_get(t, "thinking");
            json_t *sig = json_object_get(t, "signature");
            json_t *rt = json_object();

            if (rt == NULL ||
                !put(rt, "text", json_is_string(text) ? json_incref(text) : json_string("")) ||
                (json_is_string(sig) && !put(rt, "signature", json_incref(sig)))) {
                json_decref(rt);
                return nomem(b);
            }
            blk = json_pack("{s:{s:o}}", "reasoningContent", "reasoningText", rt);
        } else if (type != NULL && strcmp(type, "redacted_thinking") == 0 &&
                   json_is_string(json_object_get(t, "data"))) {
            blk = json_pack("{s:{s:O}}", "reasoningContent", "redactedContent",
                            json_object_get(t, "data"));
        } else {
            continue;
        }
        if (!append(blocks, blk))
            return nomem(b);
    }
    return 0;
}

static int tool_use_blocks(struct bctx *b, json_t *msg, json_t *blocks)
{
    json_t *calls = json_object_get(msg, "tool_calls");
    size_t i;
    json_t *tc;

    json_array_foreach(calls, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(fn, "name"));
        json_t *args = json_object_get(fn, "arguments");
        json_t *input;

        if (id == NULL || name == NULL)
            return bad(b, "messages", "an assistant tool call needs an id and a function name");
        if (json_is_string(args)) {
            const char *s = json_string_value(args);

            while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
            input = *s == '\0' ? json_object()
                               : json_loadb(json_string_value(args), json_string_length(args),
                                            JSON_DECODE_ANY, NULL);
            if (input == NULL) {
                set_err(b->err, 400, "invalid_request_error", "messages",
                        "the arguments of tool call '%.64s' are not valid JSON", id);
                return LMX_EBADREQ;
            }
        } else if (json_is_object(args)) {
            input = json_incref(args);
        } else {
            input = json_object();
        }
        if (!append(blocks, json_pack("{s:{s:s,s:s,s:o}}", "toolUse", "toolUseId", id, "name", name,
                                      "input", input)))
            return nomem(b);
    }
    return 0;
}

static int tool_result_block(struct bctx *b, json_t *msg, json_t *blocks)
{
    const char *id = json_string_value(json_object_get(msg, "tool_call_id"));
    json_t *content = json_object_get(msg, "content");
    json_t *rc = json_array();
    int err = 0;

    if (rc == NULL)
        return nomem(b);
    if (id == NULL) {
        json_decref(rc);
        return bad(b, "messages", "a tool message needs a tool_call_id");
    }
    if (json_is_object(content)) {
        if (!append(rc, json_pack("{s:O}", "json", content)))
            err = nomem(b);
    } else if (json_is_string(content) && json_string_length(content) == 0) {
        if (!append(rc, json_pack("{s:s}", "text", " ")))
            err = nomem(b);
    } else {
        err = content_blocks(b, content, rc, true);
    }
    if (err == 0 && !append(blocks, json_pack("{s:{s:s,s:o,s:s}}", "toolResult", "toolUseId", id,
                                              "content", rc, "status", "success")))
        return nomem(b);
    if (err < 0)
        json_decref(rc);
    return err;
}

/* messages → system blocks and alternating user/assistant turns. */
static int convert_messages(struct bctx *b, json_t *root, bool *has_tool_blocks)
{
    json_t *msgs = json_object_get(b->pc->req, "messages");
    json_t *sys = json_array(), *out = json_array();
    size_t i;
    json_t *msg;
    int err = 0;

    if (sys == NULL || out == NULL) {
        err = nomem(b);
        goto out;
    }
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        err = bad(b, "messages", "messages must be a non-empty array");
        goto out;
    }
    json_array_foreach(msgs, i, msg) {
        const char *role = json_string_value(json_object_get(msg, "role"));
        json_t *blocks;

        if (role == NULL) {
            err = bad(b, "messages", "a message has no role");
            goto out;
        }
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            err = system_blocks(b, msg, sys);
        } else if (strcmp(role, "user") == 0) {
            blocks = turn(out, "user");
            if (blocks == NULL) {
                err = nomem(b);
                goto out;
            }
            err = content_blocks(b, json_object_get(msg, "content"), blocks, true);
            if (err == 0 && json_object_get(msg, "cache_control") != NULL &&
                !append(blocks, cache_point()))
                err = nomem(b);
        } else if (strcmp(role, "tool") == 0) {
            blocks = turn(out, "user");
            if (blocks == NULL) {
                err = nomem(b);
                goto out;
            }
            err = tool_result_block(b, msg, blocks);
            *has_tool_blocks = true;
        } else if (strcmp(role, "assistant") == 0) {
            /* built apart first: an empty assistant message is left out (Bedrock refuses it) */
            json_t *tmp = json_array();

            if (tmp == NULL) {
                err = nomem(b);
                goto out;
            }
            err = b->m.claude ? reasoning_blocks(b, msg, tmp) : 0;
            if (err == 0)
                err = content_blocks(b, json_object_get(msg, "content"), tmp, false);
            if (err == 0)
                err = tool_use_blocks(b, msg, tmp);
            if (err == 0 && json_array_size(tmp) > 0) {
                blocks = turn(out, "assistant");
                if (blocks == NULL || json_array_extend(blocks, tmp) < 0)
                    err = nomem(b);
            }
            json_decref(tmp);
            if (json_array_size(json_object_get(msg, "tool_calls")) > 0)
                *has_tool_blocks = true;
        } else {
            set_err(b->err, 400, "invalid_request_error", "messages",
                    "bedrock does not support messages with role '%.32s'", role);
            err = LMX_EBADREQ;
        }
        if (err < 0)
            goto out;
    }
    if (json_array_size(sys) > 0 && json_object_set(root, "system", sys) < 0) {
        err = nomem(b);
        goto out;
    }
    if (json_object_set(root, "messages", out) < 0)
        err = nomem(b);
out:
    json_decref(sys);
    json_decref(out);
    return err;
}

static json_t *tool_spec(const char *name, json_t *desc, json_t *schema)
{
    json_t *spec = json_pack("{s:s}", "name", name);

    if (spec == NULL)
        return NULL;
    if (json_is_string(desc) && json_string_length(desc) > 0 &&
        json_object_set(spec, "description", desc) < 0)
        goto fail;
    if (!json_is_object(schema))
        schema = NULL;
    if (!put(spec, "inputSchema",
             schema != NULL ? json_pack("{s:O}", "json", schema)
                            : json_pack("{s:{s:s,s:{}}}", "json", "type", "object", "properties")))
        goto fail;
    return json_pack("{s:o}", "toolSpec", spec);
fail:
    json_decref(spec);
    return NULL;
}

/* tools, tool_choice and response_format → toolConfig. */
static int convert_tools(struct bctx *b, json_t *root, bool has_tool_blocks)
{
    json_t *tools = param(b, "tools"), *tc = param(b, "tool_choice");
    json_t *rf = param(b, "response_format");
    json_t *specs = json_array(), *choice = NULL, *cfg = NULL;
    const char *rft = json_string_value(json_object_get(rf, "type"));
    size_t i;
    json_t *t;
    int err = 0;

    if (specs == NULL)
        return nomem(b);
    if (tools != NULL && !json_is_array(tools)) {
        err = bad(b, "tools", "tools must be an array");
        goto out;
    }
    json_array_foreach(tools, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        json_t *fn = json_object_get(t, "function");
        const char *name = json_string_value(json_object_get(fn, "name"));

        if (type != NULL && strcmp(type, "function") != 0) {
            err = unsupported(b, "tools", " (only function tools)");
            if (err < 0)
                goto out;
            continue;
        }
        if (name == NULL) {
            err = bad(b, "tools", "a function tool needs a name");
            goto out;
        }
        if (!append(specs, tool_spec(name, json_object_get(fn, "description"),
                                     json_object_get(fn, "parameters")))) {
            err = nomem(b);
            goto out;
        }
    }

    /* response_format: a forced tool whose input is the JSON answer (as LiteLLM does) */
    if (rf != NULL && rft != NULL && strcmp(rft, "text") != 0) {
        json_t *js = json_object_get(rf, "json_schema");
        json_t *schema = json_object_get(js, "schema");

        if (strcmp(rft, "json_schema") != 0 && strcmp(rft, "json_object") != 0) {
            err = unsupported(b, "response_format", NULL);
            if (err < 0)
                goto out;
        } else {
            json_t *open = NULL;

            if (!json_is_object(schema))
                schema = open = json_pack("{s:s,s:b,s:{}}", "type", "object",
                                          "additionalProperties", 1, "properties");
            if (!append(specs, tool_spec(JSON_TOOL, json_object_get(js, "description"), schema))) {
                json_decref(open);
                err = nomem(b);
                goto out;
            }
            json_decref(open);
            b->json_mode = true;
            if (!b->thinking)
                choice = json_pack("{s:{s:s}}", "tool", "name", JSON_TOOL);
        }
    }

    if (tc != NULL && choice == NULL && json_array_size(specs) > 0) {
        const char *s = json_string_value(tc);
        bool configurable = b->m.claude || b->m.mistral || b->m.nova;

        if (s != NULL && strcmp(s, "auto") == 0) {
            if (configurable)
                choice = json_pack("{s:{}}", "auto");
        } else if (s != NULL && strcmp(s, "required") == 0 && configurable) {
            choice = json_pack("{s:{}}", "any");
        } else if (json_is_object(tc) && configurable &&
                   json_string_value(json_object_get(json_object_get(tc, "function"), "name"))) {
            choice = json_pack(
                "{s:{s:s}}", "tool", "name",
                json_string_value(json_object_get(json_object_get(tc, "function"), "name")));
        } else {
            err = unsupported(b, "tool_choice",
                              s != NULL && strcmp(s, "none") == 0
                                  ? " (tool_choice 'none')"
                                  : " (this model takes no tool_choice but 'auto')");
            if (err < 0)
                goto out;
        }
    }

    /* Bedrock refuses toolUse/toolResult blocks without a toolConfig: a placeholder tool */
    if (json_array_size(specs) == 0 && has_tool_blocks &&
        !append(specs, json_pack("{s:{s:s,s:s,s:{s:{s:s,s:{}}}}}", "toolSpec", "name", "dummy_tool",
                                 "description", "This is a dummy tool call", "inputSchema", "json",
                                 "type", "object", "properties"))) {
        err = nomem(b);
        goto out;
    }
    if (json_array_size(specs) > 0) {
        cfg = json_pack("{s:O}", "tools", specs);
        if (cfg == NULL || (choice != NULL && json_object_set(cfg, "toolChoice", choice) < 0) ||
            json_object_set(root, "toolConfig", cfg) < 0)
            err = nomem(b);
        json_decref(cfg);
    }
out:
    json_decref(specs);
    json_decref(choice);
    return err;
}

static int budget_of(const char *effort, long *budget)
{
    if (strcmp(effort, "none") == 0 || strcmp(effort, "disable") == 0) {
        *budget = 0;
    } else if (strcmp(effort, "minimal") == 0 || strcmp(effort, "low") == 0) {
        *budget = 1024;
    } else if (strcmp(effort, "medium") == 0) {
        *budget = 2048;
    } else if (strcmp(effort, "high") == 0) {
        *budget = 4096;
    } else {
        return -1;
    }
    return 0;
}

/* reasoning_effort and thinking → additionalModelRequestFields, per model family. */
static int convert_reasoning(struct bctx *b, long *budget)
{
    json_t *re = param(b, "reasoning_effort"), *th = param(b, "thinking");
    int err;

    *budget = 0;
    if (th != NULL) {
        json_t *copy;

        if (!b->m.claude)
            return unsupported(b, "thinking", NULL);
        if (!json_is_object(th))
            return bad(b, "thinking", "thinking must be an object");
        copy = json_deep_copy(th);
        if (copy == NULL)
            return nomem(b);
        if (json_is_integer(json_object_get(copy, "budget_tokens"))) {
            *budget = (long)json_integer_value(json_object_get(copy, "budget_tokens"));
            if (*budget < THINKING_MIN) {
                *budget = THINKING_MIN;
                json_object_set_new(copy, "budget_tokens", json_integer(THINKING_MIN));
            }
        }
        if (!put(b->amrf, "thinking", copy))
            return nomem(b);
        b->thinking = true;
        return 0;
    }
    if (re == NULL)
        return 0;
    if (!json_is_string(re) || budget_of(json_string_value(re), budget) < 0)
        return bad(b, "reasoning_effort",
                   "reasoning_effort must be one of none, minimal, low, medium, high");
    if (b->m.claude) {
        if (*budget == 0)
            return 0;
        if (!put(b->amrf, "thinking",
                 json_pack("{s:s,s:I}", "type", "enabled", "budget_tokens", (json_int_t)*budget)))
            return nomem(b);
        b->thinking = true;
        return 0;
    }
    *budget = 0;
    if (b->m.gpt_oss) {
        if (strcmp(json_string_value(re), "none") != 0 &&
            strcmp(json_string_value(re), "disable") != 0 &&
            !put(b->amrf, "reasoning_effort", json_incref(re)))
            return nomem(b);
        return 0;
    }
    err = unsupported(b, "reasoning_effort", NULL);
    return err;
}

static int convert_inference(struct bctx *b, long budget)
{
    json_t *mt = param(b, "max_completion_tokens"), *t = param(b, "temperature");
    json_t *tp = param(b, "top_p"), *stop = param(b, "stop"), *tk = param(b, "top_k");

    if (mt == NULL)
        mt = param(b, "max_tokens");
    if (mt != NULL) {
        if (!json_is_integer(mt) || json_integer_value(mt) < 1)
            return bad(b, "max_tokens", "max_tokens must be a positive integer");
        if (!put(b->inf, "maxTokens", json_integer(json_integer_value(mt))))
            return nomem(b);
    } else if (budget > 0 && !put(b->inf, "maxTokens", json_integer(budget + THINKING_EXTRA))) {
        return nomem(b);
    }
    if (t != NULL) {
        if (!json_is_number(t))
            return bad(b, "temperature", "temperature must be a number");
        if (!put(b->inf, "temperature", json_incref(t)))
            return nomem(b);
    }
    if (tp != NULL) {
        if (!json_is_number(tp))
            return bad(b, "top_p", "top_p must be a number");
        if (!put(b->inf, "topP", json_incref(tp)))
            return nomem(b);
    }
    if (stop != NULL) {
        json_t *seqs = json_array();
        size_t i;
        json_t *s;

        if (seqs == NULL)
            return nomem(b);
        if (json_is_string(stop) && json_string_length(stop) > 0) {
            if (json_array_append(seqs, stop) < 0) {
                json_decref(seqs);
                return nomem(b);
            }
        } else if (json_is_array(stop)) {
            json_array_foreach(stop, i, s) {
                if (!json_is_string(s)) {
                    json_decref(seqs);
                    return bad(b, "stop", "stop must be a string or an array of strings");
                }
                if (json_string_length(s) > 0 && json_array_append(seqs, s) < 0) {
                    json_decref(seqs);
                    return nomem(b);
                }
            }
        } else if (!json_is_string(stop)) {
            json_decref(seqs);
            return bad(b, "stop", "stop must be a string or an array of strings");
        }
        if (json_array_size(seqs) == 0)
            json_decref(seqs);
        else if (!put(b->inf, "stopSequences", seqs))
            return nomem(b);
    }
    if (tk != NULL) {
        if (!json_is_number(tk))
            return bad(b, "top_k", "top_k must be a number");
        if (b->m.claude) {
            if (!put(b->amrf, "top_k", json_incref(tk)))
                return nomem(b);
        } else if (b->m.nova) {
            if (!put(b->amrf, "inferenceConfig", json_pack("{s:O}", "topK", tk)))
                return nomem(b);
        } else {
            return unsupported(b, "top_k", NULL);
        }
    }
    return 0;
}

/* The rest of the body's members: Bedrock's own pass through, others are refused or dropped. */
static int convert_rest(struct bctx *b, json_t *root)
{
    static const char *const passthrough[] = {"guardrailConfig", "performanceConfig",
                                              "requestMetadata", "promptVariables",
                                              "additionalModelResponseFieldPaths"};
    const char *k;
    json_t *v;
    int err;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(passthrough); i++) {
        v = param(b, passthrough[i]);
        if (v != NULL && json_object_set(root, passthrough[i], v) < 0)
            return nomem(b);
    }
    v = param(b, "additionalModelRequestFields");
    if (v != NULL && (!json_is_object(v) || json_object_update(b->amrf, v) < 0))
        return bad(b, "additionalModelRequestFields",
                   "additionalModelRequestFields must be an object");
    v = param(b, "n");
    if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == 1)) {
        err = unsupported(b, "n", " (one choice only)");
        if (err < 0)
            return err;
    }
    v = param(b, "parallel_tool_calls");
    if (v != NULL && !json_is_true(v)) {
        err = unsupported(b, "parallel_tool_calls", NULL);
        if (err < 0)
            return err;
    }
    json_object_foreach((json_t *)b->pc->req, k, v) {
        if (json_is_null(v) || in_list(ignored_keys, LMX_ARRAY_SIZE(ignored_keys), k) ||
            in_list(handled_keys, LMX_ARRAY_SIZE(handled_keys), k) ||
            lmx_param_dropped(b->pc->dep, k))
            continue;
        if (b->m.claude && strcmp(k, "anthropic_beta") == 0) {
            /* Claude's own request fields ride in additionalModelRequestFields */
            if (json_object_set(b->amrf, k, v) < 0)
                return nomem(b);
            continue;
        }
        err = unsupported(b, k, NULL);
        if (err < 0)
            return err;
    }
    return 0;
}

/* The Converse body for pc->req. Returns 0 and *out, or a negative code with the error set. */
static int converse_body(struct bctx *b, json_t **out)
{
    json_t *root = json_object();
    bool tool_blocks = false;
    long budget = 0;
    int err;

    *out = NULL;
    b->amrf = json_object();
    b->inf = json_object();
    if (root == NULL || b->amrf == NULL || b->inf == NULL) {
        err = nomem(b);
        goto out;
    }
    err = convert_messages(b, root, &tool_blocks);
    if (err == 0)
        err = convert_reasoning(b, &budget);
    if (err == 0)
        err = convert_tools(b, root, tool_blocks);
    if (err == 0)
        err = convert_inference(b, budget);
    if (err == 0)
        err = convert_rest(b, root);
    if (err == 0 && json_object_size(b->inf) > 0 &&
        json_object_set(root, "inferenceConfig", b->inf) < 0)
        err = nomem(b);
    if (err == 0 && json_object_size(b->amrf) > 0 &&
        json_object_set(root, "additionalModelRequestFields", b->amrf) < 0)
        err = nomem(b);
    if (err == 0) {
        *out = root;
        root = NULL;
    }
out:
    json_decref(root);
    json_decref(b->amrf);
    json_decref(b->inf);
    b->amrf = b->inf = NULL;
    return err;
}

/* ------------------------------------------------------------------------ */
/* Authentication */

/* The URL's "host[:port]" and the path after it (may be ""). False when not http(s). */
static bool split_url(const char *url, const char **host, size_t *host_len, const char **path)
{
    const char *p = url, *slash, *at;

    if (has_prefix(p, "https://"))
        p += 8;
    else if (has_prefix(p, "http://"))
        p += 7;
    else
        return false;
    slash = strchr(p, '/');
    if (slash == NULL)
        slash = p + strlen(p);
    at = memchr(p, '@', (size_t)(slash - p));
    if (at != NULL)
        p = at + 1;
    if (slash == p)
        return false;
    *host = p;
    *host_len = (size_t)(slash - p);
    *path = slash;
    return true;
}

int lmx__aws_es_feed(struct lmx_es_decoder *dec, const char *p, size_t n, lmx_es_cb on_message,
                     void *ud, const int *cb_err, const char *who, unsigned max,
                     struct lmx_perr *err)
{
    int e = lmx_es_decoder_feed(dec, p, n, on_message, ud);

    if (e < 0 && e != *cb_err && err->message[0] == '\0') {
        if (e == LMX_ETOOBIG)
            lmx_perr_set(err, 500, "internal_server_error", NULL,
                         "%s sent an eventstream message larger than %u bytes", who, max);
        else if (e == LMX_ENOMEM)
            lmx_perr_set(err, 503, "internal_server_error", NULL, "out of memory");
        else
            lmx_perr_set(err, 500, "internal_server_error", NULL,
                         "%s sent a malformed eventstream message (bad length, CRC or header)",
                         who);
    }
    return e;
}

int lmx__aws_es_end(const struct lmx_es_decoder *dec, const char *who, struct lmx_perr *err)
{
    if (dec->failed < 0)
        return dec->failed;
    if (lmx_es_decoder_partial(dec)) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "%s stream ended in the middle of an eventstream message", who);
        return LMX_EUPSTREAM;
    }
    return 0;
}

bool lmx__aws_split_url(const char *url, const char **host, size_t *host_len, const char **path)
{
    return split_url(url, host, host_len, path);
}

const char *
lmx__aws_region(const struct lmx_deployment *d, const char *model_id, char *buf, size_t n)
{
    const char *r = region_of(d, model_id != NULL ? model_id : "", buf, n);

    return valid_region(r) ? r : NULL;
}

int lmx__aws_sign(const struct lmx_deployment *d,
                  struct lmx_upreq *out,
                  const char *service,
                  const char *region,
                  const char *host,
                  const char *path,
                  struct lmx_perr *err)
{
    bool bedrock = strcmp(service, "bedrock") == 0;
    const char *ak = lp_str(d, "aws_access_key_id"), *sk = lp_str(d, "aws_secret_access_key");
    const char *tok = lp_str(d, "aws_session_token");
    struct lmx_sigv4_hdr h[3];
    struct lmx_sigv4_req r;
    struct lmx_buf auth;
    char date[17];
    size_t nh = 0;
    int e;

    if (ak == NULL && sk == NULL) {
        ak = env_str("AWS_ACCESS_KEY_ID");
        sk = env_str("AWS_SECRET_ACCESS_KEY");
        if (tok == NULL)
            tok = env_str("AWS_SESSION_TOKEN");
    }
    if (ak == NULL || sk == NULL) {
        if (lp_str(d, "aws_role_name") != NULL || lp_str(d, "aws_profile_name") != NULL ||
            lp_str(d, "aws_web_identity_token") != NULL) {
            set_err(err, 501, "not_implemented", NULL,
                    "%s deployment '%s': aws_role_name, aws_profile_name and "
                    "aws_web_identity_token (STS) are not supported by this llmux build yet; set "
                    "aws_access_key_id and aws_secret_access_key%s",
                    service, d->id != NULL ? d->id : d->model, bedrock ? ", or an API key" : "");
            return LMX_ENOTIMPL;
        }
        set_err(err, 500, "internal_server_error", NULL,
                "%s deployment '%s' has no AWS credentials: set aws_access_key_id and "
                "aws_secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)%s",
                service, d->id != NULL ? d->id : d->model,
                bedrock ? ", or an API key (api_key or AWS_BEARER_TOKEN_BEDROCK)" : "");
        return LMX_ECONFIG;
    }
    lmx_sigv4_date(time(NULL), date);
    h[nh++] = (struct lmx_sigv4_hdr){"host", host};
    h[nh++] = (struct lmx_sigv4_hdr){"x-amz-date", date};
    if (tok != NULL)
        h[nh++] = (struct lmx_sigv4_hdr){"x-amz-security-token", tok};
    memset(&r, 0, sizeof(r));
    r.method = out->method;
    r.path = path;
    r.headers = h;
    r.nheaders = nh;
    r.payload = out->body.data;
    r.payload_len = out->body.len;
    r.amz_date = date;
    r.region = region;
    r.service = service;
    r.access_key = ak;
    r.secret_key = sk;
    lmx_buf_init(&auth, 4096);
    e = lmx_sigv4_sign(&r, &auth, NULL, NULL);
    if (e == 0)
        e = lmx_upreq_header(out, "X-Amz-Date", "%s", date);
    if (e == 0 && tok != NULL)
        e = lmx_upreq_header(out, "X-Amz-Security-Token", "%s", tok);
    if (e == 0)
        e = lmx_upreq_header(out, "Authorization", "%s", auth.data);
    lmx_buf_release(&auth);
    if (e < 0)
        set_err(err, 500, "internal_server_error", NULL, "cannot sign the %s request: %s",
                service, lmx_strerror(e));
    return e;
}

/* ------------------------------------------------------------------------ */
/* build */

static void image_set_free(struct image_set *set)
{
    if (set == NULL)
        return;
    for (int i = 0; i < set->n; i++) {
        lmx_free(set->img[i].url);
        json_decref(set->img[i].bytes);
    }
    lmx_free(set->pending);
    lmx_free(set);
}

static void state_free(struct bedrock_state *st)
{
    if (st == NULL)
        return;
    lmx_es_decoder_release(&st->dec);
    json_decref(st->usage);
    image_set_free(st->imgs);
    lmx_free(st);
}

static void bedrock_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

/* Where a call goes: out->url, the Host value (hostz) and the path that is signed. */
static int locate(struct lmx_pcall *pc,
                  const char *id,
                  const char *op,
                  struct lmx_upreq *out,
                  char *region_buf,
                  const char **region,
                  char hostz[512],
                  struct lmx_buf *path,
                  struct lmx_perr *err)
{
    struct lmx_buf base;
    const char *host, *rest;
    size_t host_len;
    int e;

    *region = region_of(pc->dep, id, region_buf, 72);
    if (!valid_region(*region)) {
        set_err(err, 500, "internal_server_error", NULL, "invalid AWS region '%.64s'", *region);
        return LMX_ECONFIG;
    }
    lmx_buf_init(&base, 4096);
    e = endpoint_of(pc->dep, *region, &base);
    if (e < 0 || !split_url(base.data, &host, &host_len, &rest)) {
        set_err(err, 500, "internal_server_error", NULL,
                "bedrock endpoint '%.200s' is not an http(s) URL", base.data ? base.data : "");
        lmx_buf_release(&base);
        return e < 0 ? e : LMX_ECONFIG;
    }
    snprintf(hostz, 512, "%.*s", (int)LMX_MIN(host_len, 511), host);
    e = lmx_buf_puts(path, rest);
    if (e == 0)
        e = lmx_buf_puts(path, "/model/");
    if (e == 0)
        e = lmx_sigv4_uri_encode(path, id, strlen(id), false);
    if (e == 0)
        e = lmx_buf_puts(path, op);
    if (e == 0)
        e = lmx_buf_printf(&out->url, "%.*s%s", (int)(rest - base.data), base.data, path->data);
    if (e < 0)
        set_err(err, 400, "invalid_request_error", "model", "bedrock model id too long");
    lmx_buf_release(&base);
    return e;
}

/* The headers of every call: content type, Accept, Host, then an API key or a SigV4 signature. */
static int authorize(struct lmx_pcall *pc,
                     struct lmx_upreq *out,
                     const char *accept,
                     const char *region,
                     const char *hostz,
                     const char *path,
                     struct lmx_perr *err)
{
    const char *key;
    int e;

    out->method = "POST";
    e = lmx_upreq_header(out, "Content-Type", "application/json");
    if (e == 0)
        e = lmx_upreq_header(out, "Accept", "%s", accept);
    if (e == 0)
        e = lmx_upreq_header(out, "Host", "%s", hostz);
    if (e < 0) {
        set_err(err, 500, "internal_server_error", NULL, "bedrock request headers too large");
        return e;
    }
    key = pc->dep->api_key != NULL && *pc->dep->api_key != '\0' ? pc->dep->api_key
                                                                : lp_str(pc->dep, "api_key");
    if (key == NULL)
        key = env_str("AWS_BEARER_TOKEN_BEDROCK");
    if (key != NULL) {
        e = lmx_upreq_header(out, "Authorization", "Bearer %s", key);
        if (e < 0)
            set_err(err, 500, "internal_server_error", NULL, "bedrock API key too long");
        return e;
    }
    return lmx__aws_sign(pc->dep, out, "bedrock", region, hostz, path, err);
}

/* A new call state with the answer's id, model and creation time. */
static struct bedrock_state *state_new(struct lmx_pcall *pc, const char *model, const char *prefix)
{
    struct bedrock_state *st = lmx_calloc(1, sizeof(*st));

    if (st == NULL)
        return NULL;
    if (pc->call_id != NULL && *pc->call_id != '\0') {
        snprintf(st->id, sizeof(st->id), "%s%.60s", prefix, pc->call_id);
    } else {
        char uuid[37];

        lmx_uuid4(uuid);
        snprintf(st->id, sizeof(st->id), "%s%s", prefix, uuid);
    }
    snprintf(st->model, sizeof(st->model), "%s", model);
    st->created = (long)lmx_wall_s();
    st->json_block = -1;
    lmx_es_decoder_init(&st->dec, STREAM_MSG_MAX);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Image URLs: fetched before build, one per pre-step */

/*
 * The distinct http(s) image URLs of the user and tool messages, in order,
 * into urls (borrowed from req). Returns how many, counting up to cap.
 */
static size_t remote_images(const json_t *req, const char **urls, size_t cap)
{
    json_t *msg, *part;
    size_t i, j, n = 0;

    json_array_foreach(json_object_get(req, "messages"), i, msg) {
        const char *role = json_string_value(json_object_get(msg, "role"));

        if (role == NULL || (strcmp(role, "user") != 0 && strcmp(role, "tool") != 0))
            continue;
        json_array_foreach(json_object_get(msg, "content"), j, part) {
            const char *type = json_string_value(json_object_get(part, "type"));
            const char *url = part_image_url(part);
            size_t k;

            if (type == NULL || strcmp(type, "image_url") != 0 || url == NULL || !remote_url(url))
                continue;
            for (k = 0; k < n && strcmp(urls[k], url) != 0; k++)
                ;
            if (k < n)
                continue;
            urls[n++] = url;
            if (n == cap)
                return n;
        }
    }
    return n;
}

/* Refuses (400) an image URL llmux will not fetch: too long, blanks, no host, userinfo. */
static int check_image_url(const char *url, struct lmx_perr *err)
{
    const char *host = strstr(url, "://") + 3, *end;

    if (strlen(url) > IMAGE_URL_MAX) {
        set_err(err, 400, "invalid_request_error", "messages",
                "bedrock: image URL '%.200s...' is longer than %d bytes", url, IMAGE_URL_MAX);
        return LMX_EBADREQ;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f) {
            set_err(err, 400, "invalid_request_error", "messages",
                    "bedrock: image URL '%.200s' has blanks or control characters", url);
            return LMX_EBADREQ;
        }
    end = host + strcspn(host, "/?#");
    if (end == host) {
        set_err(err, 400, "invalid_request_error", "messages",
                "bedrock: image URL '%.200s' has no host", url);
        return LMX_EBADREQ;
    }
    if (memchr(host, '@', (size_t)(end - host)) != NULL) {
        set_err(err, 400, "invalid_request_error", "messages",
                "bedrock: image URLs with credentials (user:password@host) are not fetched");
        return LMX_EBADREQ;
    }
    return 0;
}

/*
 * Asks for the next image URL of the request not fetched yet in this
 * attempt: *tok becomes its GET. Returns 1 then, 0 when every image is at
 * hand (or the call has none), or a negative code with *err filled.
 */
static int bedrock_token_prepare(struct lmx_pcall *pc, struct lmx_upreq *tok, struct lmx_perr *err)
{
    const char *urls[IMAGE_FETCHES + 1], *next = NULL;
    struct bedrock_state *st = pc->state;
    struct model_ref m;
    size_t n;
    int e;

    if (pc->ep != LMX_EP_CHAT || pc->req == NULL)
        return 0;
    if (model_ref_of(pc->model != NULL ? pc->model : "", &m, NULL) < 0)
        return 0; /* build refuses the model */
    n = remote_images(pc->req, urls, LMX_ARRAY_SIZE(urls));
    if (n == 0)
        return 0;
    if (n > IMAGE_FETCHES) {
        set_err(err, 400, "invalid_request_error", "messages",
                "bedrock: at most %d image URLs are fetched per request; send the others as "
                "base64 data URLs",
                IMAGE_FETCHES);
        return LMX_EBADREQ;
    }
    for (size_t i = 0; i < n; i++) {
        e = check_image_url(urls[i], err);
        if (e < 0)
            return e;
        if (next == NULL && (st == NULL || fetched_of(st->imgs, urls[i]) == NULL))
            next = urls[i];
    }
    if (next == NULL)
        return 0;
    if (st == NULL) {
        st = state_new(pc, pc->model != NULL ? pc->model : "", "chatcmpl-");
        if (st == NULL)
            goto nomem;
        pc->state = st;
    }
    if (st->imgs == NULL && (st->imgs = lmx_calloc(1, sizeof(*st->imgs))) == NULL)
        goto nomem;
    lmx_free(st->imgs->pending);
    st->imgs->pending = lmx_strdup(next);
    if (st->imgs->pending == NULL)
        goto nomem;
    tok->method = "GET";
    tok->resource = true; /* an unreachable host is the caller's URL, not the deployment */
    e = lmx_buf_puts(&tok->url, next);
    if (e == 0)
        e = lmx_upreq_header(tok, "Accept", "image/*");
    if (e < 0) {
        set_err(err, 400, "invalid_request_error", "messages",
                "bedrock: image URL '%.200s' is too long", next);
        return e;
    }
    return 1;
nomem:
    set_err(err, 503, "internal_server_error", NULL, "out of memory");
    return LMX_ENOMEM;
}

/* The format of image bytes by their magic numbers, or NULL when not one Bedrock takes. */
static const char *sniff_image(const unsigned char *p, size_t n)
{
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return "jpeg";
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return "gif";
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "webp";
    return NULL;
}

/*
 * The answer to the image GET token_prepare asked for: its bytes are kept
 * (as base64) for build. A failed or unusable image is the caller's to fix:
 * 400 naming the URL. Returns 0 or a negative code with *err filled.
 */
static int bedrock_token_done(
    struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *err)
{
    struct bedrock_state *st = pc->state;
    struct image_set *set = st != NULL ? st->imgs : NULL;
    struct fetched *f;
    const char *fmt, *url;
    char *text = NULL;
    int e = 0;

    if (set == NULL || set->pending == NULL) {
        set_err(err, 500, "internal_server_error", NULL, "bedrock: no image fetch was asked for");
        return LMX_EINTERNAL;
    }
    url = set->pending;
    if (status < 200 || status > 299) {
        set_err(err, 400, "invalid_request_error", "messages",
                "cannot fetch image %.300s: HTTP %ld", url, status);
        e = LMX_EBADREQ;
        goto out;
    }
    if (len > IMAGE_MAX) {
        set_err(err, 400, "invalid_request_error", "messages",
                "image %.300s is %zu bytes; bedrock takes images up to 3.75 MB (%u bytes)", url,
                len, IMAGE_MAX);
        e = LMX_EBADREQ;
        goto out;
    }
    fmt = sniff_image((const unsigned char *)body, len);
    if (fmt == NULL) {
        set_err(err, 400, "invalid_request_error", "messages",
                "image %.300s is not a png, jpeg, gif or webp image (the formats bedrock takes)",
                url);
        e = LMX_EBADREQ;
        goto out;
    }
    if (set->n >= IMAGE_FETCHES) { /* token_prepare asks for at most IMAGE_FETCHES */
        set_err(err, 500, "internal_server_error", NULL, "bedrock: too many images fetched");
        e = LMX_EINTERNAL;
        goto out;
    }
    text = lmx_malloc((len + 2) / 3 * 4 + 1);
    if (text == NULL || EVP_EncodeBlock((unsigned char *)text, (const unsigned char *)body,
                                        (int)len) < 0) {
        e = LMX_ENOMEM;
        set_err(err, 503, "internal_server_error", NULL, "out of memory");
        goto out;
    }
    f = &set->img[set->n];
    f->bytes = json_string(text);
    if (f->bytes == NULL) {
        e = LMX_ENOMEM;
        set_err(err, 503, "internal_server_error", NULL, "out of memory");
        goto out;
    }
    f->url = set->pending; /* the pending URL becomes this image's */
    f->fmt = fmt;
    set->pending = NULL;
    set->n++;
out:
    lmx_free(text);
    if (e < 0) {
        lmx_free(set->pending);
        set->pending = NULL;
    }
    return e;
}

/* ------------------------------------------------------------------------ */
/* build: embeddings (InvokeModel) */

static enum embed_kind embed_kind_of(const char *base)
{
    if (has_prefix(base, "amazon.titan-embed-text-v2"))
        return EMB_TITAN_V2;
    if (has_prefix(base, "amazon.titan-embed-text-v1") ||
        has_prefix(base, "amazon.titan-embed-g1-text"))
        return EMB_TITAN_V1;
    if (has_prefix(base, "cohere.embed-"))
        return EMB_COHERE;
    return EMB_NONE;
}

/* Embedding parameters this file reads (the rest: ignored_keys, or refused). */
/* clang-format off */
static const char *const embed_keys[] = {
    "input", "encoding_format", "dimensions", "input_type", "truncate", "normalize",
};
/* clang-format on */

/* The request's value of `key`; NULL for absent, null or named by additional_drop_params. */
static json_t *eparam(const struct bctx *b, const char *key)
{
    json_t *v = json_object_get(b->pc->req, key);

    return v == NULL || json_is_null(v) || lmx_param_dropped(b->pc->dep, key) ? NULL : v;
}

/* The InvokeModel body of an embeddings request for `kind`. */
static int embed_body(struct bctx *b, enum embed_kind kind, struct bedrock_state *st, json_t **out)
{
    json_t *input = eparam(b, "input"), *dims = eparam(b, "dimensions");
    json_t *norm = eparam(b, "normalize"), *itype = eparam(b, "input_type");
    json_t *trunc = eparam(b, "truncate"), *fmt = eparam(b, "encoding_format");
    json_t *body = json_object(), *texts = NULL, *v;
    bool titan = kind == EMB_TITAN_V1 || kind == EMB_TITAN_V2;
    const char *k;
    size_t i, n;
    int e = 0;

    *out = NULL;
    if (body == NULL)
        return nomem(b);
    n = json_is_string(input) ? 1 : json_array_size(input);
    if (json_is_array(input)) {
        json_array_foreach(input, i, v) {
            if (!json_is_string(v))
                break;
        }
        if (i < n)
            n = 0;
    }
    if (n == 0) {
        e = bad(b, "input",
                "bedrock embeddings take a string or a non-empty list of strings (not token "
                "arrays)");
        goto out;
    }
    if (fmt != NULL && (!json_is_string(fmt) || (strcmp(json_string_value(fmt), "float") != 0 &&
                                                 strcmp(json_string_value(fmt), "base64") != 0))) {
        e = bad(b, "encoding_format", "encoding_format must be 'float' or 'base64'");
        goto out;
    }
    st->emb_base64 = fmt != NULL && strcmp(json_string_value(fmt), "base64") == 0;
    if (titan) {
        if (n > 1) {
            set_err(b->err, 400, "invalid_request_error", "input",
                    "bedrock model '%s' embeds one text per request and this llmux build sends "
                    "one upstream request per call: send %zu calls with one input each (or use a "
                    "cohere.embed-* model, which takes a list)",
                    b->m.id, n);
            e = LMX_EBADREQ;
            goto out;
        }
        v = json_is_string(input) ? input : json_array_get(input, 0);
        if (!put(body, "inputText", json_incref(v))) {
            e = nomem(b);
            goto out;
        }
    } else {
        texts = json_is_string(input) ? json_pack("[O]", input) : json_incref(input);
        if (!put(body, "texts", texts)) {
            e = nomem(b);
            goto out;
        }
        json_array_foreach(json_object_get(body, "texts"), i, v)
            st->emb_tokens += (long)((json_string_length(v) + 3) / 4);
        if (itype != NULL && !json_is_string(itype)) {
            e = bad(b, "input_type", "input_type must be a string");
            goto out;
        }
        if (!put(body, "input_type",
                 itype != NULL ? json_incref(itype) : json_string("search_document"))) {
            e = nomem(b);
            goto out;
        }
        if (trunc != NULL && !put(body, "truncate", json_incref(trunc))) {
            e = nomem(b);
            goto out;
        }
    }
    if (dims != NULL) {
        if (!json_is_integer(dims) || json_integer_value(dims) < 1) {
            e = bad(b, "dimensions", "dimensions must be a positive integer");
            goto out;
        }
        if (kind == EMB_TITAN_V2) {
            e = put(body, "dimensions", json_incref(dims)) ? 0 : nomem(b);
        } else if (kind == EMB_COHERE && strstr(b->m.base, "-v3") == NULL) {
            e = put(body, "output_dimension", json_incref(dims)) ? 0 : nomem(b);
        } else {
            e = unsupported(b, "dimensions", " (this model has a fixed size)");
        }
        if (e < 0)
            goto out;
    }
    if (norm != NULL) {
        if (kind != EMB_TITAN_V2) {
            e = unsupported(b, "normalize", NULL);
        } else if (!json_is_boolean(norm)) {
            e = bad(b, "normalize", "normalize must be a boolean");
        } else {
            e = put(body, "normalize", json_incref(norm)) ? 0 : nomem(b);
        }
        if (e < 0)
            goto out;
    }
    if (titan && (itype != NULL || trunc != NULL)) {
        e = unsupported(b, itype != NULL ? "input_type" : "truncate", NULL);
        if (e < 0)
            goto out;
    }
    json_object_foreach((json_t *)b->pc->req, k, v) {
        if (json_is_null(v) || in_list(ignored_keys, LMX_ARRAY_SIZE(ignored_keys), k) ||
            in_list(embed_keys, LMX_ARRAY_SIZE(embed_keys), k) ||
            lmx_param_dropped(b->pc->dep, k))
            continue;
        e = unsupported(b, k, NULL);
        if (e < 0)
            goto out;
    }
    *out = body;
    body = NULL;
out:
    json_decref(body);
    return e;
}

static int embed_build(struct bctx *b, struct lmx_upreq *out, struct bedrock_state **stp)
{
    struct lmx_pcall *pc = b->pc;
    enum embed_kind kind = embed_kind_of(b->m.base);
    struct bedrock_state *st = NULL;
    struct lmx_buf path;
    json_t *body = NULL;
    const char *region;
    char region_buf[72], hostz[512], *text = NULL;
    int e;

    lmx_buf_init(&path, 16384);
    if (kind == EMB_NONE) {
        set_err(b->err, 501, "not_implemented", "model",
                "bedrock embeddings for model '%.200s' are not served by this llmux build (Amazon "
                "Titan text models amazon.titan-embed-text-v1/-v2 and cohere.embed-* are)",
                b->m.id);
        e = LMX_ENOTIMPL;
        goto out;
    }
    st = state_new(pc, b->m.id, "emb-");
    if (st == NULL) {
        e = nomem(b);
        goto out;
    }
    st->embed = kind;
    e = embed_body(b, kind, st, &body);
    if (e < 0)
        goto out;
    e = locate(pc, b->m.id, "/invoke", out, region_buf, &region, hostz, &path, b->err);
    if (e < 0)
        goto out;
    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL || lmx_buf_puts(&out->body, text) < 0) {
        e = nomem(b);
        goto out;
    }
    e = authorize(pc, out, "application/json", region, hostz, path.data, b->err);
    if (e < 0)
        goto out;
    *stp = st;
    st = NULL;
out:
    state_free(st);
    lmx_free(text);
    json_decref(body);
    lmx_buf_release(&path);
    return e;
}

/* ------------------------------------------------------------------------ */
/* build: chat (Converse) */

static int bedrock_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct bctx b;
    struct bedrock_state *st = NULL;
    struct lmx_buf path;
    json_t *body = NULL;
    const char *region;
    char region_buf[72], hostz[512], *text = NULL;
    int e;

    memset(&b, 0, sizeof(b));
    b.pc = pc;
    b.err = err;
    if (pc->state != NULL) /* the images token_done kept: released with that state below */
        b.imgs = ((struct bedrock_state *)pc->state)->imgs;
    lmx_buf_init(&path, 16384);
    if (pc->ep != LMX_EP_CHAT && pc->ep != LMX_EP_EMBEDDINGS) {
        set_err(err, 501, "not_implemented", NULL,
                "bedrock: only /chat/completions and /embeddings are served by this llmux build");
        e = LMX_ENOTIMPL;
        goto out;
    }
    e = model_ref_of(pc->model != NULL ? pc->model : "", &b.m, err);
    if (e < 0)
        goto out;
    if (pc->ep == LMX_EP_EMBEDDINGS) {
        e = embed_build(&b, out, &st);
        if (e < 0)
            goto out;
        bedrock_release(pc);
        pc->state = st;
        st = NULL;
        goto out;
    }

    /* where */
    e = locate(pc, b.m.id, pc->stream ? "/converse-stream" : "/converse", out, region_buf, &region,
               hostz, &path, err);
    if (e < 0)
        goto out;

    /* what */
    e = converse_body(&b, &body);
    if (e < 0)
        goto out;
    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL || lmx_buf_puts(&out->body, text) < 0) {
        e = nomem(&b);
        goto out;
    }

    /* the call's state: ids for the answer, the stream decoder */
    st = state_new(pc, b.m.id, "chatcmpl-");
    if (st == NULL) {
        e = nomem(&b);
        goto out;
    }
    st->include_usage =
        json_is_true(json_object_get(json_object_get(pc->req, "stream_options"), "include_usage"));
    st->json_mode = b.json_mode;

    /* who */
    e = authorize(pc, out,
                  pc->stream ? "application/vnd.amazon.eventstream" : "application/json", region,
                  hostz, path.data, err);
    if (e < 0)
        goto out;
    bedrock_release(pc);
    pc->state = st;
    st = NULL;
out:
    state_free(st);
    lmx_free(text);
    json_decref(body);
    lmx_buf_release(&path);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Answers: embeddings */

/* An array of numbers → the base64 of its float32 little-endian bytes (OpenAI's "base64"). */
static json_t *base64_floats(json_t *arr)
{
    size_t n = json_array_size(arr), i;
    unsigned char *raw = lmx_malloc(n * 4 + 1);
    char *text = lmx_malloc((n * 4 + 2) / 3 * 4 + 1);
    json_t *v, *res = NULL;

    if (raw == NULL || text == NULL)
        goto out;
    json_array_foreach(arr, i, v) {
        float f = (float)json_number_value(v);
        uint32_t u;

        memcpy(&u, &f, 4);
        raw[i * 4] = (unsigned char)(u & 0xff);
        raw[i * 4 + 1] = (unsigned char)(u >> 8 & 0xff);
        raw[i * 4 + 2] = (unsigned char)(u >> 16 & 0xff);
        raw[i * 4 + 3] = (unsigned char)(u >> 24 & 0xff);
    }
    if (EVP_EncodeBlock((unsigned char *)text, raw, (int)(n * 4)) < 0)
        goto out;
    res = json_string(text);
out:
    lmx_free(raw);
    lmx_free(text);
    return res;
}

/* One vector of numbers, as asked: the array itself or its base64 string. */
static json_t *vector_of(const struct bedrock_state *st, json_t *arr)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v) {
        if (!json_is_number(v))
            return NULL;
    }
    return st->emb_base64 ? base64_floats(arr) : json_incref(arr);
}

static int parse_embed(struct lmx_pcall *pc,
                       struct bedrock_state *st,
                       json_t *root,
                       json_t **out,
                       struct lmx_perr *err)
{
    json_t *list, *data = json_array(), *e, *vec, *res;
    json_int_t tokens;
    size_t i;

    LMX_UNUSED(pc);
    if (data == NULL)
        goto nomem;
    if (st->embed == EMB_COHERE) {
        json_t *bu = json_object_get(json_object_get(root, "meta"), "billed_units");

        list = json_object_get(root, "embeddings");
        if (json_is_object(list)) /* with embedding_types: {"float": [[...]]} */
            list = json_object_get(list, "float");
        tokens = json_is_integer(json_object_get(bu, "input_tokens"))
                     ? json_integer_value(json_object_get(bu, "input_tokens"))
                     : (json_int_t)st->emb_tokens;
    } else {
        json_t *one = json_object_get(root, "embedding");

        if (!json_is_array(one))
            one = json_object_get(json_object_get(root, "embeddingsByType"), "float");
        list = NULL;
        tokens = json_integer_value(json_object_get(root, "inputTextTokenCount"));
        if (json_is_array(one)) {
            vec = vector_of(st, one);
            if (vec == NULL)
                goto bad;
            if (!append(data, json_pack("{s:s,s:i,s:o}", "object", "embedding", "index", 0,
                                        "embedding", vec)))
                goto nomem;
        }
    }
    json_array_foreach(list, i, e) {
        if (!json_is_array(e))
            goto bad;
        vec = vector_of(st, e);
        if (vec == NULL)
            goto bad;
        if (!append(data, json_pack("{s:s,s:I,s:o}", "object", "embedding", "index",
                                    (json_int_t)i, "embedding", vec)))
            goto nomem;
    }
    if (json_array_size(data) == 0)
        goto bad;
    res = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data", data, "model",
                    st->model, "usage", "prompt_tokens", tokens, "total_tokens", tokens);
    data = NULL;
    if (res == NULL)
        goto nomem;
    *out = res;
    return 0;
bad:
    json_decref(data);
    set_err(err, 500, "internal_server_error", NULL,
            "bedrock answered an embeddings call without embeddings (or with non-numeric ones)");
    return LMX_EUPSTREAM;
nomem:
    json_decref(data);
    set_err(err, 503, "internal_server_error", NULL, "out of memory");
    return LMX_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* Answers: chat */

static const char *finish_reason(const char *stop)
{
    if (stop == NULL)
        return "stop";
    if (strcmp(stop, "max_tokens") == 0 || strcmp(stop, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(stop, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(stop, "guardrail_intervened") == 0 || strcmp(stop, "content_filtered") == 0)
        return "content_filter";
    return "stop"; /* end_turn, stop_sequence */
}

static json_int_t int_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Bedrock usage → a new OpenAI usage object (NULL when out of memory). */
static json_t *usage_of(json_t *u)
{
    json_int_t in = int_of(u, "inputTokens"), outt = int_of(u, "outputTokens");
    json_int_t cr = int_of(u, "cacheReadInputTokens"), cw = int_of(u, "cacheWriteInputTokens");
    json_int_t total = json_is_integer(json_object_get(u, "totalTokens")) ? int_of(u, "totalTokens")
                                                                          : in + outt + cr + cw;
    json_t *o = json_pack("{s:I,s:I,s:I}", "prompt_tokens", in + cr + cw, "completion_tokens", outt,
                          "total_tokens", total);

    if (o == NULL)
        return NULL;
    if (json_object_get(u, "cacheReadInputTokens") != NULL &&
        !put(o, "prompt_tokens_details", json_pack("{s:I}", "cached_tokens", cr)))
        goto fail;
    if (cw > 0 && !put(o, "cache_creation_input_tokens", json_integer(cw)))
        goto fail;
    if (cr > 0 && !put(o, "cache_read_input_tokens", json_integer(cr)))
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static int bedrock_parse(
    struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    struct bedrock_state *st = pc->state;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *content =
        json_object_get(json_object_get(json_object_get(root, "output"), "message"), "content");
    json_t *calls = json_array(), *thinking = json_array(), *msg = NULL, *usage = NULL;
    json_t *res = NULL, *blk;
    struct lmx_buf text, reasoning;
    bool any_text = false, any_reasoning = false, json_answer = false;
    const char *fr;
    size_t i;
    int e = LMX_ENOMEM;

    *out = NULL;
    lmx_buf_init(&text, BODY_MAX);
    lmx_buf_init(&reasoning, BODY_MAX);
    if (!json_is_object(root)) {
        set_err(err, 500, "internal_server_error", NULL,
                "bedrock answered with a body that is not a JSON object: %.*s",
                (int)LMX_MIN(len, 80), body != NULL ? body : "");
        e = LMX_EUPSTREAM;
        goto out;
    }
    if (st != NULL && st->embed != EMB_NONE) {
        e = parse_embed(pc, st, root, out, err);
        goto out;
    }
    if (calls == NULL || thinking == NULL)
        goto out;
    json_array_foreach(content, i, blk) {
        json_t *t = json_object_get(blk, "text");
        json_t *tu = json_object_get(blk, "toolUse");
        json_t *rc = json_object_get(blk, "reasoningContent");

        if (json_is_string(t)) {
            if (lmx_buf_append(&text, json_string_value(t), json_string_length(t)) < 0)
                goto out;
            any_text = true;
        } else if (json_is_object(tu)) {
            const char *name = json_string_value(json_object_get(tu, "name"));
            const char *id = json_string_value(json_object_get(tu, "toolUseId"));
            json_t *input = json_object_get(tu, "input");
            char *args = input != NULL ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY)
                                       : lmx_strdup("{}");

            if (args == NULL)
                goto out;
            if (st != NULL && st->json_mode && name != NULL && strcmp(name, JSON_TOOL) == 0) {
                e = lmx_buf_puts(&text, args);
                lmx_free(args);
                if (e < 0)
                    goto out;
                e = LMX_ENOMEM;
                any_text = json_answer = true;
                continue;
            }
            if (!append(calls,
                        json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", id ? id : "", "type", "function",
                                  "function", "name", name ? name : "", "arguments", args))) {
                lmx_free(args);
                goto out;
            }
            lmx_free(args);
        } else if (json_is_object(rc)) {
            json_t *rt = json_object_get(rc, "reasoningText");
            json_t *red = json_object_get(rc, "redactedContent");

            if (json_is_object(rt)) {
                json_t *rtext = json_object_get(rt, "text");
                json_t *sig = json_object_get(rt, "signature");
                json_t *tb = json_pack("{s:s,s:s}", "type", "thinking", "thinking",
                                       json_is_string(rtext) ? json_string_value(rtext) : "");

                if (tb == NULL ||
                    (json_is_string(sig) && !put(tb, "signature", json_incref(sig))) ||
                    !append(thinking, tb))
                    goto out;
                if (json_is_string(rtext) && lmx_buf_append(&reasoning, json_string_value(rtext),
                                                            json_string_length(rtext)) < 0)
                    goto out;
                any_reasoning = true;
            } else if (json_is_string(red)) {
                if (!append(thinking,
                            json_pack("{s:s,s:O}", "type", "redacted_thinking", "data", red)))
                    goto out;
            }
        }
    }
    msg = json_pack("{s:s}", "role", "assistant");
    if (msg == NULL)
        goto out;
    if (any_text || json_array_size(calls) == 0) {
        if (!put(msg, "content", json_stringn(text.data ? text.data : "", text.len)))
            goto out;
    } else if (!put(msg, "content", json_null())) {
        goto out;
    }
    if (json_array_size(calls) > 0 && json_object_set(msg, "tool_calls", calls) < 0)
        goto out;
    if (any_reasoning && !put(msg, "reasoning_content",
                              json_stringn(reasoning.data ? reasoning.data : "", reasoning.len)))
        goto out;
    if (json_array_size(thinking) > 0 && json_object_set(msg, "thinking_blocks", thinking) < 0)
        goto out;
    fr = json_answer && json_array_size(calls) == 0
             ? "stop"
             : finish_reason(json_string_value(json_object_get(root, "stopReason")));
    usage = usage_of(json_object_get(root, "usage"));
    if (usage == NULL)
        goto out;
    res = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:O,s:s}],s:O}", "id",
                    st != NULL ? st->id : "chatcmpl-bedrock", "object", "chat.completion",
                    "created", (json_int_t)(st != NULL ? st->created : (long)lmx_wall_s()), "model",
                    st != NULL ? st->model : (pc->model ? pc->model : ""), "choices", "index", 0,
                    "message", msg, "finish_reason", fr, "usage", usage);
    if (res == NULL)
        goto out;
    *out = res;
    e = 0;
out:
    if (e == LMX_ENOMEM)
        set_err(err, 503, "internal_server_error", NULL, "out of memory");
    lmx_buf_release(&text);
    lmx_buf_release(&reasoning);
    json_decref(calls);
    json_decref(thinking);
    json_decref(msg);
    json_decref(usage);
    json_decref(root);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Errors */

/* HTTP status and error type of an AWS exception name ("throttlingException",
 * "ThrottlingException:..."). */
static int exception_status(const char *name, size_t n)
{
    static const struct {
        const char *name;
        int status;
    } map[] = {
        {"throttlingexception", 429},       {"validationexception", 400},
        {"modelstreamerrorexception", 424}, {"serviceunavailableexception", 503},
        {"internalserverexception", 500},   {"accessdeniedexception", 403},
        {"resourcenotfoundexception", 404}, {"modeltimeoutexception", 408},
        {"modelnotreadyexception", 429},    {"servicequotaexceededexception", 429},
        {"modelerrorexception", 424},       {"unrecognizedclientexception", 403},
        {"expiredtokenexception", 403},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++) {
        size_t k = strlen(map[i].name);

        if (n >= k && strncasecmp(name, map[i].name, k) == 0 && (n == k || name[k] == ':'))
            return map[i].status;
    }
    return 0;
}

static const char *type_of_status(int status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401 || status == 403)
        return "auth_error";
    if (status == 404)
        return "not_found_error";
    if (status == 408)
        return "timeout";
    if (status >= 500)
        return "internal_server_error";
    return "invalid_request_error";
}

static void bedrock_map_error(
    struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(root, "message"));

    LMX_UNUSED(pc);
    if (msg == NULL)
        msg = json_string_value(json_object_get(root, "Message"));
    if (msg != NULL)
        set_err(out, (int)status, type_of_status((int)status), NULL, "%s", msg);
    else
        set_err(out, (int)status, type_of_status((int)status), NULL,
                "bedrock returned HTTP %ld: %.*s", status, (int)LMX_MIN(len, 300),
                body != NULL ? body : "");
    json_decref(root);
}

/* ------------------------------------------------------------------------ */
/* Streams */

/* Emits one chunk with `delta` (stolen) and finish_reason (NULL: null). */
static int emit(struct bedrock_state *st, json_t *delta, const char *fr)
{
    json_t *chunk;
    int e;

    if (delta == NULL)
        return LMX_ENOMEM;
    if (!st->sent_role && json_object_set_new(delta, "role", json_string("assistant")) < 0) {
        json_decref(delta);
        return LMX_ENOMEM;
    }
    st->sent_role = true;
    chunk = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o}]}", "id", st->id, "object",
                      "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                      st->model, "choices", "index", 0, "delta", delta, "finish_reason",
                      fr != NULL ? json_string(fr) : json_null());
    if (chunk == NULL)
        return LMX_ENOMEM;
    e = st->cb(chunk, st->ud);
    json_decref(chunk);
    if (e < 0)
        st->cb_err = e;
    return e;
}

static int emit_usage(struct bedrock_state *st)
{
    json_t *chunk;
    int e;

    if (!st->include_usage || st->usage_sent || !st->have_usage)
        return 0;
    st->usage_sent = true;
    chunk = json_pack("{s:s,s:s,s:I,s:s,s:[],s:O}", "id", st->id, "object", "chat.completion.chunk",
                      "created", (json_int_t)st->created, "model", st->model, "choices", "usage",
                      st->usage);
    if (chunk == NULL)
        return LMX_ENOMEM;
    e = st->cb(chunk, st->ud);
    json_decref(chunk);
    if (e < 0)
        st->cb_err = e;
    return e;
}

static int stream_fail(struct bedrock_state *st, int status, const char *msg)
{
    set_err(st->err, status, type_of_status(status), NULL, "%s", msg);
    return LMX_EUPSTREAM;
}

/* The OpenAI tool index of a contentBlockIndex, or -1. */
static int tool_index(const struct bedrock_state *st, long block)
{
    for (int i = st->ntools - 1; i >= 0; i--)
        if (st->tools[i].block == block)
            return st->tools[i].index;
    return -1;
}

static int on_block_start(struct bedrock_state *st, json_t *ev)
{
    long block = (long)int_of(ev, "contentBlockIndex");
    json_t *tu = json_object_get(json_object_get(ev, "start"), "toolUse");
    const char *id = json_string_value(json_object_get(tu, "toolUseId"));
    const char *name = json_string_value(json_object_get(tu, "name"));
    int k;

    if (!json_is_object(tu))
        return 0;
    if (st->json_mode && name != NULL && strcmp(name, JSON_TOOL) == 0) {
        st->json_block = block;
        return 0;
    }
    if (st->ntools == MAX_TOOL_BLOCKS)
        return stream_fail(st, 500, "bedrock stream has too many tool calls");
    k = st->ntools;
    st->tools[st->ntools++] = (struct tool_slot){block, k};
    st->saw_tool = true;
    return emit(st,
                json_pack("{s:[{s:i,s:s,s:s,s:{s:s,s:s}}]}", "tool_calls", "index", k, "id",
                          id ? id : "", "type", "function", "function", "name", name ? name : "",
                          "arguments", ""),
                NULL);
}

static int on_block_delta(struct bedrock_state *st, json_t *ev)
{
    long block = (long)int_of(ev, "contentBlockIndex");
    json_t *d = json_object_get(ev, "delta");
    json_t *text = json_object_get(d, "text");
    json_t *tu = json_object_get(d, "toolUse");
    json_t *rc = json_object_get(d, "reasoningContent");

    if (json_is_string(text)) {
        if (json_string_length(text) == 0)
            return 0;
        return emit(st, json_pack("{s:O}", "content", text), NULL);
    }
    if (json_is_object(tu)) {
        json_t *in = json_object_get(tu, "input");
        int k;

        if (!json_is_string(in) || json_string_length(in) == 0)
            return 0;
        if (st->json_mode && block == st->json_block)
            return emit(st, json_pack("{s:O}", "content", in), NULL);
        k = tool_index(st, block);
        if (k < 0) {
            /* arguments without a contentBlockStart: a call with no id or name */
            if (st->ntools == MAX_TOOL_BLOCKS)
                return stream_fail(st, 500, "bedrock stream has too many tool calls");
            k = st->ntools;
            st->tools[st->ntools++] = (struct tool_slot){block, k};
            st->saw_tool = true;
        }
        return emit(
            st,
            json_pack("{s:[{s:i,s:{s:O}}]}", "tool_calls", "index", k, "function", "arguments", in),
            NULL);
    }
    if (json_is_object(rc)) {
        json_t *rt = json_object_get(rc, "text");
        json_t *sig = json_object_get(rc, "signature");
        json_t *red = json_object_get(rc, "redactedContent");

        if (json_is_string(rt) && json_string_length(rt) > 0)
            return emit(st, json_pack("{s:O}", "reasoning_content", rt), NULL);
        if (json_is_string(sig))
            return emit(st,
                        json_pack("{s:[{s:s,s:s,s:O}]}", "thinking_blocks", "type", "thinking",
                                  "thinking", "", "signature", sig),
                        NULL);
        if (json_is_string(red))
            return emit(st,
                        json_pack("{s:[{s:s,s:O}]}", "thinking_blocks", "type", "redacted_thinking",
                                  "data", red),
                        NULL);
    }
    return 0;
}

static int on_event(struct bedrock_state *st, const char *type, json_t *ev)
{
    int e;

    if (strcmp(type, "messageStart") == 0) {
        if (st->sent_role)
            return 0;
        return emit(st, json_pack("{s:s}", "content", ""), NULL);
    }
    if (strcmp(type, "contentBlockStart") == 0)
        return on_block_start(st, ev);
    if (strcmp(type, "contentBlockDelta") == 0)
        return on_block_delta(st, ev);
    if (strcmp(type, "messageStop") == 0) {
        const char *stop = json_string_value(json_object_get(ev, "stopReason"));
        const char *fr =
            st->json_mode && st->json_block >= 0 && !st->saw_tool ? "stop" : finish_reason(stop);

        if (st->finished)
            return 0;
        st->finished = true;
        e = emit(st, json_object(), fr);
        return e < 0 ? e : emit_usage(st);
    }
    if (strcmp(type, "metadata") == 0) {
        json_t *u = json_object_get(ev, "usage");

        if (!json_is_object(u))
            return 0;
        json_decref(st->usage);
        st->usage = usage_of(u);
        if (st->usage == NULL)
            return LMX_ENOMEM;
        st->have_usage = true;
        return st->finished ? emit_usage(st) : 0;
    }
    return 0; /* contentBlockStop and events this build does not know */
}

/* An exception or error message → *err; always returns LMX_EUPSTREAM. */
static int on_exception(struct bedrock_state *st, const struct lmx_es_msg *m, bool modeled)
{
    const struct lmx_es_header *t = lmx_es_find(m, modeled ? ":exception-type" : ":error-code");
    const struct lmx_es_header *em = modeled ? NULL : lmx_es_find(m, ":error-message");
    char name[64] = "error";
    json_t *root = NULL;
    const char *msg = NULL;
    int status;

    if (t != NULL && t->type == LMX_ES_STRING)
        snprintf(name, sizeof(name), "%.*s", (int)LMX_MIN(t->v_len, 63), (const char *)t->v);
    status = exception_status(name, strlen(name));
    if (status == 0)
        status = 500;
    if (em != NULL && em->type == LMX_ES_STRING) {
        set_err(st->err, status, type_of_status(status), NULL, "%.*s", (int)em->v_len,
                (const char *)em->v);
        return LMX_EUPSTREAM;
    }
    root = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
    msg = json_string_value(json_object_get(root, "message"));
    if (msg == NULL)
        msg = json_string_value(json_object_get(root, "Message"));
    if (msg != NULL)
        set_err(st->err, status, type_of_status(status), NULL, "%s", msg);
    else
        set_err(st->err, status, type_of_status(status), NULL, "bedrock stream error: %s", name);
    json_decref(root);
    return LMX_EUPSTREAM;
}

static int on_message(const struct lmx_es_msg *m, void *ud)
{
    struct bedrock_state *st = ud;
    const struct lmx_es_header *et = lmx_es_find(m, ":event-type");
    json_t *root, *ev;
    char type[64];
    int e;

    if (lmx_es_str_is(m, ":message-type", "exception"))
        return on_exception(st, m, true);
    if (lmx_es_str_is(m, ":message-type", "error"))
        return on_exception(st, m, false);
    if (et == NULL || et->type != LMX_ES_STRING || et->v_len >= sizeof(type))
        return 0;
    memcpy(type, et->v, et->v_len);
    type[et->v_len] = '\0';
    root = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        set_err(st->err, 500, "internal_server_error", NULL,
                "bedrock sent a '%s' event that is not a JSON object", type);
        return LMX_EUPSTREAM;
    }
    /* the SDKs' {"<eventType>": {...}} wrapping, should a relay keep it */
    ev = json_object_get(root, type);
    if (!json_is_object(ev) || json_object_size(root) != 1)
        ev = root;
    e = on_event(st, type, ev);
    json_decref(root);
    if (e == LMX_ENOMEM && st->cb_err != e)
        set_err(st->err, 503, "internal_server_error", NULL, "out of memory");
    return e;
}

static int bedrock_stream_feed(
    struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct bedrock_state *st = pc->state;

    if (st == NULL) {
        set_err(err, 500, "internal_server_error", NULL, "bedrock stream without a request");
        return LMX_EINTERNAL;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_err = 0;
    return lmx__aws_es_feed(&st->dec, p, n, on_message, st, &st->cb_err, "bedrock", STREAM_MSG_MAX,
                            err);
}

static int bedrock_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct bedrock_state *st = pc->state;
    int e;

    if (st == NULL) {
        set_err(err, 500, "internal_server_error", NULL, "bedrock stream without a request");
        return LMX_EINTERNAL;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_err = 0;
    e = lmx__aws_es_end(&st->dec, "bedrock", err);
    if (e < 0)
        return e;
    if (!st->finished) {
        set_err(err, 500, "internal_server_error", NULL, "bedrock stream ended before messageStop");
        return LMX_EUPSTREAM;
    }
    return emit_usage(st);
}

const struct lmx_provider_ops lmx_provider_bedrock_ops = {
    .name = "bedrock",
    .build = bedrock_build,
    .parse = bedrock_parse,
    .stream_feed = bedrock_stream_feed,
    .stream_end = bedrock_stream_end,
    .map_error = bedrock_map_error,
    .release = bedrock_release,
    .token_prepare = bedrock_token_prepare,
    .token_done = bedrock_token_done,
};
