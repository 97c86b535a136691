/*
 * provider/gemini.h - the Gemini generateContent wire format.
 *
 * Two halves:
 *  - the `gemini/` ops table (Google AI Studio: URL, x-goog-api-key), in gemini.c;
 *  - the translation between the OpenAI hub shape and Gemini's
 *    GenerateContentRequest / GenerateContentResponse / SSE stream /
 *    batchEmbedContents, in gemini_wire.c. It knows nothing about URLs or
 *    credentials, so Vertex AI's Gemini models can reuse it unchanged.
 *
 * All functions below are safe to call from any worker thread; none of them
 * blocks. Errors are reported as a negative LMX_E* code with *err filled
 * (status, OpenAI-style type, message) when err is not NULL.
 */
#ifndef LMX_PROVIDER_GEMINI_H
#define LMX_PROVIDER_GEMINI_H

#include <stddef.h>

#include <jansson.h>

#include "core/lmx.h"
#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_gemini_ops;

/* What the translation needs besides the OpenAI body. */
struct lmx_gemini_opts {
    const char *provider; /* "gemini", "vertex_ai": named in error messages */
    const char *model;    /* the upstream model name; picks model-specific mappings
                             (gemini-3 thinking levels and penalties, gemma system prompts) */
    bool drop_params;     /* drop unsupported OpenAI parameters instead of refusing them */
    bool vertex;          /* Vertex AI: schema "format" values are kept as they are (AI Studio
                             takes only enum, date-time and the number formats; others go) */
};

/*
 * OpenAI chat/completions body -> GenerateContentRequest (a new object in
 * *out). Returns 0; LMX_EBADPARAM (400 naming the parameter) for a parameter
 * Gemini cannot express when drop_params is off; LMX_EBADREQ (400) for a body
 * that cannot be translated (no messages, a tool result without its call,
 * an image URL that is neither data: nor a URL, ...); LMX_ENOMEM. *out is
 * untouched on failure.
 */
int lmx_gemini_chat_request(const struct lmx_gemini_opts *o,
                            const json_t *req,
                            json_t **out,
                            struct lmx_perr *err);

/*
 * A whole 2xx GenerateContentResponse body -> a new OpenAI chat.completion in
 * *out (`model` names the model in it). Returns 0, LMX_EUPSTREAM when the
 * body is not a JSON object (or carries an "error"), or LMX_ENOMEM.
 */
int lmx_gemini_chat_response(
    const char *model, const char *body, size_t len, json_t **out, struct lmx_perr *err);

/* Decoder of a `streamGenerateContent?alt=sse` answer. */
struct lmx_gemini_stream;

/*
 * A decoder for one stream. `model` names the model in the chunks;
 * include_usage adds the final {"choices":[],"usage":...} chunk. Returns 0
 * and sets *out, or LMX_ENOMEM.
 */
int lmx_gemini_stream_new(struct lmx_gemini_stream **out, const char *model, bool include_usage);
/* Frees the decoder; NULL is a no-op. */
void lmx_gemini_stream_free(struct lmx_gemini_stream *s);
/*
 * Stream bytes in any split -> OpenAI chat.completion.chunk objects through
 * cb, in order. Returns 0; cb's negative return; LMX_EUPSTREAM with *err
 * filled for an error event (status and message from it) or an event that is
 * not JSON; LMX_ETOOBIG for an event over 64 MiB; LMX_ENOMEM. After a failure
 * the decoder must not be fed again.
 */
int lmx_gemini_stream_feed(struct lmx_gemini_stream *s,
                           const char *p,
                           size_t n,
                           lmx_chunk_cb cb,
                           void *ud,
                           struct lmx_perr *err);
/*
 * The stream ended: a last event without its blank line is read, choices
 * that never got a finish_reason get one, and the usage chunk goes out when
 * asked for. Returns like lmx_gemini_stream_feed.
 */
int lmx_gemini_stream_end(struct lmx_gemini_stream *s,
                          lmx_chunk_cb cb,
                          void *ud,
                          struct lmx_perr *err);

/*
 * An error answer (status >= 400): {"error":{"code","message","status"}}
 * (also wrapped in an array) -> out: the HTTP status kept, the provider's
 * message kept, type from the RPC status (INVALID_ARGUMENT ->
 * invalid_request_error, RESOURCE_EXHAUSTED -> rate_limit_error,
 * UNAUTHENTICATED / PERMISSION_DENIED -> auth_error, ...). Never fails: an
 * unreadable body gives a message quoting its start.
 */
void lmx_gemini_error(long status, const char *body, size_t len, struct lmx_perr *out);

/* The OpenAI error type for a google.rpc status name ("RESOURCE_EXHAUSTED"), or NULL. */
const char *lmx_gemini_error_type(const char *rpc_status);

/*
 * Gemini's built-in tools as {camelCase, snake_case} names: how they may
 * appear in an OpenAI tools list, and how gemini_wire.c passes them on.
 */
#define LMX_GEMINI_BUILTIN_TOOLS 7
extern const char *const lmx_gemini_builtin_tools[LMX_GEMINI_BUILTIN_TOOLS][2];

/*
 * OpenAI embeddings body -> batchEmbedContents request ({"requests":[...]}, a
 * new object in *out) for model `o->model`. Returns 0, LMX_EBADREQ (input
 * missing or made of token ids), LMX_EBADPARAM, or LMX_ENOMEM.
 */
int lmx_gemini_embed_request(const struct lmx_gemini_opts *o,
                             const json_t *req,
                             json_t **out,
                             struct lmx_perr *err);

/*
 * batchEmbedContents answer -> a new OpenAI embeddings list in *out. `req` is
 * the OpenAI request (its input sizes give the usage when the answer has no
 * usageMetadata: about 4 characters a token). Returns 0, LMX_EUPSTREAM or
 * LMX_ENOMEM.
 */
int lmx_gemini_embed_response(const char *model,
                              const json_t *req,
                              const char *body,
                              size_t len,
                              json_t **out,
                              struct lmx_perr *err);

#endif
