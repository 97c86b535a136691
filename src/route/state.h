/*
 * route/state.h - what the router knows about each deployment at run time.
 *
 * The config snapshot is immutable; what changes per request (in-flight
 * count, this minute's usage and failures, latency, cooldown) lives here, in
 * one struct lmx_dstate per deployment id, shared by every worker thread and
 * kept across config reloads (a deployment keeps its id, so it keeps its
 * state). Every field is an atomic written with relaxed stores: a router
 * decision tolerates a count that is a few requests stale.
 *
 * The fleet view: with Redis configured (route/shared.c), each instance
 * publishes its own usage and cooldowns and reads the fleet's, so rpm/tpm
 * limits and cooldowns hold across instances.
 */
#ifndef LMX_ROUTE_STATE_H
#define LMX_ROUTE_STATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/lmx.h"

/* Error classes (LiteLLM's exception classes), for retry_policy and allowed_fails_policy. */
enum lmx_errclass {
    LMX_EC_NONE = -1,
    LMX_EC_BADREQ,         /* BadRequestError: 400, 422, and other 4xx not below */
    LMX_EC_AUTH,           /* AuthenticationError: 401, 403 */
    LMX_EC_NOTFOUND,       /* NotFoundError: 404 */
    LMX_EC_TIMEOUT,        /* Timeout: 408, our timeouts */
    LMX_EC_RATELIMIT,      /* RateLimitError: 429 */
    LMX_EC_CONTENT_POLICY, /* ContentPolicyViolationError */
    LMX_EC_CONTEXT_WINDOW, /* ContextWindowExceededError */
    LMX_EC_SERVER,         /* InternalServerError / APIError: 5xx, 409, broken answers */
    LMX_EC_CONNECT,        /* APIConnectionError: could not connect, connection lost */
    LMX_EC_N
};


struct lmx_dstate {
    char *id;
    struct lmx_dstate *next; /* registry chain */

    atomic_uint in_flight;

    /* this minute's counters (minute = wall-clock seconds / 60) */
    atomic_uint_fast64_t minute;
    atomic_uint rpm_used;
    atomic_uint_fast64_t tpm_used;
    atomic_uint calls;
    atomic_uint fails;
    atomic_uint class_fails[LMX_EC_N];

    /* the fleet's usage this minute as last read from Redis, and how much of
     * our own local usage that read already included */
    atomic_uint_fast64_t fleet_minute;
    atomic_uint fleet_rpm, pushed_rpm;
    atomic_uint_fast64_t fleet_tpm, pushed_tpm;

    /* cooldown: wall-clock milliseconds until which the deployment is skipped */
    atomic_uint_fast64_t cooldown_until_ms;
    atomic_int cooldown_status; /* the HTTP status (or 0) that caused it */

    /* latency: an exponentially weighted mean (microseconds) and when the last
     * sample came; older than the strategy's ttl counts as no sample */
    atomic_uint_fast64_t lat_ewma_us;
    atomic_uint_fast64_t lat_at_ms;

    /* health check: 1 healthy, 0 unknown, -1 unhealthy */
    atomic_int health;

    /* smooth weighted round-robin credit (route/router.c) */
    atomic_int_fast64_t swrr_credit;
};

/* Wall clock in milliseconds. */
uint64_t lmx_wall_ms(void);

/*
 * The state of deployment `id`, created on first use. Thread-safe. Returns
 * NULL only when out of memory. States live until lmx_dstate_registry_free.
 */
struct lmx_dstate *lmx_dstate_get(const char *id);
/* The state of deployment `id` when one exists, else NULL (never creates). Thread-safe. */
struct lmx_dstate *lmx_dstate_find(const char *id);
/* Calls fn for every state (the shared-state thread walks them). Thread-safe; fn runs
 * under the registry lock, so it must not call lmx_dstate_get or lmx_dstate_find. */
void lmx_dstate_foreach(void (*fn)(struct lmx_dstate *st, void *ud), void *ud);
/* Frees every state; only at exit, when no thread uses them. */
void lmx_dstate_registry_free(void);

/* Rolls the minute counters forward when the minute changed (any thread may do it). */
void lmx_dstate_roll(struct lmx_dstate *st, uint64_t now_ms);

/* A call starts / ends. tokens = total tokens of a successful call (0 when unknown). */
void lmx_dstate_begin(struct lmx_dstate *st, uint64_t now_ms);
void lmx_dstate_end(struct lmx_dstate *st, uint64_t now_ms, bool ok, enum lmx_errclass cls,
                    uint64_t latency_us, uint64_t tokens);

/* Usage this minute, the fleet's when known (local usage since the last sync added). */
uint64_t lmx_dstate_rpm(struct lmx_dstate *st, uint64_t now_ms);
uint64_t lmx_dstate_tpm(struct lmx_dstate *st, uint64_t now_ms);

/* The latency mean, or 0 when the last sample is older than ttl_ms (or none came). */
uint64_t lmx_dstate_latency_us(struct lmx_dstate *st, uint64_t now_ms, uint64_t ttl_ms);

/* Cooldown. */
bool lmx_dstate_cooling(const struct lmx_dstate *st, uint64_t now_ms);
/* Starts or extends a cooldown until `until_ms`; `publish` tells the fleet (Redis) too. */
void lmx_dstate_cool_until(struct lmx_dstate *st, uint64_t until_ms, int status, bool publish);
void lmx_dstate_uncool(struct lmx_dstate *st);

/*
 * The fleet hook, set by route/shared.c when Redis is configured: called on
 * the thread that starts a cooldown (it must not block: queue and return).
 */
struct lmx_shared_hooks {
    void (*cooldown)(const char *id, uint64_t until_ms, int status);
};
void lmx_dstate_set_hooks(const struct lmx_shared_hooks *h);

#endif
