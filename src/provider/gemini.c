/*
 * provider/gemini.c - `gemini/` deployments: the Gemini API of Google AI
 * Studio. This file owns the URL and the credentials; the translation of
 * bodies, answers and streams is gemini_wire.c's (shared with Vertex AI).
 *
 *   chat        POST {base}/models/{model}:generateContent
 *   chat stream POST {base}/models/{model}:streamGenerateContent?alt=sse
 *   embeddings  POST {base}/models/{model}:batchEmbedContents
 *
 * {base} is api_base (else GEMINI_API_BASE, else
 * https://generativelanguage.googleapis.com) with "/v1beta" appended unless
 * it already ends in a version segment ("/v1beta", "/v1", "/v1alpha"): a
 * LiteLLM config whose api_base is ".../v1beta" (Cloudflare AI Gateway and
 * the like) keeps working, and a bare host gets the default version. The key
 * goes in x-goog-api-key: api_key, else GOOGLE_API_KEY, else GEMINI_API_KEY
 * (LiteLLM's order).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "provider/gemini.h"

#define DEFAULT_BASE    "https://generativelanguage.googleapis.com"
#define DEFAULT_VERSION "/v1beta"

/* pc->state of a call. */
struct gemini_call {
    struct lmx_gemini_stream *stream; /* NULL unless a chat stream */
};

/* Whether the last path segment of base (n bytes) is an API version: v1, v1beta, v1alpha2... */
static bool ends_in_version(const char *base, size_t n)
{
    const char *seg = base + n, *p;

    while (seg > base && seg[-1] != '/')
        seg--;
    if (seg == base || (seg - base >= 2 && seg[-2] == '/')) /* no path, or "scheme://host" */
        return false;
    p = seg;
    if (p == base + n || *p++ != 'v' || p == base + n || *p < '0' || *p > '9')
        return false;
    while (p < base + n && *p >= '0' && *p <= '9')
        p++;
    if (p == base + n)
        return true;
    if ((size_t)(base + n - p) >= 4 && strncmp(p, "beta", 4) == 0)
        p += 4;
    else if ((size_t)(base + n - p) >= 5 && strncmp(p, "alpha", 5) == 0)
        p += 5;
    else
        return false;
    while (p < base + n && *p >= '0' && *p <= '9')
        p++;
    return p == base + n;
}

/* Appends the model as a path piece: "models/" dropped, bytes outside [A-Za-z0-9._~/-] escaped. */
static int put_model(struct lmx_buf *b, const char *model)
{
    static const char hex[] = "0123456789ABCDEF";

    if (strncmp(model, "models/", 7) == 0)
        model += 7;
    for (const unsigned char *p = (const unsigned char *)model; *p != '\0'; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("._~/-", *p) != NULL;
        int rc = plain ? lmx_buf_append(b, p, 1) : lmx_buf_append(b, esc, 3);

        if (rc < 0)
            return rc;
    }
    return 0;
}

static int gemini_url(const struct lmx_deployment *d,
                      const char *model,
                      const char *method,
                      struct lmx_buf *url)
{
    const char *base = d->api_base;
    size_t n;

    if (base == NULL || *base == '\0')
        base = getenv("GEMINI_API_BASE");
    if (base == NULL || *base == '\0')
        base = DEFAULT_BASE;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (lmx_buf_append(url, base, n) < 0 ||
        (!ends_in_version(base, n) && lmx_buf_puts(url, DEFAULT_VERSION) < 0) ||
        lmx_buf_puts(url, "/models/") < 0 || put_model(url, model) < 0 ||
        lmx_buf_puts(url, method) < 0)
        return LMX_ENOMEM;
    return 0;
}

