/*
 * provider/token.h - a process-wide cache of bearer tokens that adapters
 * fetch before a call (Vertex AI's OAuth2 service-account tokens, IBM
 * watsonx's IAM tokens).
 *
 * A token is kept under a key that names the credential (lmx_token_key: the
 * hex SHA-256 of the parts that identify it, e.g. client_email, key id and
 * scope, or the IAM URL and API key) with its expiry time. lmx_token_get
 * hands it out until LMX_TOKEN_MARGIN seconds before it expires; after that
 * the caller fetches a new one and stores it with lmx_token_put.
 *
 * Thread safety: every function may be called from any worker thread; one
 * mutex guards the table and is never held during I/O. Refreshes are not
 * coalesced: calls that miss the cache while another call's refresh is in
 * flight each fetch a token, and the last one stored wins. That costs a few
 * extra token requests when a token expires under load, never a wrong token.
 */
#ifndef LMX_PROVIDER_TOKEN_H
#define LMX_PROVIDER_TOKEN_H

#include <stddef.h>

#include "core/buf.h"
#include "core/lmx.h"
#include "provider/provider.h"

#define LMX_TOKEN_MARGIN 300.0 /* seconds before expiry a token stops being handed out */
#define LMX_TOKEN_KEY_LEN 64   /* hex SHA-256, without the NUL */
#define LMX_TOKEN_MAX    16384 /* bytes of one token, NUL included */

/*
 * The cache key of a credential: hex SHA-256 of the n parts, each followed by
 * a NUL byte (so {"ab","c"} and {"a","bc"} differ). NULL parts count as "".
 */
void lmx_token_key(const char *const *parts, size_t n, char out[LMX_TOKEN_KEY_LEN + 1]);

/*
 * Copies the token cached under key into out (cap bytes) when it is valid
 * for more than LMX_TOKEN_MARGIN seconds after `now` (seconds since the
 * epoch, lmx_wall_s()). Returns true when out was filled; false when there
 * is no such token or it does not fit.
 */
bool lmx_token_get(const char *key, double now, char *out, size_t cap);

/*
 * Stores token under key, valid until expires_at (seconds since the epoch),
 * replacing what was there. Returns 0, LMX_EBADREQ for an empty or too long
 * token, or LMX_ENOMEM.
 */
int lmx_token_put(const char *key, const char *token, double expires_at);

/* Drops the token cached under key (the endpoint refused it); no-op when none. */
void lmx_token_forget(const char *key);

/* Drops every token (tests, shutdown). */
void lmx_token_clear(void);

/*
 * A token endpoint's 2xx JSON answer ({"access_token", "expires_in"} and,
 * from IBM IAM, "expiration" in epoch seconds) -> the token stored under key
 * and copied into out (cap bytes). A missing expires_in / expiration counts
 * as one hour. Returns 0, or LMX_EUPSTREAM with *why set to a static
 * explanation when the answer has no access_token (or it does not fit).
 */
int lmx_token_accept(const char *key, const char *body, size_t len, double now, char *out,
                     size_t cap, const char **why);

/*
 * The token cached under key, valid as for lmx_token_get, as a new
 * lmx_malloc'd string in *token (the old one freed). Returns 1 when found, 0
 * when not (*token untouched), LMX_ENOMEM.
 */
int lmx_token_take(const char *key, char **token);

/*
 * Starts a token request: POST to url with a form-encoded body (the caller
 * appends the fields to tok->body) and a JSON answer asked for. Returns 0 or
 * LMX_ENOMEM.
 */
int lmx_token_request(struct lmx_upreq *tok, const char *url);

/* Appends s form-urlencoded (application/x-www-form-urlencoded). Returns 0 or LMX_ENOMEM. */
int lmx_token_form_escape(struct lmx_buf *b, const char *s);

/*
 * How an adapter words what its token endpoint answered. Messages are
 *   400/401/403     "<refused> (status N): <reason>"            401 auth_error
 *   other non-2xx   "<answered> status N<about>: <reason>"      429 or 503
 *   2xx, no token   "<bad_answer><why><bad_about>"              503
 * where <reason> is the first non-empty string at one of the `reasons` paths
 * of the error body (dot-separated keys; a number indexes an array, e.g.
 * "errors.0.message"), else "no reason given".
 */
struct lmx_token_words {
    const char *const *reasons; /* NULL-terminated */
    const char *refused;
    const char *answered;
    const char *about;
    const char *bad_answer;
    const char *bad_about;
};

/*
 * The token step's answer: a 2xx one is accepted (lmx_token_accept under
 * key) into *token (a new lmx_malloc'd string, the old one freed); any other
 * fills *err as `w` says. Returns 0, LMX_EAUTH or LMX_EUPSTREAM with *err
 * filled, or LMX_ENOMEM with *err left to the caller (its own wording).
 */
int lmx_token_answer(const char *key, long status, const char *body, size_t len,
                     const struct lmx_token_words *w, char **token, struct lmx_perr *err);

#endif
