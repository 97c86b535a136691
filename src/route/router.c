/*
 * route/router.c - model resolution and weighted deployment choice.
 */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "route/router.h"

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

int lmx_route_pick(const struct lmx_route *r, const uint8_t *tried)
{
    const struct lmx_group *g = r->group;
    size_t n = LMX_MIN(g->ndeps, (size_t)LMX_ROUTE_MAX_TRIED);
    int basis = 3, min_order = 0, last = -1;
    double total = 0, x;

#define TRIED(i) ((tried[(i) >> 3] >> ((i)&7)) & 1)
    if (r->pinned != NULL) {
        for (size_t i = 0; i < n; i++)
            if (g->deps[i] == r->pinned)
                return TRIED(i) ? -1 : (int)i;
        return -1;
    }
    /* only the lowest `order` among the deployments left is eligible */
    for (size_t i = 0; i < n; i++) {
        int o = g->deps[i]->order > 0 ? g->deps[i]->order : 1;

        if (!TRIED(i) && (min_order == 0 || o < min_order))
            min_order = o;
    }
    if (min_order == 0)
        return -1;
    /* weight, else rpm, else tpm, else uniform: the first basis any candidate sets */
    for (int b = 0; b < 3 && basis == 3; b++)
        for (size_t i = 0; i < n; i++)
            if (!TRIED(i) && weight_of(g->deps[i], b) > 0)
                basis = b;
    for (size_t i = 0; i < n; i++) {
        int o = g->deps[i]->order > 0 ? g->deps[i]->order : 1;

        if (TRIED(i) || o != min_order)
            continue;
        total += weight_of(g->deps[i], basis) > 0 ? weight_of(g->deps[i], basis) : 0;
    }
    x = lmx_rand01() * total;
    for (size_t i = 0; i < n; i++) {
        int o = g->deps[i]->order > 0 ? g->deps[i]->order : 1;
        double wt;

        if (TRIED(i) || o != min_order)
            continue;
        wt = weight_of(g->deps[i], basis);
        last = (int)i;
        if (wt <= 0)
            continue;
        if (x < wt)
            return (int)i;
        x -= wt;
    }
#undef TRIED
    return last; /* all weights zero or rounding at the top end */
}
