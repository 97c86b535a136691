/*
 * route/router.h - which deployment serves a request.
 *
 * Resolves the `model` a client sent to a model group (alias, exact name,
 * deployment id, then wildcard groups, most specific first) and picks a
 * deployment of that group by weighted random choice (simple-shuffle:
 * `weight`, else `rpm`, else `tpm`, else uniform), skipping the ones already
 * tried by this request. Reads only the immutable config snapshot; never
 * allocates.
 */
#ifndef LMX_ROUTER_H
#define LMX_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define LMX_ROUTE_MAX_TRIED 256

struct lmx_route {
    const struct lmx_group *group;
    const struct lmx_deployment *pinned; /* the model named a deployment id */
    const char *wild_part; /* the part of the model a wildcard '*' matched (in `model`), or NULL */
    size_t wild_len;
};

/*
 * Resolves `model` (len bytes). Returns 0 and fills *out (pointers borrowed
 * from cfg and model), or LMX_EBADMODEL when nothing matches.
 */
int lmx_route_resolve(const struct lmx_config *cfg, const char *model, size_t len,
                      struct lmx_route *out);

/* Why lmx_route_pick found nothing. */
enum lmx_pick_why {
    LMX_PICK_OK,
    LMX_PICK_ALL_TRIED, /* every deployment was tried by this request */
    LMX_PICK_COOLING,   /* the ones left are cooling down */
    LMX_PICK_FULL,      /* the ones left have used up their rpm/tpm this minute */
    LMX_PICK_CONTEXT,   /* the ones left cannot fit the prompt (pre-call checks) */
};

struct lmx_router_cfg;

/* What a pick needs besides the group. */
struct lmx_pick_ctx {
    const struct lmx_router_cfg *rc; /* NULL: simple-shuffle, no checks */
    uint64_t now_ms;                 /* wall clock */
    uint64_t est_prompt_tokens;      /* for pre-call checks; 0 = unknown */
    uint64_t soonest_ms;             /* out: when the first cooldown among the group ends */
};

/*
 * Picks a deployment of the route's group by the configured strategy, among
 * those whose index is not set in `tried` (a bitmap of LMX_ROUTE_MAX_TRIED
 * bits, indexes into group->deps), skipping those cooling down, those over
 * their rpm/tpm (usage-based routing or pre-call checks) and those whose
 * context window the prompt cannot fit (pre-call checks), and keeping only the
 * lowest `order` left. Returns the index, or -1 and sets *why.
 */
int lmx_route_pick(const struct lmx_route *r, const uint8_t *tried, struct lmx_pick_ctx *ctx,
                   enum lmx_pick_why *why);

#endif