/* The API key: the deployment's, else GOOGLE_API_KEY, else GEMINI_API_KEY; NULL when none. */
static const char *gemini_key(const struct lmx_deployment *d)
{
    static const char *const envs[] = {"GOOGLE_API_KEY", "GEMINI_API_KEY"};

    if (d->api_key != NULL && d->api_key[0] != '\0')
        return d->api_key;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(envs); i++) {
        const char *v = getenv(envs[i]);

        if (v != NULL && *v != '\0')
            return v;
    }
    return NULL;
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static int gemini_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct lmx_gemini_opts o = {
        .provider = "gemini", .model = pc->model, .drop_params = pc->drop_params};
    struct gemini_call *gc = NULL;
    const char *key = gemini_key(pc->dep), *method;
    json_t *body = NULL;
    int rc;

    switch (pc->ep) {
    case LMX_EP_CHAT:
        rc = lmx_gemini_chat_request(&o, pc->req, &body, err);
        method = pc->stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        break;
    case LMX_EP_EMBEDDINGS:
        rc = lmx_gemini_embed_request(&o, pc->req, &body, err);
        method = ":batchEmbedContents";
        break;
    case LMX_EP_COMPLETIONS:
    default:
        err->status = 400;
        snprintf(err->type, sizeof(err->type), "invalid_request_error");
        snprintf(err->message, sizeof(err->message),
                 "gemini/ deployments serve /chat/completions and /embeddings, not /completions");
        return LMX_EBADREQ;
    }
    if (rc < 0)
        return rc;
    rc = LMX_ENOMEM;
    if (pc->stream && pc->ep == LMX_EP_CHAT) {
        const json_t *so = json_object_get(pc->req, "stream_options");

        gc = lmx_calloc(1, sizeof(*gc));
        if (gc == NULL ||
            lmx_gemini_stream_new(&gc->stream, pc->model,
                                  json_is_true(json_object_get(so, "include_usage"))) < 0)
            goto out;
    }
    if (gemini_url(pc->dep, pc->model, method, &out->url) < 0)
        goto out;
    rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0 && key != NULL)
        rc = lmx_upreq_header(out, "x-goog-api-key", "%s", key);
    if (rc < 0)
        goto out;
    rc = json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0 ? LMX_ENOMEM : 0;
    if (rc < 0)
        goto out;
    out->method = "POST";
    pc->state = gc;
    gc = NULL;
out:
    if (rc < 0 && err->message[0] == '\0') {
        err->status = rc == LMX_ETOOBIG ? 413 : 503;
        snprintf(err->type, sizeof(err->type), "%s", lmx_err_type(rc));
        snprintf(err->message, sizeof(err->message), "cannot build the gemini request: %s",
                 lmx_strerror(rc));
    }
    if (gc != NULL) {
        lmx_gemini_stream_free(gc->stream);
        lmx_free(gc);
    }
    json_decref(body);
    return rc;
}

static int
gemini_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    if (pc->ep == LMX_EP_EMBEDDINGS)
        return lmx_gemini_embed_response(pc->model, pc->req, body, len, out, err);
    return lmx_gemini_chat_response(pc->model, body, len, out, err);
}

static struct lmx_gemini_stream *stream_of(struct lmx_pcall *pc, struct lmx_perr *err)
{
    struct gemini_call *gc = pc->state;

    if (gc == NULL || gc->stream == NULL) {
        err->status = 500;
        snprintf(err->type, sizeof(err->type), "internal_server_error");
        snprintf(err->message, sizeof(err->message),
                 "gemini: stream bytes for a call that is "
                 "not a stream");
        return NULL;
    }
    return gc->stream;
}

static int gemini_stream_feed(
    struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct lmx_gemini_stream *s = stream_of(pc, err);

    return s != NULL ? lmx_gemini_stream_feed(s, p, n, cb, ud, err) : LMX_EINTERNAL;
}

static int gemini_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct lmx_gemini_stream *s = stream_of(pc, err);

    return s != NULL ? lmx_gemini_stream_end(s, cb, ud, err) : LMX_EINTERNAL;
}

static void gemini_map_error(
    struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    LMX_UNUSED(pc);
    lmx_gemini_error(status, body, len, out);
}

static void gemini_release(struct lmx_pcall *pc)
{
    struct gemini_call *gc = pc->state;

    if (gc != NULL) {
        lmx_gemini_stream_free(gc->stream);
        lmx_free(gc);
    }
    pc->state = NULL;
}

const struct lmx_provider_ops lmx_provider_gemini_ops = {
    .name = "gemini",
    .build = gemini_build,
    .parse = gemini_parse,
    .stream_feed = gemini_stream_feed,
    .stream_end = gemini_stream_end,
    .map_error = gemini_map_error,
    .release = gemini_release,
};
