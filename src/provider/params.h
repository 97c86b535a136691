/*
 * provider/params.h - what every adapter and the proxy agree on about request
 * parameters, and the small helpers adapters share.
 *
 * One list of the body keys the proxy consumes (never sent upstream), one of
 * the litellm_params keys that configure LiteLLM itself (never defaults of a
 * call), so the OpenAI fast path and every translating adapter drop and merge
 * the same keys.
 */
#ifndef LMX_PROVIDER_PARAMS_H
#define LMX_PROVIDER_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/lmx.h"
#include "provider/provider.h"

/* A body key the proxy consumes (metadata, fallbacks, mock_*, litellm_*, ...). */
bool lmx_param_internal(const char *k);
/* A litellm_params key that is routing, credentials or prices, never a call default. */
bool lmx_param_not_default(const char *k);
/* k is one of list[0..n). */
bool lmx_param_in(const char *k, const char *const *list, size_t n);

/* Fills an adapter error. */
void lmx_perr_set(struct lmx_perr *e, int status, const char *type, const char *param,
                  const char *fmt, ...) LMX_PRINTF(5, 6);

/*
 * An OpenAI parameter the provider has no equivalent for: returns 0 when the
 * call drops unsupported parameters, else LMX_EBADPARAM with *err saying so.
 */
int lmx_param_unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k,
                          const char *provider_name);

/* Appends the compact JSON text of o to b (15 significant digits for reals). */
int lmx_json_append(const json_t *o, struct lmx_buf *b);
/* Sets o[k] = v (stolen); returns 0 or LMX_ENOMEM. */
int lmx_json_put(json_t *o, const char *k, json_t *v);
/* An integer or real value as a whole number; 0 for anything else. */
long long lmx_json_int(const json_t *v);

/*
 * The call's parameters: the client's body, plus the deployment's
 * litellm_params as defaults (LiteLLM passes them as call arguments), minus
 * additional_drop_params. A new reference, or NULL when out of memory.
 */
json_t *lmx_param_call(const struct lmx_pcall *pc);

#endif
