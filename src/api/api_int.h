/*
 * api/api_int.h - helpers shared by the endpoint files of api/ only.
 */
#ifndef LMX_API_INT_H
#define LMX_API_INT_H

#include <jansson.h>

#include "api/api.h"
#include "core/buf.h"
#include "provider/provider.h"

/* Response headers built for one answer; values live in `store`. */
struct lmx_hdrset {
    struct lmx_http_hdr h[24];
    size_t n;
    char store[2048];
    size_t used;
};

void lmx__hdrset_init(struct lmx_hdrset *hs);
/* Adds a header (value copied); silently skipped when the set is full. */
void lmx__hdrset_add(struct lmx_hdrset *hs, const char *name, const char *fmt, ...)
    LMX_PRINTF(3, 4);

/*
 * Sends {"error":{"message","type","param","code"}} with `status`, code being
 * the status as a string. `param` may be NULL (JSON null). Extra headers may be
 * NULL. Ends the request.
 */
void lmx__send_error(struct lmx_http_req *req, struct lmx_hdrset *hs, int status,
                     const char *type, const char *param, const char *fmt, ...) LMX_PRINTF(6, 7);
/*
 * Writes an error body in a client dialect's own shape (Anthropic, Gemini,
 * ...): the dialect ops' error_body. NULL means the OpenAI envelope.
 */
typedef void (*lmx_errbody_fn)(int status, const char *type, const char *message,
                               struct lmx_buf *out);
/* lmx__send_error with the body shaped by body_fn (NULL: OpenAI's). */
void lmx__send_error_as(struct lmx_http_req *req, struct lmx_hdrset *hs, lmx_errbody_fn body_fn,
                        int status, const char *type, const char *param, const char *fmt, ...)
    LMX_PRINTF(7, 8);
/* Sends an error for an LMX_E* code with a message. */
void lmx__send_err_code(struct lmx_http_req *req, struct lmx_hdrset *hs, int err,
                        const char *fmt, ...) LMX_PRINTF(4, 5);
/* Sends a JSON value (stolen) with status 200 and ends the request. */
void lmx__send_json(struct lmx_http_req *req, struct lmx_hdrset *hs, int status, json_t *v);

/*
 * Checks the master key. Returns 0 when the caller may go on; otherwise has
 * already sent the 401 and returns LMX_EAUTH.
 */
int lmx__auth_check(struct lmx_http_req *req, const struct lmx_config *cfg);
/* The same, with errors shaped by body_fn; query_key also accepts ?key= (Gemini clients). */
int lmx__auth_check_as(struct lmx_http_req *req, const struct lmx_config *cfg,
                       lmx_errbody_fn body_fn, bool query_key);

/* Endpoints */
/* enum lmx_endpoint comes from provider/provider.h */

void lmx__proxy_start(struct lmx_api_worker *w, struct lmx_http_req *req, enum lmx_endpoint ep,
                      const char *path_model);
struct lmx_dialect_ops;
/*
 * A chat call from a client of another dialect (dialect/dialect.h): the body
 * is converted to the canonical chat request, answered by any provider, and
 * the answer converted back. path_model / path_stream come from the path
 * (Gemini's /v1beta/models/{model}:streamGenerateContent), else NULL / false.
 */
void lmx__proxy_dialect(struct lmx_api_worker *w, struct lmx_http_req *req,
                        const struct lmx_dialect_ops *d, const char *path_model, bool path_stream);
/* count_tokens / countTokens: llmux's estimate (dialect/count.c) in the dialect's shape. */
void lmx__count_tokens(struct lmx_api_worker *w, struct lmx_http_req *req,
                       const struct lmx_dialect_ops *d, const char *path_model);
void lmx__ops_models(struct lmx_api_worker *w, struct lmx_http_req *req);
void lmx__ops_liveness(struct lmx_http_req *req);
void lmx__ops_readiness(struct lmx_api_worker *w, struct lmx_http_req *req);
void lmx__ops_health(struct lmx_api_worker *w, struct lmx_http_req *req);
void lmx__ops_routes(struct lmx_http_req *req);

#endif
