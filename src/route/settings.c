/*
 * route/settings.c - router settings from the config file, with LiteLLM's
 * defaults, and the binding of deployments to their run-time state.
 */
#include "core/lmx.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "route/settings.h"

static const char *const class_names[LMX_EC_N] = {
    [LMX_EC_BADREQ] = "BadRequestError",
    [LMX_EC_AUTH] = "AuthenticationError",
    [LMX_EC_NOTFOUND] = "NotFoundError",
    [LMX_EC_TIMEOUT] = "TimeoutError",
    [LMX_EC_RATELIMIT] = "RateLimitError",
    [LMX_EC_CONTENT_POLICY] = "ContentPolicyViolationError",
    [LMX_EC_CONTEXT_WINDOW] = "ContextWindowExceededError",
    [LMX_EC_SERVER] = "InternalServerError",
    [LMX_EC_CONNECT] = "APIConnectionError",
};

static void router_free(struct lmx_router_cfg *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; r->sched != NULL && i < r->ngroups; i++)
        lmx_free(r->sched[i].idx);
    lmx_free(r->sched);
    json_decref(r->fallbacks);
    json_decref(r->context_window_fallbacks);
    json_decref(r->content_policy_fallbacks);
    json_decref(r->default_fallbacks);
    lmx_free(r->redis_host);
    lmx_free(r->redis_password);
    lmx_free(r);
}

/* router_settings wins over litellm_settings for a key in both */
static json_t *setting(const struct lmx_config *cfg, const char *key)
{
    json_t *v = json_object_get(json_object_get(cfg->root, "router_settings"), key);

    if (v == NULL || json_is_null(v))
        v = json_object_get(json_object_get(cfg->root, "litellm_settings"), key);
    return json_is_null(v) ? NULL : v;
}

static bool num_of(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (json_is_string(v))
        return lmx_parse_double(json_string_value(v), out) == 0;
    return false;
}

static void policy(const json_t *obj, const char *suffix, int out[LMX_EC_N])
{
    for (int i = 0; i < LMX_EC_N; i++) {
        char key[96];
        double v;

        out[i] = -1;
        if (!json_is_object(obj))
            continue;
        snprintf(key, sizeof(key), "%s%s", class_names[i], suffix);
        if (num_of(json_object_get(obj, key), &v) && v >= 0)
            out[i] = (int)v;
    }
    /* LiteLLM names its timeout class both ways */
    if (json_is_object(obj) && out[LMX_EC_TIMEOUT] < 0) {
        char key[96];
        double v;

        snprintf(key, sizeof(key), "Timeout%s", suffix);
        if (num_of(json_object_get(obj, key), &v) && v >= 0)
            out[LMX_EC_TIMEOUT] = (int)v;
    }
}

static json_t *list_or_null(json_t *v)
{
    return json_is_array(v) ? json_incref(v) : NULL;
}

static char *env_or(const json_t *v, const char *env)
{
    const char *s = json_string_value(v);

    if (s == NULL)
        s = getenv(env);
    return s != NULL && *s ? lmx_strdup(s) : NULL;
}

static void redis_from_url(struct lmx_router_cfg *r, const char *url)
{
    /* redis://[:password@]host[:port][/db] */
    const char *p = url, *at, *slash, *colon;
    char host[256];

    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    else if (strncmp(p, "rediss://", 9) == 0)
        p += 9;
    at = strrchr(p, '@');
    if (at != NULL) {
        const char *pw = memchr(p, ':', (size_t)(at - p));

        if (pw != NULL)
            r->redis_password = lmx_strndup(pw + 1, (size_t)(at - pw - 1));
        p = at + 1;
    }
    slash = strchr(p, '/');
    colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
    snprintf(host, sizeof(host), "%.*s",
             (int)(colon ? colon - p : slash ? slash - p : (long)strlen(p)), p);
    r->redis_host = lmx_strdup(host);
    r->redis_port = colon ? atoi(colon + 1) : 6379;
    r->redis_db = slash ? atoi(slash + 1) : 0;
}

