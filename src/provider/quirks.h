/*
 * provider/quirks.h - how an OpenAI-compatible provider differs from OpenAI:
 * the header that carries its key, and the quirks of its answers that the
 * proxy smooths over before a client sees them.
 *
 * The facts are data: the `flags` word of each row of the preset table
 * (config/providers.c, one row per provider prefix). Bits 0-7 of that word
 * belong to config/ (LMX__PF_*); the auth style and quirk bits are defined
 * here. This file also holds the pure functions that apply a quirk fix to a
 * stream event or an answer; the proxy decides when to call them.
 */
#ifndef LMX_QUIRKS_H
#define LMX_QUIRKS_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "core/buf.h"

/* ------------------------------------------------------------------------ */
/* Auth style: bits 8-11 of a preset's flags (0 = the OpenAI default) */

#define LMX_AUTH_SHIFT         8
#define LMX_AUTH_MASK          (0xfu << LMX_AUTH_SHIFT)
#define LMX_AUTH_BEARER        (0u << LMX_AUTH_SHIFT) /* Authorization: Bearer <key> */
#define LMX_AUTH_API_KEY       (1u << LMX_AUTH_SHIFT) /* api-key: <key> (Azure style) */
#define LMX_AUTH_X_API_KEY     (2u << LMX_AUTH_SHIFT) /* x-api-key: <key> */
#define LMX_AUTH_TOKEN         (3u << LMX_AUTH_SHIFT) /* Authorization: Token <key> */
#define LMX_AUTH_KEY           (4u << LMX_AUTH_SHIFT) /* Authorization: Key <key> */
#define LMX_AUTH_RAW           (5u << LMX_AUTH_SHIFT) /* Authorization: <key> */
#define LMX_AUTH_APIKEY_SCHEME (6u << LMX_AUTH_SHIFT) /* Authorization: Api-Key <key> */

/* ------------------------------------------------------------------------ */
/* Quirks: bits 12-31. "fixed" = lmx_quirk_fix_* rewrites it for the client. */

/* delta.reasoning_content streams before delta.content (DeepSeek style). LiteLLM
   relays the field as is: nothing to fix. */
#define LMX_Q_REASONING_CONTENT (1u << 12)
/* the reasoning text comes as delta.reasoning / message.reasoning: fixed, renamed
   reasoning_content as LiteLLM does (OpenRouter, OVHcloud, CometAPI, Groq) */
#define LMX_Q_DELTA_REASONING (1u << 13)
/* stream usage sits inside choices[0] (Moonshot): fixed, lifted to the top level */
#define LMX_Q_USAGE_IN_CHOICE (1u << 14)
/* tool-call deltas after the first repeat "id":"" (Qwen): fixed, the empty id
   (and an empty function name) is dropped so clients keep the first one */
#define LMX_Q_EMPTY_TOOL_ID (1u << 15)
/* ": keep-alive" SSE comments, or blank lines before a non-stream body, under
   load (DeepSeek, OpenRouter): the SSE reader and the JSON check skip both */
#define LMX_Q_SSE_KEEPALIVE (1u << 16)
/* mid-stream {"error":{...}} events (OpenRouter, OVHcloud) */
#define LMX_Q_ERROR_CHUNKS (1u << 17)
/* <think>...</think> inside content (Perplexity, MiniMax): relayed as is */
#define LMX_Q_THINK_TAGS (1u << 18)
/* chunks without choices (usage only or empty) appear mid-stream: relayed */
#define LMX_Q_NO_CHOICE_CHUNKS (1u << 19)
/* usage of a stream comes in x_groq.usage of the last chunk: fixed, copied to
   the top level when that has none */
