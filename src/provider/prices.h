/*
 * provider/prices.h - prices and context windows of models, and the cost of
 * a call (COMPAT.md §9).
 *
 * The price map has LiteLLM's model_prices_and_context_window.json shape:
 * one entry per model key with `litellm_provider`, `mode`, the context window
 * and the per-token rates. A built-in table (prices.c) holds the major models
 * of every native family and of the main presets; a file in the same format
 * extends or overrides it (lmx_prices_load_file). A deployment may override
 * any rate in its litellm_params or model_info.
 *
 * Thread safety: lookups may run on any thread at any time. Loading a file
 * publishes a new table atomically; rows handed out earlier stay valid until
 * lmx_prices_reset() (process exit, tests).
 */
#ifndef LMX_PRICES_H
#define LMX_PRICES_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "core/lmx.h"

/*
 * Bits of `has`: a rate that is present. In the built-in table a nonzero rate
 * is present by itself and only an explicit 0 needs its bit; rates read from
 * JSON always set it. Absent and present-as-0 differ where a rate falls back
 * to another (reasoning -> output, above-N -> base, ...).
 */
#define LMX_PH_INPUT          (1u << 0)
#define LMX_PH_OUTPUT         (1u << 1)
#define LMX_PH_CACHE_READ     (1u << 2)
#define LMX_PH_CACHE_WRITE    (1u << 3)
#define LMX_PH_CACHE_WRITE_1H (1u << 4)
#define LMX_PH_REASONING      (1u << 5)
#define LMX_PH_AUDIO_IN       (1u << 6)
#define LMX_PH_AUDIO_OUT      (1u << 7)
#define LMX_PH_IMAGE_IN       (1u << 8)
#define LMX_PH_IMAGE_OUT      (1u << 9)
#define LMX_PH_INPUT_SECOND   (1u << 10)
#define LMX_PH_OUTPUT_SECOND  (1u << 11)
#define LMX_PH_QUERY          (1u << 12)
#define LMX_PH_OUTPUT_IMAGE   (1u << 13)
#define LMX_PH_INPUT_CHAR     (1u << 14)

/* Bits of `supports`: the supports_* flags that are true. */
#define LMX_SUP_FUNCTION_CALLING          (1u << 0)
#define LMX_SUP_PARALLEL_FUNCTION_CALLING (1u << 1)
#define LMX_SUP_TOOL_CHOICE               (1u << 2)
#define LMX_SUP_VISION                    (1u << 3)
#define LMX_SUP_PROMPT_CACHING            (1u << 4)
#define LMX_SUP_REASONING                 (1u << 5)
#define LMX_SUP_RESPONSE_SCHEMA           (1u << 6)
#define LMX_SUP_SYSTEM_MESSAGES           (1u << 7)
#define LMX_SUP_AUDIO_INPUT               (1u << 8)
#define LMX_SUP_AUDIO_OUTPUT              (1u << 9)
#define LMX_SUP_PDF_INPUT                 (1u << 10)
#define LMX_SUP_WEB_SEARCH                (1u << 11)
#define LMX_SUP_COMPUTER_USE              (1u << 12)
#define LMX_SUP_ASSISTANT_PREFILL         (1u << 13)
#define LMX_SUP_NATIVE_STREAMING          (1u << 14)
#define LMX_SUP_EMBEDDING_IMAGE_INPUT     (1u << 15)
#define LMX_SUP_VIDEO_INPUT               (1u << 16)
#define LMX_SUP_COUNT                     17

#define LMX_PRICE_TIERS 4

/*
 * Rates that apply to the whole request once its prompt passes `above` tokens
 * (LiteLLM's `*_above_<N>_tokens` fields, or a `tiered_pricing` range). A rate
 * that is absent (0 and its LMX_PH_ bit clear) keeps the base rate.
 */
struct lmx_price_tier {
    long above; /* 0 = unused slot */
    double input_cost_per_token;
    double output_cost_per_token;
    double cache_read_input_token_cost;
    double cache_creation_input_token_cost;
    double cache_creation_input_token_cost_above_1hr;
    unsigned has; /* LMX_PH_INPUT .. LMX_PH_CACHE_WRITE_1H */
};

/* One entry of the price map; field names are LiteLLM's. Rates are USD. */
struct lmx_price {
    const char *key;                                      /* the model key in the map */
    const char *litellm_provider;                         /* NULL when unknown */
    const char *mode;                                     /* "chat", "embedding", ... or NULL */
    long max_tokens, max_input_tokens, max_output_tokens; /* 0 = unknown */
    double input_cost_per_token;
    double output_cost_per_token;
    double cache_read_input_token_cost;
    double cache_creation_input_token_cost;           /* 5-minute cache writes */
    double cache_creation_input_token_cost_above_1hr; /* 1-hour cache writes */
    double output_cost_per_reasoning_token;
    double input_cost_per_audio_token;
    double output_cost_per_audio_token;
    double input_cost_per_image_token;
    double output_cost_per_image_token;
    double input_cost_per_second, output_cost_per_second; /* T2 */
    double input_cost_per_query;                          /* rerank (T2) */
    double output_cost_per_image;                         /* image generation (T2) */
    double input_cost_per_character;                      /* speech (T2) */
    unsigned has;                                         /* LMX_PH_* */
    unsigned supports;                                    /* LMX_SUP_* */
    struct lmx_price_tier tiers[LMX_PRICE_TIERS];         /* ascending `above` */
};

