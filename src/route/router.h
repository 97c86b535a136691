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

/*
 * Picks a deployment of the route's group whose index is not set in `tried`
 * (a bitmap of LMX_ROUTE_MAX_TRIED bits, indexes into group->deps). Returns
 * the index, or -1 when every deployment was tried.
 */
int lmx_route_pick(const struct lmx_route *r, const uint8_t *tried);

#endif
