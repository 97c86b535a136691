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
/* The deployment's litellm_params.additional_drop_params names k. */
bool lmx_param_dropped(const struct lmx_deployment *d, const char *k);
/* k is one of list[0..n). */
bool lmx_param_in(const char *k, const char *const *list, size_t n);

/* Fills an adapter error. */
void lmx_perr_set(struct lmx_perr *e, int status, const char *type, const char *param,
                  const char *fmt, ...) LMX_PRINTF(5, 6);
/*
 * A request that cannot be served as written: 400 invalid_request_error naming
 * `param` (the top-level field; NULL: none). Returns LMX_EBADREQ; e may be NULL.
 */
int lmx_perr_bad(struct lmx_perr *e, const char *param, const char *fmt, ...) LMX_PRINTF(3, 4);
/* Fills an adapter error (no param) and returns rc, for `return lmx_perr_fail(err, rc, ...)`. */
int lmx_perr_fail(struct lmx_perr *e, int rc, int status, const char *type, const char *fmt, ...)
    LMX_PRINTF(5, 6);

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
/* a and b are both strings and equal. */
bool lmx_streq(const char *a, const char *b);
/* v is there and not JSON null. */
bool lmx_json_present(const json_t *v);
/*
 * json_object_set_new / json_array_append_new (v stolen) that set *bad on a
 * failure (NULL v, no memory), so a builder checks once at the end.
 */
void lmx_json_put_flag(json_t *o, const char *k, json_t *v, bool *bad);
void lmx_json_push_flag(json_t *a, json_t *v, bool *bad);
/* The text of an OpenAI content value: a string, or its text parts joined, appended to b. */
int lmx_content_text(const json_t *c, struct lmx_buf *b);
/* o[k] when it is a non-empty string, else NULL. */
const char *lmx_json_str(const json_t *o, const char *k);
/* An integer or real value as a whole number; 0 for anything else. */
long long lmx_json_int(const json_t *v);

/*
 * Reading a small JSON object (a stream event) without a parse.
 *
 * lmx_jfast_check accepts text only when json_loadb(text, n, 0) would parse it
 * and give the same values the readers below report: one object, strictly
 * valid (UTF-8, escapes, numbers), keys without escapes, integers of at most
 * 18 digits, short reals, nesting up to 32 levels. Anything else is declined
 * and the caller parses in full, so a fast path never changes an answer.
 * The readers take value spans ([v, v + vn)) inside checked text.
 */
enum lmx_jkind {
    LMX_JK_NONE, /* no such member */
    LMX_JK_STRING,
    LMX_JK_OBJECT,
    LMX_JK_ARRAY,
    LMX_JK_TRUE,
    LMX_JK_FALSE,
    LMX_JK_NULL,
    LMX_JK_INT,
    LMX_JK_REAL,
};

/* Returns 0 when text[0..n) is such an object, LMX_DECLINED otherwise. */
int lmx_jfast_check(const char *text, size_t n);
/*
 * The value of member `key` of the object span o (white space may lead, so
 * the checked text itself is one); the last one when the key repeats, as
 * jansson keeps it. Returns its kind (LMX_JK_NONE: absent or o not an
 * object, and then *v = NULL, *vn = 0).
 */
enum lmx_jkind lmx_jfast_get(const char *o, size_t on, const char *key, const char **v,
                             size_t *vn);
/* A value span; v NULL when absent. */
struct lmx_jval {
    const char *v;
    size_t n;
};

/* lmx_jfast_get of several keys in one walk: out[i] is the value of keys[i]. */
void lmx_jfast_getv(const char *o, size_t on, const char *const *keys, size_t nkeys,
                    struct lmx_jval *out);
/*
 * Does anyone besides the stream hold a reused chunk envelope
 * {..., "choices":[choice]}: the envelope, its choices or its first choice?
 * Checked after each callback; a held envelope must not be changed again,
 * so the stream drops it and builds the next chunk in a new one.
 */
bool lmx_chunk_env_held(const json_t *env);
/* The kind of a value span (LMX_JK_NONE for NULL). */
enum lmx_jkind lmx_jfast_kind(const char *v, size_t vn);
/* The value of an LMX_JK_INT span (0 for any other). */
long long lmx_jfast_int(const char *v, size_t vn);
/*
 * Empties b and fills it with the decoded LMX_JK_STRING span v, NUL-terminated
 * (b->data is never NULL after success). Returns 0 or a buffer error.
 */
int lmx_jfast_str(const char *v, size_t vn, struct lmx_buf *b);
/*
 * The next element of the array span a: *pos is 0 before the first call.
 * Returns true and fills *v, *vn; false after the last.
 */
bool lmx_jfast_next(const char *a, size_t an, size_t *pos, const char **v, size_t *vn);

/*
 * The call's parameters: the client's body, plus the deployment's
 * litellm_params as defaults (LiteLLM passes them as call arguments), minus
 * additional_drop_params. A new reference, or NULL when out of memory.
 */
json_t *lmx_param_call(const struct lmx_pcall *pc);

#endif
