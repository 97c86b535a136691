/*
 * route/router.c - model resolution and weighted deployment choice.
 */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "route/router.h"
#include "route/settings.h"
#include "route/state.h"

static const struct lmx_group *group_named(const struct lmx_config *cfg, const char *name,
                                           size_t len)
{
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const struct lmx_group *g = &cfg->groups[i];

        if (!g->wildcard && strlen(g->name) == len && memcmp(g->name, name, len) == 0)
            return g;
    }
    return NULL;
}

static bool wild_match(const struct lmx_group *g, const char *m, size_t len, size_t *suffix_len)
{
    const char *star = g->name + g->prefix_len;
    size_t tail = strlen(star + 1); /* bytes after '*' */

    if (len < g->prefix_len + tail)
        return false;
    if (memcmp(m, g->name, g->prefix_len) != 0)
        return false;
    if (tail > 0 && memcmp(m + len - tail, star + 1, tail) != 0)
        return false;
    *suffix_len = tail;
    return true;
}

int lmx_route_resolve(const struct lmx_config *cfg, const char *model, size_t len,
                      struct lmx_route *out)
{
    const struct lmx_group *g = NULL, *best = NULL;
    size_t best_fixed = 0, best_tail = 0;
    json_t *alias;

    memset(out, 0, sizeof(*out));
    if (cfg->model_group_alias != NULL && len < 512) {
        char key[512];

        memcpy(key, model, len);
        key[len] = '\0';
        alias = json_object_get(cfg->model_group_alias, key);
        if (json_is_object(alias))
            alias = json_object_get(alias, "model");
        if (json_is_string(alias)) {
            g = group_named(cfg, json_string_value(alias), json_string_length(alias));
            if (g != NULL) {
                out->group = g;
                return 0;
            }
        }
    }
    g = group_named(cfg, model, len);
    if (g != NULL) {
        out->group = g;
        return 0;
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        for (size_t j = 0; j < cfg->groups[i].ndeps; j++) {
            const struct lmx_deployment *d = cfg->groups[i].deps[j];

            if (strlen(d->id) == len && memcmp(d->id, model, len) == 0) {
                out->group = &cfg->groups[i];
                out->pinned = d;
                return 0;
            }
        }
    }
    /* wildcards: the longest fixed part wins, so a provider wildcard beats a bare star */
    for (size_t i = 0; i < cfg->ngroups; i++) {
        size_t tail;

        g = &cfg->groups[i];
        if (!g->wildcard || !wild_match(g, model, len, &tail))
            continue;
        if (best == NULL || g->prefix_len + tail > best_fixed) {
            best = g;
            best_fixed = g->prefix_len + tail;
            best_tail = tail;
        }
    }
    if (best == NULL)
        return LMX_EBADMODEL;
    out->group = best;
    out->wild_part = model + best->prefix_len;
    out->wild_len = len - best->prefix_len - best_tail;
    return 0;
}

static double weight_of(const struct lmx_deployment *d, int basis)
{
    switch (basis) {
    case 0: return d->weight;
    case 1: return d->rpm;
    case 2: return d->tpm;
    default: return 1.0;
    }
}

static bool over_limits(const struct lmx_deployment *d, uint64_t now_ms)
{
    struct lmx_dstate *st = d->state;

    if (st == NULL || (d->rpm <= 0 && d->tpm <= 0))
        return false;
    if (d->rpm > 0 && (double)lmx_dstate_rpm(st, now_ms) >= d->rpm)
        return true;
    if (d->tpm > 0 && (double)lmx_dstate_tpm(st, now_ms) >= d->tpm)
        return true;
    return false;
}

static bool too_small(const struct lmx_deployment *d, uint64_t est)
{
    return est > 0 && d->max_input_tokens > 0 && (double)est > d->max_input_tokens;
}

/* Among cand[0..n), the one with the lowest key; ties broken at random. */
static int lowest(const struct lmx_group *g, const int *cand, int n, double (*key)(
                      const struct lmx_deployment *d, void *ud), void *ud)
{
    double best = 0;
    int pick = -1, ties = 0;

    for (int i = 0; i < n; i++) {
        double k = key(g->deps[cand[i]], ud);

        if (pick < 0 || k < best) {
            best = k;
            pick = cand[i];
            ties = 1;
        } else if (k == best && lmx_rand01() * ++ties < 1.0) {
            pick = cand[i]; /* reservoir sampling over the ties */
        }
    }
    return pick;
}

