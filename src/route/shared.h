/*
 * route/shared.h - fleet-wide router state through Redis.
 *
 * With router_settings.redis_host (or redis_url, or REDIS_HOST...) set, every
 * llmux instance pointing at the same Redis shares two things:
 *   - cooldowns: a deployment one instance cools down is skipped by all of
 *     them until the cooldown ends (Redis keys llmux:cd:<id>, announced on the
 *     channel llmux:cooldowns; an instance that connects later reads the keys);
 *   - usage: per-deployment requests and tokens of the current minute
 *     (llmux:rpm:<id>:<minute>, llmux:tpm:<id>:<minute>), synced every 100 ms,
 *     so rpm/tpm limits and usage-based routing hold across the fleet.
 *
 * One thread of its own talks to Redis (two hiredis async connections on its
 * own libuv loop); workers never block on it and never touch hiredis: they
 * read struct lmx_dstate and queue cooldowns through lmx_dstate_set_hooks.
 * When Redis is unreachable each instance goes on with its own state and the
 * thread reconnects with backoff (100 ms doubling to 2 s).
 *
 * lmx_shared_start, _reconfigure and _stop are for the main thread only.
 */
#ifndef LMX_ROUTE_SHARED_H
#define LMX_ROUTE_SHARED_H

#include "route/settings.h"

/*
 * Starts sharing state through the Redis of `r` (host, port, password, db).
 * A no-op returning 0 when r is NULL or r->redis_host is NULL. Otherwise it
 * starts the shared-state thread and registers the cooldown hook, and returns
 * 0 even when Redis is down (the thread keeps trying). Returns LMX_ENOMEM or
 * LMX_EINTERNAL (the thread or its loop could not be created; nothing is
 * shared then). Calling it while already started acts like
 * lmx_shared_reconfigure.
 */
int lmx_shared_start(const struct lmx_router_cfg *r);

/*
 * After a config reload: when the Redis settings of `r` differ from the
 * running ones, reconnects to the new server (the thread is restarted); when
 * `r` has none any more, stops; when sharing was off and `r` has Redis,
 * starts. Failures are logged (sharing is then off).
 */
void lmx_shared_reconfigure(const struct lmx_router_cfg *r);

/*
 * Stops sharing: unregisters the hook, closes the connections and joins the
 * thread. A no-op when not started. Call it at exit before
 * lmx_dstate_registry_free (the thread walks the states).
 */
void lmx_shared_stop(void);

/*
 * NULL when no Redis is configured; else "connecting" (no answer yet),
 * "connected" (a command round trip and the subscription succeeded) or
 * "unreachable" (the last connect failed or the connection was lost).
 * Thread-safe; the string is static.
 */
const char *lmx_shared_status(void);

#endif