json_t *lmx_route_fallbacks_for(const json_t *list, const char *group)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        json_t *g = json_object_get(e, group);

        if (json_is_array(g))
            return g;
    }
    return NULL;
}

#define SCHED_MAX 4096

static double basis_weight(const struct lmx_deployment *d, int basis)
{
    return basis == 0 ? d->weight : basis == 1 ? d->rpm : basis == 2 ? d->tpm : 1.0;
}

/* Lays out the group's smooth weighted round-robin once; NULL idx when not worth it. */
static int build_sched(const struct lmx_group *g, struct lmx_group_sched *gs)
{
    size_t n = LMX_MIN(g->ndeps, (size_t)256);
    int basis = 3;
    double minw = 0, total = 0;
    int64_t w[256], cur[256], sum = 0;

    gs->idx = NULL;
    gs->n = 0;
    if (n < 2)
        return 0;
    for (size_t i = 1; i < n; i++) /* mixed `order` tiers need the full scan */
        if ((g->deps[i]->order > 0 ? g->deps[i]->order : 1) !=
            (g->deps[0]->order > 0 ? g->deps[0]->order : 1))
            return 0;
    for (int b = 0; b < 3 && basis == 3; b++)
        for (size_t i = 0; i < n; i++)
            if (basis_weight(g->deps[i], b) > 0)
                basis = b;
    for (size_t i = 0; i < n; i++) {
        double x = basis_weight(g->deps[i], basis);

        if (x > 0 && (minw == 0 || x < minw))
            minw = x;
        total += x > 0 ? x : 0;
    }
    for (size_t i = 0; i < n; i++) {
        double x = basis_weight(g->deps[i], basis);
        double scaled = x > 0 ? x / minw : 0;

        if (total / minw > SCHED_MAX) /* keep the table small: scale down, keep >= 1 */
            scaled = x > 0 ? LMX_MAX(1.0, x / total * SCHED_MAX) : 0;
        w[i] = (int64_t)(scaled + 0.5);
        if (x > 0 && w[i] == 0)
            w[i] = 1;
        cur[i] = 0;
        sum += w[i];
    }
    if (sum <= 0)
        return 0;
    gs->idx = lmx_malloc((size_t)sum * sizeof(*gs->idx));
    if (gs->idx == NULL)
        return LMX_ENOMEM;
    for (int64_t k = 0; k < sum; k++) {
        size_t best = 0;

        for (size_t i = 0; i < n; i++) {
            cur[i] += w[i];
            if (cur[i] > cur[best])
                best = i;
        }
        cur[best] -= sum;
        gs->idx[k] = (uint16_t)best;
    }
    gs->n = (uint32_t)sum;
    /* start each snapshot at a random place, so restarts do not all begin alike */
    atomic_init(&gs->next, (uint64_t)(lmx_rand01() * (double)sum));
    return 0;
}