/* ------------------------------------------------------------------------ */
/* The map */

/*
 * Reads a file in LiteLLM's format and merges it over the current map: an
 * entry with a known key changes only the fields it has, a new key adds a row.
 * `sample_spec` and entries that are not objects are skipped. Returns 0;
 * LMX_EIO when the file cannot be read; LMX_EBADJSON when it is not one JSON
 * object (with the reason in the log); LMX_ENOMEM. On failure the map is
 * unchanged. Loading the same unchanged file again is a no-op.
 */
int lmx_prices_load_file(const char *path);

/*
 * The map a config asks for: `llmux_settings.model_cost_map` (a file path),
 * else the environment as LiteLLM reads it: LITELLM_MODEL_COST_MAP_URL when it
 * is a local file (a path or file://); an http(s) URL is not fetched (one
 * info line; the built-in map is used), nor anything when
 * LITELLM_LOCAL_MODEL_COST_MAP is True. Returns what lmx_prices_load_file
 * returns, or 0 when nothing is to be loaded.
 */
int lmx_prices_configure(const struct lmx_config *cfg);

/* Drops every loaded file and frees them: the built-in map only. Not while lookups run. */
void lmx_prices_reset(void);

/* The row of exactly `key`, or NULL. Borrowed (see the thread-safety note). */
const struct lmx_price *lmx_prices_get(const char *key);

/*
 * The row for `model` of `provider` (either may be NULL): the key
 * "<provider>/<model>", then `model` itself (or its last path segment) whose
 * litellm_provider is the provider's family (vertex_ai matches
 * vertex_ai-language-models, bedrock matches bedrock_converse, ...). NULL when
 * none.
 */
const struct lmx_price *lmx_prices_find(const char *provider, const char *model);

/*
 * The prices a deployment is billed at, lookup order of COMPAT §9.1: the row
 * of model_info.base_model (or litellm_params.base_model), else of
 * provider/model, else model with a matching provider; then every rate, limit
 * or supports_* flag set in model_info, then in litellm_params, overrides it.
 * `model` is the upstream model actually called (a wildcard deployment's
 * resolved name), or NULL for d->upstream_model. Fills *out (strings borrowed
 * from the map or from d) and returns 0, or LMX_DECLINED when neither a row
 * nor a deployment rate exists (*out then has only key and provider).
 */
int lmx_prices_for(const struct lmx_deployment *d, const char *model, struct lmx_price *out);

/*
 * Calls fn once per row whose litellm_provider is `provider`'s family, with
 * the name clients use after "<provider>/" (the key without that prefix). For
 * listing the models of a provider wildcard group ("groq/" + "*") as LiteLLM's /v1/models
 * does.
 */
void lmx_prices_each_model(const char *provider, void (*fn)(const char *model, void *ud), void *ud);

/* ------------------------------------------------------------------------ */
/* Cost */

/*
 * The USD cost of one call with `usage` (OpenAI's usage object, or
 * Anthropic's: input_tokens, output_tokens, cache_*_input_tokens) at prices
 * `p`, exactly as COMPAT §9.2: cached, cache-creation (5 minute / 1 hour),
 * reasoning, audio and image token rates, and above-N-tokens rates that apply
 * to the whole request. `provider` "xai" makes the tier threshold inclusive.
 * Returns 0 for a NULL usage; never fails.
 */
double lmx_cost(const struct lmx_price *p, const json_t *usage);

/*
 * The cost of a call to deployment `d` that returned `usage`: lmx_prices_for
 * then lmx_cost. Returns 0 with *out set; LMX_DECLINED with *out = 0 when no
 * price is known for the model (logged once per model, as LiteLLM warns), or
 * when usage is not an object.
 */
int lmx_prices_call_cost(const struct lmx_deployment *d, const json_t *usage, double *out);
/* The same for a call whose upstream model was `model` (a wildcard deployment). */
int lmx_prices_call_cost_model(const struct lmx_deployment *d,
                               const char *model,
                               const json_t *usage,
                               double *out);

/*
 * Formats a cost as Python's repr(float) does (LiteLLM writes str(cost) into
 * x-litellm-response-cost): "0.0228", "1.5225", "2.5e-05", "0.0". Returns
 * the length written (buf is always NUL-terminated when n > 0).
 */
size_t lmx_cost_format(double cost, char *buf, size_t n);

/*
 * A row as LiteLLM's model_info fields (new reference): key, litellm_provider,
 * mode, max_tokens, max_input_tokens, max_output_tokens, input_cost_per_token,
 * output_cost_per_token (null when unknown), the other rates present, the
 * above-N rates, and every supports_* flag as true/false. NULL when out of
 * memory.
 */
json_t *lmx_price_to_json(const struct lmx_price *p);

#endif
