/*
 * route/retry.h - what a failed attempt means: its error class, whether and
 * when to retry, whether the deployment cools down, and which fallback
 * groups apply. Pure decisions over the config and the run-time state; the
 * caller (api/proxy.c) acts on them.
 */
#ifndef LMX_ROUTE_RETRY_H
#define LMX_ROUTE_RETRY_H

#include <stddef.h>

#include <jansson.h>

#include "route/settings.h"
#include "route/state.h"

/*
 * The class of a failure: `err` is an LMX_E* code of a transport failure (0
 * when the upstream answered), `status` its HTTP status, `body` the error
 * body (may be NULL) to tell context-window and content-policy errors apart.
 */
enum lmx_errclass lmx_route_classify(int err, long status, const char *body, size_t len);

/* The LiteLLM exception class name of a class ("RateLimitError", ...). */
const char *lmx_route_class_name(enum lmx_errclass cls);

/*
 * Retries the class allows: retry_policy when it names the class, else
 * `num_retries` for the transient classes (timeout, rate limit, server,
 * connection), else 0.
 */
int lmx_route_retries_for(const struct lmx_router_cfg *rc, enum lmx_errclass cls,
                          int num_retries);

/*
 * Decides whether the failed deployment cools down, and starts the cooldown
 * (published to the fleet). Its failure must already be counted
 * (lmx_dstate_end). Returns true when it started one.
 */
bool lmx_route_maybe_cool(const struct lmx_router_cfg *rc, const struct lmx_deployment *d,
                          size_t group_size, enum lmx_errclass cls, long status,
                          uint64_t now_ms);

/*
 * Seconds to wait before retry number `k` (0-based) when no other deployment
 * is free: the upstream's retry-after (capped at 60 s), the retry_after
 * setting, and exponential backoff with jitter (0.5 s · 2^k ± 25%, at most
 * 8 s), whichever is longest.
 */
double lmx_route_backoff(const struct lmx_router_cfg *rc, int k, double retry_after_hdr);

/*
 * The fallback groups for a failure of class `cls` in `group`: the request's
 * own list when given, else the configured list for the class, else
 * default_fallbacks (for the classes that fall back). A borrowed JSON array
 * of group names or {"model": name, ...} objects, or NULL.
 */
json_t *lmx_route_fallbacks(const struct lmx_router_cfg *rc, const char *group,
                            enum lmx_errclass cls, json_t *request_fallbacks);

#endif
