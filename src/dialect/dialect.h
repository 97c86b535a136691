/*
 * dialect/dialect.h - inbound dialects: clients that speak something other
 * than OpenAI Chat Completions.
 *
 * Anthropic Messages, OpenAI Responses and Gemini generateContent clients are
 * served from any provider by converting through the canonical format
 * (DESIGN.md §4, the OpenAI chat shape): one ops table per dialect turns the
 * client's request into a canonical chat request, and the canonical answer,
 * stream chunks and errors back into the client's dialect. Routing, retries,
 * fallbacks and the provider adapters run unchanged in between (api/proxy.c).
 *
 * Every function here is pure translation: no I/O, no event loop. The proxy
 * owns the call; a dialect keeps its per-call state in dc->state.
 */
#ifndef LMX_DIALECT_H
#define LMX_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "provider/provider.h"

struct lmx_dialect_ops;

/* One call as a dialect sees it; the proxy fills it before `request`. */
struct lmx_dcall {
    const struct lmx_dialect_ops *ops;
    const char *path_model; /* the model named by the path (Gemini), else NULL */
    bool path_stream;       /* the path asked for a stream (Gemini :streamGenerateContent) */
    bool path_array;        /* ... without alt=sse: Google's JSON-array framing, not SSE */
    bool stream;            /* set by `request`: the client wants a stream */
    const char *model;      /* the model name as the client gave it (set by the proxy after `request`) */
    const char *call_id;    /* the call's id: a stable seed for ids the dialect makes up */
    int64_t created;        /* wall-clock seconds at the start of the call */
    void *state;            /* the dialect's own; freed by release */
};

struct lmx_dialect_ops {
    const char *name; /* "anthropic", "responses", "gemini" */
    /* Content-Type of a stream answer ("text/event-stream") */
    const char *stream_content_type;

    /*
     * The client's body (parsed JSON object) → a new canonical chat request
     * in *out: "model" (from the body or dc->path_model), "messages", the
     * mapped parameters, "stream" and, for streams,
     * "stream_options":{"include_usage":true}. Sets dc->stream. Returns 0; or
     * a negative code with *err filled (status 400, type, message naming the
     * bad field) and *out NULL.
     */
    int (*request)(struct lmx_dcall *dc, const json_t *in, json_t **out, struct lmx_perr *err);

    /*
     * A canonical chat.completion (borrowed) → the client's response body,
     * appended to out. Returns 0 or a negative code.
     */
    int (*response)(struct lmx_dcall *dc, const json_t *resp, struct lmx_buf *out);

    /*
     * One canonical chat.completion.chunk (borrowed) → zero or more complete
     * stream events in the client's framing, appended to out. The usage chunk
     * (empty choices, "usage" set) always arrives, last before stream_end.
     * Returns 0 or a negative code.
     */
    int (*stream_chunk)(struct lmx_dcall *dc, const json_t *chunk, struct lmx_buf *out);

    /* The canonical stream ended cleanly: the closing events, appended to out. */
    int (*stream_end)(struct lmx_dcall *dc, struct lmx_buf *out);

    /*
     * An error before any answer was sent: the body (JSON) the client's SDK
     * understands for `status`. `type` is the OpenAI error type
     * ("invalid_request_error", "rate_limit_error", "auth_error", ...).
     */
    void (*error_body)(int status, const char *type, const char *message, struct lmx_buf *out);

    /*
     * An error after the stream began: the event(s) that tell the client, in
     * its own framing (never a silent cut). dc may have no state yet.
     */
    void (*stream_error)(struct lmx_dcall *dc, int status, const char *type, const char *message,
                         struct lmx_buf *out);

    /* Frees dc->state; may be NULL. */
    void (*release)(struct lmx_dcall *dc);
};

extern const struct lmx_dialect_ops lmx_dialect_anthropic;
extern const struct lmx_dialect_ops lmx_dialect_responses;
extern const struct lmx_dialect_ops lmx_dialect_gemini;
/*
 * /v1/completions over chat, for a deployment whose family only serves chat
 * (api/proxy.c switches to it per attempt). Its error_body and stream_error
 * are NULL: errors keep the OpenAI envelope.
 */
extern const struct lmx_dialect_ops lmx_dialect_completions;

/*
 * Token counting without a provider call (count_tokens / countTokens): an
 * estimate over the text the request carries. The method is documented in
 * dialect/count.c; the body is the client's request in its own dialect.
 */
int64_t lmx_dialect_estimate_tokens(const struct lmx_dialect_ops *ops, const json_t *in);

#endif