#define LMX_Q_XGROQ_USAGE (1u << 20)
/* text-only content lists must be sent as one string */
#define LMX_Q_FLATTEN_CONTENT (1u << 21)
/* only max_tokens is accepted (max_completion_tokens must be renamed) */
#define LMX_Q_MAX_TOKENS_ONLY (1u << 22)
/* stream_options is refused */
#define LMX_Q_NO_STREAM_OPTIONS (1u << 23)
/* the key also goes in an `api-subscription-key` header (Sarvam) */
#define LMX_Q_SUBSCRIPTION_KEY (1u << 24)
/* usage reports prompt_cache_hit_tokens / prompt_cache_miss_tokens (DeepSeek) */
#define LMX_Q_CACHE_HIT_TOKENS (1u << 25)
/* no tools; strict user/assistant alternation (Perplexity) */
#define LMX_Q_NO_TOOLS (1u << 26)
/* request side, fixed by lmx_quirk_fix_request (Mistral): tool-call ids must be 9
   alphanumerics (others are mapped to 9, the same id always to the same 9);
   tool_choice "required" or an object becomes "any"; seed becomes random_seed;
   `name` goes except on tool messages, null fields of messages go (422
   otherwise), and so do empty assistant turns */
#define LMX_Q_MISTRAL_REQUEST (1u << 27)

/* The quirks lmx_quirk_fix_event / lmx_quirk_fix_chunk act on. */
#define LMX_Q_FIXED \
    (LMX_Q_DELTA_REASONING | LMX_Q_USAGE_IN_CHOICE | LMX_Q_EMPTY_TOOL_ID | LMX_Q_XGROQ_USAGE)
/* The quirks lmx_quirk_fix_request acts on (the request body, before it is sent). */
#define LMX_Q_REQUEST_FIXED (LMX_Q_MISTRAL_REQUEST)

/* ------------------------------------------------------------------------ */
/* Lookups (defined in config/providers.c, next to the table) */

/* The flags word of provider prefix `name`, or 0 (Bearer, no quirks) when it is no preset. */
unsigned lmx_preset_flags(const char *name);
/*
 * The flags word of the preset whose default (or documented alternative)
 * base URL has the same host as `api_base`, or 0. For a generic prefix
 * (openai/, custom_openai/, openai_like/) pointed at a known provider.
 */
unsigned lmx_preset_flags_by_base(const char *api_base);

/*
 * The flags a deployment is called with: its provider's row; for a generic
 * prefix, the row of the provider its api_base points at. 0 for NULL.
 */
unsigned lmx_quirks_for(const struct lmx_deployment *d);

/* ------------------------------------------------------------------------ */
/* Fixes (pure functions) */

/*
 * Applies the fixed quirks in `flags` to one parsed chunk (chat.completion.chunk)
 * or answer (chat.completion), in place. Returns how many edits were made
 * (0 = unchanged), or LMX_ENOMEM (the object may then be partly edited).
 */
int lmx_quirk_fix_chunk(unsigned flags, json_t *chunk);

/*
 * The same on the JSON text of one stream event or answer, for the fast path.
 * A cheap byte scan first: an event that cannot need a fix is not parsed.
 * Returns 1 with the rewritten text in `out` (reset first), 0 when the text
 * is to be relayed unchanged (also when it is not valid JSON: the caller's
 * own check decides about that), or LMX_ENOMEM / LMX_ETOOBIG.
 */
int lmx_quirk_fix_event(unsigned flags, const char *data, size_t len, struct lmx_buf *out);

/*
 * Applies the request-side quirks in `flags` to a parsed request body (chat
 * or completions, OpenAI format), in place. Returns how many edits were made
 * (0 = unchanged), or LMX_ENOMEM.
 */
int lmx_quirk_fix_request_json(unsigned flags, json_t *body);

/*
 * The same on the JSON text of a request body about to be sent on the fast
 * path: `body` is rewritten when a fix applies. A cheap byte scan first: a
 * body that cannot need a fix is not parsed. Returns 1 when rewritten, 0 when
 * unchanged (also when it is not a JSON object), or LMX_ENOMEM / LMX_ETOOBIG
 * (body then unchanged).
 */
int lmx_quirk_fix_request(unsigned flags, struct lmx_buf *body);

/*
 * The credential header lines for `key` under the auth style in `flags`
 * (plus `api-subscription-key` with LMX_Q_SUBSCRIPTION_KEY): up to `max`
 * lines "Name: value", each NUL-terminated, written into `store`. Returns how
 * many lines (0 when key is NULL or empty), or LMX_ETOOBIG when they do not fit.
 */
int lmx_quirk_auth_lines(
    unsigned flags, const char *key, const char **lines, size_t max, char *store, size_t store_len);

#endif