int lmx_route_bind(struct lmx_config *cfg)
{
    struct lmx_router_cfg *r = lmx_calloc(1, sizeof(*r));
    json_t *rs = json_object_get(cfg->root, "router_settings");
    json_t *args = setting(cfg, "routing_strategy_args");
    const char *strat = json_string_value(setting(cfg, "routing_strategy"));
    json_t *v;
    double d;

    if (r == NULL)
        return LMX_ENOMEM;
    r->strategy = LMX_RS_SHUFFLE;
    if (strat != NULL) {
        if (strcmp(strat, "least-busy") == 0)
            r->strategy = LMX_RS_LEAST_BUSY;
        else if (strcmp(strat, "latency-based-routing") == 0)
            r->strategy = LMX_RS_LATENCY;
        else if (strcmp(strat, "usage-based-routing") == 0 ||
                 strcmp(strat, "usage-based-routing-v2") == 0)
            r->strategy = LMX_RS_USAGE;
        else if (strcmp(strat, "cost-based-routing") == 0)
            r->strategy = LMX_RS_COST;
    }
    r->ttl = 3600;
    if (num_of(json_object_get(args, "ttl"), &d) && d > 0)
        r->ttl = d;
    if (num_of(json_object_get(args, "lowest_latency_buffer"), &d) && d >= 0)
        r->latency_buffer = d;
    if (num_of(setting(cfg, "retry_after"), &d) && d >= 0)
        r->retry_after = d;
    if (num_of(json_object_get(rs, "stream_timeout"), &d) && d > 0)
        r->stream_timeout = d;
    r->max_fallbacks = 5;
    if (num_of(setting(cfg, "max_fallbacks"), &d) && d >= 0)
        r->max_fallbacks = (int)d;
    r->allowed_fails = 3;
    if (num_of(setting(cfg, "allowed_fails"), &d) && d >= 0) {
        r->allowed_fails = (int)d;
        r->allowed_fails_set = true;
    }
    r->cooldown_time = 5;
    if (num_of(setting(cfg, "cooldown_time"), &d) && d >= 0)
        r->cooldown_time = d;
    r->disable_cooldowns = json_is_true(setting(cfg, "disable_cooldowns"));
    policy(setting(cfg, "retry_policy"), "Retries", r->retry_policy);
    policy(setting(cfg, "allowed_fails_policy"), "AllowedFails", r->allowed_fails_policy);
    r->fallbacks = list_or_null(setting(cfg, "fallbacks"));
    r->context_window_fallbacks = list_or_null(setting(cfg, "context_window_fallbacks"));
    r->content_policy_fallbacks = list_or_null(setting(cfg, "content_policy_fallbacks"));
    r->default_fallbacks = list_or_null(setting(cfg, "default_fallbacks"));
    r->enable_pre_call_checks = json_is_true(setting(cfg, "enable_pre_call_checks"));

    v = json_object_get(rs, "redis_url");
    if (json_is_string(v) || getenv("REDIS_URL") != NULL) {
        redis_from_url(r, json_is_string(v) ? json_string_value(v) : getenv("REDIS_URL"));
    } else {
        r->redis_host = env_or(json_object_get(rs, "redis_host"), "REDIS_HOST");
        v = json_object_get(rs, "redis_port");
        r->redis_port = num_of(v, &d) ? (int)d : 0;
        if (r->redis_port == 0 && getenv("REDIS_PORT") != NULL)
            r->redis_port = atoi(getenv("REDIS_PORT"));
        if (r->redis_port == 0)
            r->redis_port = 6379;
        r->redis_password = env_or(json_object_get(rs, "redis_password"), "REDIS_PASSWORD");
        if (num_of(json_object_get(rs, "redis_db"), &d))
            r->redis_db = (int)d;
    }

    for (size_t i = 0; i < cfg->ndeps; i++) {
        struct lmx_deployment *dp = &cfg->deps[i];
        static const char *const prices[] = {"input_cost_per_token", "output_cost_per_token"};

        dp->max_input_tokens = 0;
        if (num_of(json_object_get(dp->model_info, "max_input_tokens"), &d) && d > 0)
            dp->max_input_tokens = d;
        dp->price_per_token = 0;
        for (size_t k = 0; k < LMX_ARRAY_SIZE(prices); k++) {
            json_t *pv = json_object_get(dp->litellm_params, prices[k]);

            if (pv == NULL)
                pv = json_object_get(dp->model_info, prices[k]);
            if (num_of(pv, &d) && d > 0)
                dp->price_per_token += d;
        }
        dp->cooldown_time = -1;
        if (num_of(json_object_get(dp->litellm_params, "cooldown_time"), &d) && d >= 0)
            dp->cooldown_time = d;
        cfg->deps[i].state = lmx_dstate_get(cfg->deps[i].id);
        if (cfg->deps[i].state == NULL) {
            router_free(r);
            return LMX_ENOMEM;
        }
    }
    r->groups = cfg->groups;
    r->ngroups = cfg->ngroups;
    r->sched = lmx_calloc(cfg->ngroups ? cfg->ngroups : 1, sizeof(*r->sched));
    if (r->sched == NULL) {
        router_free(r);
        return LMX_ENOMEM;
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        if (build_sched(&cfg->groups[i], &r->sched[i]) < 0) {
            router_free(r);
            return LMX_ENOMEM;
        }
    }
    cfg->router = r;
    cfg->router_free = router_free;
    return 0;
}
