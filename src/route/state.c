/*
 * route/state.c - per-deployment run-time state: a registry keyed by id and
 * the relaxed-atomic counters the strategies read.
 *
 * The registry is a small chained hash under a mutex; it is only searched
 * when a config snapshot is bound (at start and on reload), never per request.
 */
#include "core/lmx.h"

#include <string.h>
#include <time.h>

#include <uv.h>

#include "core/alloc.h"
#include "route/state.h"

#define NBUCKETS 256

static uv_once_t once = UV_ONCE_INIT;
static uv_mutex_t lock;
static struct lmx_dstate *buckets[NBUCKETS];
static const struct lmx_shared_hooks *_Atomic hooks;

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define ST(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define ADD(x, v) atomic_fetch_add_explicit(&(x), (v), memory_order_relaxed)

static void init_lock(void)
{
    uv_mutex_init(&lock);
}

uint64_t lmx_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

struct lmx_dstate *lmx_dstate_get(const char *id)
{
    unsigned b = hash(id);
    struct lmx_dstate *st;

    uv_once(&once, init_lock);
    uv_mutex_lock(&lock);
    for (st = buckets[b]; st != NULL; st = st->next)
        if (strcmp(st->id, id) == 0)
            goto out;
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        goto out;
    st->id = lmx_strdup(id);
    if (st->id == NULL) {
        lmx_free(st);
        st = NULL;
        goto out;
    }
    st->next = buckets[b];
    buckets[b] = st;
out:
    uv_mutex_unlock(&lock);
    return st;
}

struct lmx_dstate *lmx_dstate_find(const char *id)
{
    struct lmx_dstate *st;

    uv_once(&once, init_lock);
    uv_mutex_lock(&lock);
    for (st = buckets[hash(id)]; st != NULL; st = st->next)
        if (strcmp(st->id, id) == 0)
            break;
    uv_mutex_unlock(&lock);
    return st;
}

void lmx_dstate_foreach(void (*fn)(struct lmx_dstate *st, void *ud), void *ud)
{
    uv_once(&once, init_lock);
    uv_mutex_lock(&lock);
    for (size_t b = 0; b < NBUCKETS; b++)
        for (struct lmx_dstate *st = buckets[b]; st != NULL; st = st->next)
            fn(st, ud);
    uv_mutex_unlock(&lock);
}

void lmx_dstate_registry_free(void)
{
    uv_once(&once, init_lock);
    uv_mutex_lock(&lock);
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (buckets[b] != NULL) {
            struct lmx_dstate *st = buckets[b];

            buckets[b] = st->next;
            lmx_free(st->id);
            lmx_free(st);
        }
    }
    uv_mutex_unlock(&lock);
}

void lmx_dstate_roll(struct lmx_dstate *st, uint64_t now_ms)
{
    uint_fast64_t m = now_ms / 60000u, cur = LD(st->minute);

    if (m <= cur) /* never back: a caller with a slightly older clock must not reset */
        return;
    /* the thread that wins the exchange resets; a count racing with it is lost */
    if (!atomic_compare_exchange_strong(&st->minute, &cur, m))
        return;
    ST(st->rpm_used, 0);
    ST(st->tpm_used, 0);
    ST(st->calls, 0);
    ST(st->fails, 0);
    for (int i = 0; i < LMX_EC_N; i++)
        ST(st->class_fails[i], 0);
    ST(st->pushed_rpm, 0);
    ST(st->pushed_tpm, 0);
}

void lmx_dstate_begin(struct lmx_dstate *st, uint64_t now_ms)
{
    lmx_dstate_roll(st, now_ms);
    ADD(st->in_flight, 1);
    ADD(st->rpm_used, 1);
    ADD(st->calls, 1);
}

void lmx_dstate_end(struct lmx_dstate *st, uint64_t now_ms, bool ok, enum lmx_errclass cls,
                    uint64_t latency_us, uint64_t tokens)
{
    atomic_fetch_sub_explicit(&st->in_flight, 1, memory_order_relaxed);
    lmx_dstate_roll(st, now_ms);
    if (tokens > 0)
        ADD(st->tpm_used, tokens);
    if (!ok) {
        ADD(st->fails, 1);
        if (cls > LMX_EC_NONE && cls < LMX_EC_N)
            ADD(st->class_fails[cls], 1);
        return;
    }
    if (latency_us > 0) {
        uint64_t prev = LD(st->lat_ewma_us);

        /* weight 1/4 to the new sample: follows a change within a few calls */
        ST(st->lat_ewma_us, prev == 0 ? latency_us : (prev * 3 + latency_us) / 4);
        ST(st->lat_at_ms, now_ms);
    }
}

uint64_t lmx_dstate_rpm(struct lmx_dstate *st, uint64_t now_ms)
{
    uint64_t local, fleet = 0, pushed = 0;

    lmx_dstate_roll(st, now_ms);
    local = LD(st->rpm_used);
    if (LD(st->fleet_minute) == now_ms / 60000u) {
        fleet = LD(st->fleet_rpm);
        pushed = LD(st->pushed_rpm);
    }
    return fleet + (local > pushed ? local - pushed : 0);
}

uint64_t lmx_dstate_tpm(struct lmx_dstate *st, uint64_t now_ms)
{
    uint64_t local, fleet = 0, pushed = 0;

    lmx_dstate_roll(st, now_ms);
    local = LD(st->tpm_used);
    if (LD(st->fleet_minute) == now_ms / 60000u) {
        fleet = LD(st->fleet_tpm);
        pushed = LD(st->pushed_tpm);
    }
    return fleet + (local > pushed ? local - pushed : 0);
}

uint64_t lmx_dstate_latency_us(struct lmx_dstate *st, uint64_t now_ms, uint64_t ttl_ms)
{
    uint64_t at = LD(st->lat_at_ms);

    if (at == 0 || (ttl_ms > 0 && now_ms > at && now_ms - at > ttl_ms))
        return 0;
    return LD(st->lat_ewma_us);
}

bool lmx_dstate_cooling(const struct lmx_dstate *st, uint64_t now_ms)
{
    return atomic_load_explicit(&st->cooldown_until_ms, memory_order_relaxed) > now_ms;
}

void lmx_dstate_cool_until(struct lmx_dstate *st, uint64_t until_ms, int status, bool publish)
{
    uint_fast64_t cur = LD(st->cooldown_until_ms);
    const struct lmx_shared_hooks *h;

    while (cur < until_ms && !atomic_compare_exchange_weak(&st->cooldown_until_ms, &cur, until_ms))
        ;
    ST(st->cooldown_status, status);
    h = atomic_load(&hooks);
    if (publish && h != NULL && h->cooldown != NULL)
        h->cooldown(st->id, until_ms, status);
}

void lmx_dstate_uncool(struct lmx_dstate *st)
{
    ST(st->cooldown_until_ms, 0);
}

void lmx_dstate_set_hooks(const struct lmx_shared_hooks *h)
{
    atomic_store(&hooks, h);
}