static double key_busy(const struct lmx_deployment *d, void *ud)
{
    LMX_UNUSED(ud);
    return d->state ? (double)atomic_load_explicit(&d->state->in_flight, memory_order_relaxed)
                    : 0;
}

static double key_tpm(const struct lmx_deployment *d, void *ud)
{
    return d->state ? (double)lmx_dstate_tpm(d->state, *(uint64_t *)ud) : 0;
}

static double key_cost(const struct lmx_deployment *d, void *ud)
{
    LMX_UNUSED(ud);
    return d->price_per_token;
}

/* Weighted random choice (no shared state to keep credits in). */
static int weighted_random(const struct lmx_group *g, const int *cand, int n, int basis)
{
    double total = 0, x;

    for (int i = 0; i < n; i++)
        total += LMX_MAX(weight_of(g->deps[cand[i]], basis), 0.0);
    x = lmx_rand01() * total;
    for (int i = 0; i < n; i++) {
        double w = LMX_MAX(weight_of(g->deps[cand[i]], basis), 0.0);

        if (x < w)
            return cand[i];
        x -= w;
    }
    return cand[n - 1];
}

/*
 * Smooth weighted round-robin (as nginx's upstream balancer): each pick adds
 * every candidate's weight to its running credit, takes the candidate with the
 * most, and charges it the total. Picks follow the weights closely in every
 * short window, never in bursts. The credits live in the shared state, so the
 * workers interleave on them; a lost update only shifts one pick.
 */
static int smooth_weighted(const struct lmx_group *g, const int *cand, int n)
{
    int basis = 3, pick = -1;
    int64_t total = 0, best = 0;

    for (int b = 0; b < 3 && basis == 3; b++)
        for (int i = 0; i < n; i++)
            if (weight_of(g->deps[cand[i]], b) > 0)
                basis = b;
    for (int i = 0; i < n; i++) {
        const struct lmx_deployment *d = g->deps[cand[i]];
        double w = weight_of(d, basis);
        int64_t wi = w > 0 ? (int64_t)(w * 1000.0 + 0.5) : 0;
        int64_t credit;

        if (wi <= 0)
            continue;
        total += wi;
        if (d->state == NULL)
            return weighted_random(g, cand, n, basis);
        credit = atomic_fetch_add_explicit(&d->state->swrr_credit, wi, memory_order_relaxed) + wi;
        if (pick < 0 || credit > best) {
            best = credit;
            pick = cand[i];
        }
    }
    if (pick < 0)
        return cand[(int)(lmx_rand01() * n) % n];
    atomic_fetch_sub_explicit(&g->deps[pick]->state->swrr_credit, total, memory_order_relaxed);
    return pick;
}

static int latency_pick(const struct lmx_group *g, const int *cand, int n, uint64_t now_ms,
                        const struct lmx_router_cfg *rc)
{
    uint64_t ttl = (uint64_t)(rc->ttl * 1000.0), best = UINT64_MAX;
    uint64_t lat[LMX_ROUTE_MAX_TRIED];
    int near[LMX_ROUTE_MAX_TRIED], nn = 0;

    for (int i = 0; i < n; i++) {
        const struct lmx_deployment *d = g->deps[cand[i]];

        lat[i] = d->state ? lmx_dstate_latency_us(d->state, now_ms, ttl) : 0;
        if (lat[i] < best)
            best = lat[i];
    }
    /* no samples counts as fastest, so every deployment gets measured */
    for (int i = 0; i < n; i++)
        if ((double)lat[i] <= (double)best * (1.0 + rc->latency_buffer))
            near[nn++] = cand[i];
    return near[(int)(lmx_rand01() * nn) % nn];
}

