/*
 * route/settings.h - router_settings (and the litellm_settings keys they
 * override) in the form the router uses, built once per config snapshot.
 */
#ifndef LMX_ROUTE_SETTINGS_H
#define LMX_ROUTE_SETTINGS_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"
#include "route/state.h"

enum lmx_strategy {
    LMX_RS_SHUFFLE,    /* simple-shuffle */
    LMX_RS_LEAST_BUSY, /* least-busy */
    LMX_RS_LATENCY,    /* latency-based-routing */
    LMX_RS_USAGE,      /* usage-based-routing, usage-based-routing-v2 */
    LMX_RS_COST,       /* cost-based-routing */
};

/*
 * A group's simple-shuffle schedule: deployment indexes laid out by smooth
 * weighted round-robin once per snapshot, so a pick is one atomic increment
 * in the common case (the scan in router.c handles the rest).
 */
struct lmx_group_sched {
    uint16_t *idx; /* NULL when the group has fewer than 2 deployments or mixed orders */
    uint32_t n;
    atomic_uint_fast64_t next;
};

struct lmx_router_cfg {
    enum lmx_strategy strategy;
    const struct lmx_group *groups; /* the snapshot's groups, parallel to sched */
    struct lmx_group_sched *sched;
    size_t ngroups;
    double latency_buffer; /* routing_strategy_args.lowest_latency_buffer (0) */
    double ttl;            /* routing_strategy_args.ttl, seconds (3600 for latency samples) */
    double retry_after;    /* seconds at least between retries (0) */
    double stream_timeout; /* router_settings.stream_timeout, seconds; 0 = the call timeout */
    int max_fallbacks;     /* 5 */
    int allowed_fails;     /* 3 */
    bool allowed_fails_set;
    double cooldown_time; /* 5 s */
    bool disable_cooldowns;
    int retry_policy[LMX_EC_N];         /* -1 = unset */
    int allowed_fails_policy[LMX_EC_N]; /* -1 = unset */
    json_t *fallbacks;                /* [{group: [groups]}], owned, may be NULL */
    json_t *context_window_fallbacks; /* same */
    json_t *content_policy_fallbacks; /* same */
    json_t *default_fallbacks;        /* [groups] */
    bool enable_pre_call_checks;

    /* Redis for fleet-wide state (router_settings.redis_*, else REDIS_* env); host NULL = none */
    char *redis_host;
    int redis_port;
    char *redis_password;
    int redis_db;
};

/*
 * Builds cfg->router from cfg->root and binds every deployment to its
 * run-time state (lmx_dstate_get). Called by the main thread after each load,
 * before the snapshot is published. Returns 0 or LMX_ENOMEM.
 */
int lmx_route_bind(struct lmx_config *cfg);

/* The fallback groups for `group` in a [{group: [...]}] list, or NULL (borrowed). */
json_t *lmx_route_fallbacks_for(const json_t *list, const char *group);

#endif
