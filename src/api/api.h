/*
 * api/api.h - the HTTP front-end: which endpoint a request is for, and the
 * per-worker state the endpoints use.
 *
 * One struct lmx_api_worker per worker thread. The server calls
 * lmx_api_handle() for each complete request; endpoints answer now (health,
 * models, errors) or start an upstream call and answer when it completes.
 */
#ifndef LMX_API_H
#define LMX_API_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "http/http.h"
#include "upstream/upstream.h"

#define LMX_API_MAX_RETIRED 8

/* Counters written only by their worker, read by anyone (relaxed atomics). */
struct lmx_api_stats {
    _Atomic uint64_t requests;
    _Atomic uint64_t upstream_calls;
    _Atomic uint64_t upstream_failures;
    _Atomic uint64_t client_aborts;
};

struct lmx_api_worker {
    int id;
    uv_loop_t *loop;
    struct lmx_upstream *up;
    struct lmx_http_server *http;
    double started_at; /* wall clock, for readiness */

    /* The snapshot new requests use, and older ones still held by requests in flight. */
    struct lmx_config *cfg;
    size_t cfg_users;
    struct {
        struct lmx_config *cfg;
        size_t users;
    } retired[LMX_API_MAX_RETIRED];

    struct lmx_api_stats stats;

    /* background health checks (general_settings.background_health_checks), worker 0 only */
    uv_timer_t *health_timer;
    bool health_running;
};

/* Adds one to a counter only its own worker writes (a relaxed load and store, no RMW). */
static inline void lmx_api_count(_Atomic uint64_t *n)
{
    atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* The server's request callback; ud is the struct lmx_api_worker. */
void lmx_api_handle(struct lmx_http_req *req, void *ud);

/*
 * Makes `cfg` (a reference the worker takes over) the snapshot for new
 * requests. The old one is released when its last request ends.
 */
void lmx_api_worker_set_config(struct lmx_api_worker *w, struct lmx_config *cfg);
/* Releases every snapshot the worker holds (at exit, when no request is left). */
void lmx_api_worker_release(struct lmx_api_worker *w);

/*
 * Background health checks: (re)starts or stops the periodic round after the
 * worker's snapshot changed; the main program calls it on one worker only.
 * lmx_api_health_stop closes the timer (at shutdown).
 */
void lmx_api_health_schedule(struct lmx_api_worker *w);
void lmx_api_health_stop(struct lmx_api_worker *w);

/* Takes the current snapshot for one request; give it back with lmx_api_cfg_put. */
struct lmx_config *lmx_api_cfg_get(struct lmx_api_worker *w);
void lmx_api_cfg_put(struct lmx_api_worker *w, struct lmx_config *cfg);

#endif