int lmx_route_pick(const struct lmx_route *r, const uint8_t *tried, struct lmx_pick_ctx *ctx,
                   enum lmx_pick_why *why)
{
    const struct lmx_group *g = r->group;
    const struct lmx_router_cfg *rc = ctx != NULL ? ctx->rc : NULL;
    int n = (int)LMX_MIN(g->ndeps, (size_t)LMX_ROUTE_MAX_TRIED);
    int cand[LMX_ROUTE_MAX_TRIED], nc = 0, min_order = 0;
    uint64_t now = ctx != NULL ? ctx->now_ms : lmx_wall_ms();
    bool check_usage = rc != NULL && (rc->strategy == LMX_RS_USAGE || rc->enable_pre_call_checks);
    bool check_ctx = rc != NULL && rc->enable_pre_call_checks;
    bool any_left = false, any_cool = false, any_full = false, any_ctx = false;

#define TRIED(i) ((tried[(i) >> 3] >> ((i)&7)) & 1)
    *why = LMX_PICK_OK;
    if (ctx != NULL)
        ctx->soonest_ms = 0;
    /* simple-shuffle's fast path: the next slot of the precomputed schedule, if free */
    if (rc != NULL && rc->strategy == LMX_RS_SHUFFLE && r->pinned == NULL && rc->sched != NULL &&
        g >= rc->groups && g < rc->groups + rc->ngroups) {
        const struct lmx_group_sched *gs = &rc->sched[g - rc->groups];

        for (int k = 0; gs->idx != NULL && k < 4; k++) {
            uint64_t slot = atomic_fetch_add_explicit((atomic_uint_fast64_t *)&gs->next, 1,
                                                      memory_order_relaxed);
            int i = gs->idx[slot % gs->n];
            const struct lmx_deployment *d = g->deps[i];

            if (TRIED(i) || (d->state != NULL && lmx_dstate_cooling(d->state, now)) ||
                (check_usage && over_limits(d, now)) ||
                (check_ctx && too_small(d, ctx->est_prompt_tokens)))
                continue;
            return i;
        }
    }
    for (int i = 0; i < n; i++) {
        const struct lmx_deployment *d = g->deps[i];

        if (TRIED(i) || (r->pinned != NULL && d != r->pinned))
            continue;
        any_left = true;
        if (d->state != NULL && lmx_dstate_cooling(d->state, now)) {
            uint64_t until = atomic_load_explicit(&d->state->cooldown_until_ms,
                                                  memory_order_relaxed);

            any_cool = true;
            if (ctx != NULL && (ctx->soonest_ms == 0 || until < ctx->soonest_ms))
                ctx->soonest_ms = until;
            continue;
        }
        if (check_usage && over_limits(d, now)) {
            any_full = true;
            continue;
        }
        if (check_ctx && too_small(d, ctx->est_prompt_tokens)) {
            any_ctx = true;
            continue;
        }
        cand[nc++] = i;
    }
    if (nc == 0) {
        *why = !any_left  ? LMX_PICK_ALL_TRIED
               : any_ctx  ? LMX_PICK_CONTEXT
               : any_full ? LMX_PICK_FULL
               : any_cool ? LMX_PICK_COOLING
                          : LMX_PICK_ALL_TRIED;
        return -1;
    }
#undef TRIED
    /* only the lowest `order` left is eligible */
    for (int i = 0; i < nc; i++) {
        int o = g->deps[cand[i]]->order > 0 ? g->deps[cand[i]]->order : 1;

        if (min_order == 0 || o < min_order)
            min_order = o;
    }
    {
        int k = 0;

        for (int i = 0; i < nc; i++) {
            int o = g->deps[cand[i]]->order > 0 ? g->deps[cand[i]]->order : 1;

            if (o == min_order)
                cand[k++] = cand[i];
        }
        nc = k;
    }
    if (nc == 1)
        return cand[0];
    switch (rc != NULL ? rc->strategy : LMX_RS_SHUFFLE) {
    case LMX_RS_LEAST_BUSY: return lowest(g, cand, nc, key_busy, NULL);
    case LMX_RS_LATENCY: return latency_pick(g, cand, nc, now, rc);
    case LMX_RS_USAGE: return lowest(g, cand, nc, key_tpm, &now);
    case LMX_RS_COST: return lowest(g, cand, nc, key_cost, NULL);
    case LMX_RS_SHUFFLE:
    default: return smooth_weighted(g, cand, nc);
    }
}
