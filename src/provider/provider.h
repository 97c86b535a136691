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
#include <jansson.h>

#include "core/buf.h"

enum lmx_endpoint {
    LMX_EP_CHAT,
    LMX_EP_COMPLETIONS,
    LMX_EP_EMBEDDINGS,
    LMX_EP_IMAGES,         /* /images/generations */
    LMX_EP_SPEECH,         /* /audio/speech: audio bytes back */
    LMX_EP_TRANSCRIPTIONS, /* /audio/transcriptions: multipart in */
    LMX_EP_MODERATIONS,
    LMX_EP_RERANK,    /* Cohere's rerank format */
    LMX_EP_RESPONSES, /* /responses: a Responses client on an OpenAI or Azure deployment */
};

/*
 * One call as an adapter sees it. The proxy fills it before build and keeps
 * it until the call ends; `state` is the adapter's own (stream decoder state,
 * tool-call indexes, ...), freed by ops->release.
 */
struct lmx_pcall {
    const struct lmx_deployment *dep;
    enum lmx_endpoint ep;
    const json_t *req; /* the client's body, OpenAI format, parsed (borrowed, read-only) */
    const char *model; /* the upstream model name (wildcards resolved) */
    const char *call_id;
    bool stream;
    bool drop_params; /* unsupported parameters are dropped instead of refused */
    void *state;
};

/* The request an adapter builds: URL, method, headers, body. */
struct lmx_upreq {
    const char *method; /* "POST" unless set */
    bool resource;      /* a pre-step fetching the caller's resource (an image URL): its
                           transport failure is the caller's (400), not the deployment's */
    struct lmx_buf url;
    struct lmx_buf body;
    const char *headers[24]; /* "Name: value" lines, pointing into store */
    size_t nheaders;
    char store[8192];
    size_t used;
};

void lmx_upreq_init(struct lmx_upreq *r);
void lmx_upreq_release(struct lmx_upreq *r);
/* Adds "name: value"; returns 0 or LMX_ETOOBIG when the header store is full. */
int lmx_upreq_header(struct lmx_upreq *r, const char *name, const char *fmt, ...)
    LMX_PRINTF(3, 4);

/* An error an adapter reports: the HTTP status and OpenAI-style type and message to answer. */
struct lmx_perr {
    int status;
    char type[64];
    char param[64];
    char message[512];
};

/* Receives one OpenAI chat.completion.chunk object (borrowed) decoded from a provider stream. */
typedef int (*lmx_chunk_cb)(const json_t *chunk, void *ud);

struct lmx_provider_ops {
    const char *name;

    /* ---- the OpenAI wire format: the body is forwarded, only these two are needed ---- */
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

    /* ---- families with their own wire format (NULL build = the OpenAI path above) ---- */
    /*
     * Translates pc->req into the provider's request. Returns 0; or a negative
     * code with *err filled (e.g. 400 naming an unsupported parameter and the
     * provider, when drop_params is off) and nothing sent upstream.
     */
    int (*build)(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err);
    /*
     * A complete 2xx provider answer → a new OpenAI object (chat.completion,
     * text_completion or the embeddings list) in *out. Returns 0, or a
     * negative code with *err filled when the answer cannot be understood.
     */
    int (*parse)(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                 struct lmx_perr *err);
    /*
     * Stream bytes of a 2xx answer (any split) → OpenAI chunks through cb, in
     * order. Returns 0; cb's negative return (stop); or a negative code with
     * *err filled (a provider error event, a broken frame).
     */
    int (*stream_feed)(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud,
                       struct lmx_perr *err);
    /* The stream ended cleanly: emit what is pending. Returns like stream_feed. */
    int (*stream_end)(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err);
    /* An error answer (status >= 400) → status, type and message to give the client. */
    void (*map_error)(struct lmx_pcall *pc, long status, const char *body, size_t len,
                      struct lmx_perr *out);
    /* Frees pc->state; may be NULL. */
    void (*release)(struct lmx_pcall *pc);

    /* ---- a credential fetched before the call (OAuth2, IAM); both NULL = none ---- */
    /*
     * Pre-steps: runs before build on every attempt. Returns 0 when build can
     * run now (a cached, unexpired token is at hand, every resource fetched);
     * 1 when *tok was filled with a request to make first: a token, or a
     * resource the request needs such as an image URL (set tok->resource).
     * The proxy sends it on the worker's loop, passes the answer to
     * token_done, then calls token_prepare again (at most 16 steps per
     * attempt, each answer at most 20 MiB) until it returns 0, then build.
     * Or a negative code with *err filled (credentials missing or unreadable:
     * 401 or 400).
     */
    int (*token_prepare)(struct lmx_pcall *pc, struct lmx_upreq *tok, struct lmx_perr *err);
    /*
     * The token endpoint's answer (any status). Returns 0 once the token is
     * cached and build may run; or a negative code with *err filled (the
     * status to give the client and why; 401 for refused credentials).
     */
    int (*token_done)(struct lmx_pcall *pc, long status, const char *body, size_t len,
                      struct lmx_perr *err);
};

extern const struct lmx_provider_ops lmx_provider_openai_ops;
extern const struct lmx_provider_ops lmx_provider_azure_ops;

/*
 * Native families register here (provider/registry.c) under the provider
 * prefixes they serve; lmx_provider_for looks them up by dep->provider.
 */
struct lmx_provider_entry {
    const char *prefix; /* "anthropic", "gemini", ... */
    const struct lmx_provider_ops *ops;
};

/* The ops for a deployment, or NULL when this build cannot call its provider. */
const struct lmx_provider_ops *lmx_provider_for(const struct lmx_deployment *d);

/* The path suffix of an endpoint: "/chat/completions", "/completions", "/embeddings". */
const char *lmx_endpoint_path(enum lmx_endpoint ep);

#endif
