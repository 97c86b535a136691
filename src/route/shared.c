/*
 * route/shared.c - fleet-wide cooldowns and usage through Redis (see shared.h).
 *
 * The shared-state thread runs its own uv_loop with two hiredis async
 * connections (on our own libuv hooks, rpoll_*): `cmd` for commands and `sub`
 * for the subscription to the cooldown channel. Together they make one link:
 * it is up once PING answered on cmd and the subscription is confirmed on
 * sub, and when either connection fails both are dropped and reopened after a
 * backoff, so the two never disagree about whether the fleet is reachable.
 *
 * Cooldowns: workers queue them (hook_cooldown, a bounded queue; dropped and
 * counted when full) and wake the thread, which SETs llmux:cd:<id>
 * "<until_ms> <status>" PX <ms left> and PUBLISHes "<id> <until_ms> <status>"
 * on llmux:cooldowns. Every message on the channel, our own too (applying one
 * twice changes nothing), cools the local state of that id when this instance
 * knows the id, without publishing again. When the link comes up, one MGET of
 * llmux:cd:<id> for every known id catches up with older cooldowns.
 *
 * Usage: every 100 ms one pipelined batch. For each state and metric (rpm,
 * tpm), the local count not yet pushed this minute goes up with INCRBY
 * llmux:<metric>:<id>:<minute> (and EXPIRE 120 s); its reply is the fleet
 * total including it. The other counters are read with one MGET, sent last.
 * When that last reply is in, each state gets fleet_* = the fleet total,
 * pushed_* = the local count that total includes, fleet_minute = the minute,
 * and lmx_dstate_rpm() returns fleet + (local - pushed). One batch at a time:
 * a second one before the first's replies would push the same delta again.
 *
 * Not here: TLS (rediss://; hiredis 0.14 has none), Redis Cluster, Sentinel.
 */
#include "core/lmx.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "route/shared.h"
#include "route/state.h"

#define KEY_PREFIX         "llmux:"
#define CD_CHANNEL         KEY_PREFIX "cooldowns"
#define SYNC_MS            100  /* usage sync and housekeeping period */
#define CONNECT_TIMEOUT_MS 2000 /* a connect (and AUTH, PING, SUBSCRIBE) must finish within */
#define REPLY_TIMEOUT_MS   3000 /* a usage batch must be answered within, else reconnect */
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     2000
#define QUEUE_CAP          1024       /* cooldown events waiting for the thread */
#define USAGE_TTL_S        "120"      /* usage keys outlive their minute by one more */
#define UNKNOWN            UINT64_MAX /* no fleet value in a usage item */

#define LD(x)    atomic_load_explicit(&(x), memory_order_relaxed)
#define ST(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

enum { M_RPM, M_TPM, M_N };
static const char *const metric_names[M_N] = {"rpm", "tpm"};

enum shared_status { SS_OFF, SS_CONNECTING, SS_CONNECTED, SS_UNREACHABLE };
static const char *const status_names[] = {NULL, "connecting", "connected", "unreachable"};
static atomic_int status_now; /* enum shared_status */

/* ------------------------------------------------------------------------ */
/* The cooldown queue: workers push, the shared-state thread drains */

struct cd_event {
    char *id; /* owned */
    uint64_t until_ms;
    int status;
};

static uv_once_t queue_once = UV_ONCE_INIT;
static struct {
    uv_mutex_t lock;
    struct cd_event ev[QUEUE_CAP];
    size_t head, len;
    uint64_t dropped;
    uv_async_t *wake; /* the running thread's wake-up; NULL when none runs */
} q;

static void queue_init(void)
{
    uv_mutex_init(&q.lock);
}

/* Runs on the thread that starts a cooldown: never blocks beyond the queue lock. */
static void hook_cooldown(const char *id, uint64_t until_ms, int status)
{
    char *copy = lmx_strdup(id);

    uv_mutex_lock(&q.lock);
    if (copy == NULL || q.wake == NULL || q.len == QUEUE_CAP) {
        q.dropped++;
        uv_mutex_unlock(&q.lock);
        lmx_free(copy);
        return;
    }
    q.ev[(q.head + q.len) % QUEUE_CAP] = (struct cd_event){copy, until_ms, status};
    q.len++;
    /* under the lock: lmx_shared_stop clears q.wake before the handle is closed */
    uv_async_send(q.wake);
    uv_mutex_unlock(&q.lock);
}

static const struct lmx_shared_hooks shared_hooks = {hook_cooldown};

/* Takes up to `max` events off the queue; returns how many. */
static size_t queue_take(struct cd_event *out, size_t max)
{
    size_t n = 0;

    uv_mutex_lock(&q.lock);
    while (q.len > 0 && n < max) {
        out[n++] = q.ev[q.head];
        q.head = (q.head + 1) % QUEUE_CAP;
        q.len--;
    }
    uv_mutex_unlock(&q.lock);
    return n;
}

static void queue_clear(void)
{
    struct cd_event ev[64];
    size_t n;

    while ((n = queue_take(ev, LMX_ARRAY_SIZE(ev))) > 0)
        for (size_t i = 0; i < n; i++)
            lmx_free(ev[i].id);
}

/* ------------------------------------------------------------------------ */
/* Keys and messages */

/* "llmux:<kind>:<id>" or, with minute != UNKNOWN, "llmux:<kind>:<id>:<minute>"; NULL when OOM. */
static char *key_new(const char *kind, const char *id, uint64_t minute)
{
    size_t n = strlen(KEY_PREFIX) + strlen(kind) + strlen(id) + 24;
    char *k = lmx_malloc(n);

    if (k == NULL)
        return NULL;
    if (minute == UNKNOWN)
        snprintf(k, n, KEY_PREFIX "%s:%s", kind, id);
    else
        snprintf(k, n, KEY_PREFIX "%s:%s:%" PRIu64, kind, id, minute);
    return k;
}

static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/*
 * Parses the value of a cooldown key, "<until_ms> <status>". Returns 0, or -1
 * when it is not of that form.
 */
static int parse_cd_value(const char *p, size_t n, uint64_t *until_ms, int *status)
{
    const char *sp = memchr(p, ' ', n);
    uint64_t st;

    if (sp == NULL || !parse_u64(p, (size_t)(sp - p), until_ms) ||
        !parse_u64(sp + 1, n - (size_t)(sp + 1 - p), &st) || st > 999)
        return -1;
    *status = (int)st;
    return 0;
}

/*
 * Parses a channel message, "<id> <until_ms> <status>" (the id may contain
 * spaces: the numbers are the last two words). Sets *id_len to the id's
 * length (the id starts at p). Returns 0, or -1 when malformed.
 */
static int
parse_cd_message(const char *p, size_t n, size_t *id_len, uint64_t *until_ms, int *status)
{
    size_t spaces = 0, i;

    for (i = n; i > 0; i--) {
        if (p[i - 1] == ' ' && ++spaces == 2)
            break;
    }
    if (spaces < 2 || i - 1 == 0)
        return -1;
    *id_len = i - 1;
    return parse_cd_value(p + i, n - i, until_ms, status);
}

/* ------------------------------------------------------------------------ */
/* hiredis on libuv */

/*
 * Our own event hooks rather than hiredis 0.14's adapters/libuv.h: that one
 * ignores poll errors, so a refused connect or a reset connection went
 * unnoticed until a timeout; and it allocates with malloc.
 */
struct rpoll {
    uv_poll_t h;
    redisAsyncContext *ac; /* NULL once hiredis cleaned up */
    int events;
};

static void rpoll_on_event(uv_poll_t *h, int status, int events)
{
    struct rpoll *p = h->data;

    if (status < 0) {
        /* libuv stopped the handle; a read makes hiredis see the socket's error */
        if (p->ac != NULL)
            redisAsyncHandleRead(p->ac);
        return;
    }
    if (p->ac != NULL && (events & UV_READABLE))
        redisAsyncHandleRead(p->ac);
    if (p->ac != NULL && (events & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac);
}

static void rpoll_set(struct rpoll *p, int add, int del)
{
    p->events = (p->events | add) & ~del;
    if (p->events != 0)
        uv_poll_start(&p->h, p->events, rpoll_on_event);
    else
        uv_poll_stop(&p->h);
}

static void rpoll_add_read(void *priv)
{
    rpoll_set(priv, UV_READABLE, 0);
}

static void rpoll_del_read(void *priv)
{
    rpoll_set(priv, 0, UV_READABLE);
}

static void rpoll_add_write(void *priv)
{
    rpoll_set(priv, UV_WRITABLE, 0);
}

static void rpoll_del_write(void *priv)
{
    rpoll_set(priv, 0, UV_WRITABLE);
}

static void rpoll_on_close(uv_handle_t *h)
{
    lmx_free(h->data);
}

/* hiredis frees the context (and closes the socket) right after this */
static void rpoll_cleanup(void *priv)
{
    struct rpoll *p = priv;

    p->ac = NULL;
    uv_close((uv_handle_t *)&p->h, rpoll_on_close);
}

/* Watches ac's socket on loop. Returns 0, or -1 (out of memory, bad socket). */
static int rpoll_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct rpoll *p;

    if (ac->ev.data != NULL)
        return -1;
    p = lmx_calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    if (uv_poll_init(loop, &p->h, ac->c.fd) != 0) {
        lmx_free(p);
        return -1;
    }
    p->h.data = p;
    p->ac = ac;
    ac->ev.data = p;
    ac->ev.addRead = rpoll_add_read;
    ac->ev.delRead = rpoll_del_read;
    ac->ev.addWrite = rpoll_add_write;
    ac->ev.delWrite = rpoll_del_write;
    ac->ev.cleanup = rpoll_cleanup;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Usage items: what one batch pushes or reads for one deployment */

struct usage_item {
    struct lmx_dstate *st;
    uint64_t local[M_N];  /* the local count of the minute when the batch was planned */
    uint64_t pushed[M_N]; /* how much of it the fleet value already included then */
    uint64_t fleet[M_N];  /* the fleet total from the reply; UNKNOWN until then */
};

static uint64_t item_delta(const struct usage_item *it, int m)
{
    return it->local[m] > it->pushed[m] ? it->local[m] - it->pushed[m] : 0;
}

/*
 * Reads st's counters for the minute of now_ms into *it. Returns false when
 * st counts another minute (a worker with a newer clock rolled it): skip it.
 */
static bool usage_plan(struct lmx_dstate *st, uint64_t now_ms, struct usage_item *it)
{
    uint64_t minute = now_ms / 60000u;
    bool fresh;

    lmx_dstate_roll(st, now_ms);
    if (LD(st->minute) != minute)
        return false;
    /* pushed_* only mean something while fleet_minute is this minute */
    fresh = atomic_load_explicit(&st->fleet_minute, memory_order_acquire) == minute;
    it->st = st;
    it->local[M_RPM] = LD(st->rpm_used);
    it->local[M_TPM] = LD(st->tpm_used);
    it->pushed[M_RPM] = fresh ? LD(st->pushed_rpm) : 0;
    it->pushed[M_TPM] = fresh ? LD(st->pushed_tpm) : 0;
    it->fleet[M_RPM] = it->fleet[M_TPM] = UNKNOWN;
    return true;
}

/*
 * Stores a batch's answers for one deployment. A metric without an answer
 * keeps this minute's earlier values, or counts locally (fleet 0, pushed 0)
 * when those are of an older minute. The fleet view never drops below the
 * local count: a total smaller than our own usage means Redis lost the key
 * (restarted), and this instance's own view is the floor.
 */
static void usage_apply(const struct usage_item *it, uint64_t minute)
{
    struct lmx_dstate *st = it->st;
    uint64_t fleet[M_N], pushed[M_N];
    bool fresh;

    if (LD(st->minute) != minute)
        return; /* the minute is over: its answers no longer matter */
    fresh = atomic_load_explicit(&st->fleet_minute, memory_order_acquire) == minute;
    for (int m = 0; m < M_N; m++) {
        if (it->fleet[m] == UNKNOWN) {
            fleet[m] = fresh ? UNKNOWN : 0;
            pushed[m] = 0;
            continue;
        }
        fleet[m] = LMX_MAX(it->fleet[m], it->local[m]);
        pushed[m] = it->local[m];
    }
    /*
     * pushed before fleet: a reader between the two stores undercounts by one
     * delta for an instant instead of counting it twice.
     */
    if (fleet[M_RPM] != UNKNOWN) {
        ST(st->pushed_rpm, (unsigned)pushed[M_RPM]);
        ST(st->fleet_rpm, (unsigned)fleet[M_RPM]);
    }
    if (fleet[M_TPM] != UNKNOWN) {
        ST(st->pushed_tpm, pushed[M_TPM]);
        ST(st->fleet_tpm, fleet[M_TPM]);
    }
    atomic_store_explicit(&st->fleet_minute, minute, memory_order_release);
}

/* ------------------------------------------------------------------------ */
/* The shared-state thread */

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };

struct shared {
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t timer;
    atomic_bool stopping;

    char *host;
    int port;
    char *password;
    int db;

    redisAsyncContext *cmd, *sub; /* NULL when closed */
    enum link_state link;
    bool cmd_ready, sub_ready;
    uint64_t link_start_ms; /* loop time the current attempt began */
    uint64_t retry_at_ms;   /* loop time of the next attempt while down */
    uint64_t backoff_ms;
    bool outage_logged;

    struct batch *batch; /* the usage batch in flight */
    uint64_t batch_sent_ms;

    struct lmx_dstate **sts; /* scratch: the states of one walk */
    size_t nsts, capsts;
    uint64_t dropped_logged, dropped_logged_ms;
};

struct batch {
    struct shared *s;
    uint64_t minute;
    size_t n, nget;
    uint32_t *get_slot; /* MGET key k -> item * M_N + metric */
    struct usage_item it[];
};

struct cd_catchup {
    size_t n;
    struct lmx_dstate *st[];
};

static struct shared *running; /* main thread only */

static void link_down(struct shared *s, const char *why);

static void collect_one(struct lmx_dstate *st, void *ud)
{
    struct shared *s = ud;

    if (s->nsts == s->capsts) {
        size_t cap = s->capsts ? s->capsts * 2 : 64;
        struct lmx_dstate **p = lmx_realloc(s->sts, cap * sizeof(*p));

        if (p == NULL)
            return; /* this walk misses some states; the next one retries */
        s->sts = p;
        s->capsts = cap;
    }
    s->sts[s->nsts++] = st;
}

static void collect_states(struct shared *s)
{
    s->nsts = 0;
    lmx_dstate_foreach(collect_one, s);
}

static bool is_current(const struct shared *s, const redisAsyncContext *ac)
{
    return ac != NULL && (ac == s->cmd || ac == s->sub);
}

/* ---- cooldowns ---- */

static void apply_remote_cooldown(struct lmx_dstate *st, uint64_t until_ms, int status)
{
    if (st != NULL && until_ms > lmx_wall_ms())
        lmx_dstate_cool_until(st, until_ms, status, false);
}

static void on_cd_message(const char *p, size_t n)
{
    char small[256], *id = small;
    size_t id_len;
    uint64_t until;
    int status;

    if (parse_cd_message(p, n, &id_len, &until, &status) < 0)
        return;
    if (id_len >= sizeof(small)) {
        id = lmx_strndup(p, id_len);
        if (id == NULL)
            return;
    } else {
        memcpy(small, p, id_len);
        small[id_len] = '\0';
    }
    apply_remote_cooldown(lmx_dstate_find(id), until, status);
    if (id != small)
        lmx_free(id);
}

static void on_cd_mget(redisAsyncContext *ac, void *reply, void *priv)
{
    struct cd_catchup *c = priv;
    const redisReply *r = reply;

    LMX_UNUSED(ac);
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == c->n) {
        for (size_t i = 0; i < c->n; i++) {
            const redisReply *e = r->element[i];
            uint64_t until;
            int status;

            if (e->type == REDIS_REPLY_STRING &&
                parse_cd_value(e->str, e->len, &until, &status) == 0)
                apply_remote_cooldown(c->st[i], until, status);
        }
    }
    lmx_free(c);
}

/* Reads the cooldowns the fleet started before this link came up. */
static void cd_catch_up(struct shared *s)
{
    struct cd_catchup *c = NULL;
    const char **argv = NULL;
    size_t *lens = NULL, k = 0;

    collect_states(s);
    if (s->nsts == 0)
        return;
    c = lmx_malloc(sizeof(*c) + s->nsts * sizeof(c->st[0]));
    argv = lmx_calloc(s->nsts + 1, sizeof(*argv));
    lens = lmx_calloc(s->nsts + 1, sizeof(*lens));
    if (c == NULL || argv == NULL || lens == NULL)
        goto out;
    argv[0] = "MGET";
    lens[0] = 4;
    for (k = 0; k < s->nsts; k++) {
        argv[k + 1] = key_new("cd", s->sts[k]->id, UNKNOWN);
        if (argv[k + 1] == NULL)
            goto out;
        lens[k + 1] = strlen(argv[k + 1]);
        c->st[k] = s->sts[k];
    }
    c->n = s->nsts;
    if (redisAsyncCommandArgv(s->cmd, on_cd_mget, c, (int)(c->n + 1), argv, lens) == REDIS_OK)
        c = NULL; /* the callback frees it */
out:
    if (argv != NULL)
        for (size_t i = 1; i <= k && i <= s->nsts; i++)
            lmx_free((void *)argv[i]);
    lmx_free(argv);
    lmx_free(lens);
    lmx_free(c);
}

static void publish_cooldown(struct shared *s, const struct cd_event *ev, uint64_t now_ms)
{
    char val[48], px[24];
    size_t mlen;
    char *key = NULL, *msg = NULL;

    if (ev->until_ms <= now_ms)
        return;
    snprintf(val, sizeof(val), "%" PRIu64 " %d", ev->until_ms, ev->status);
    snprintf(px, sizeof(px), "%" PRIu64, ev->until_ms - now_ms);
    key = key_new("cd", ev->id, UNKNOWN);
    mlen = strlen(ev->id) + 1 + strlen(val) + 1;
    msg = lmx_malloc(mlen);
    if (key == NULL || msg == NULL)
        goto out;
    snprintf(msg, mlen, "%s %s", ev->id, val);
    redisAsyncCommand(s->cmd, NULL, NULL, "SET %s %s PX %s", key, val, px);
    redisAsyncCommand(s->cmd, NULL, NULL, "PUBLISH %s %s", CD_CHANNEL, msg);
out:
    lmx_free(key);
    lmx_free(msg);
}

/* Sends the queued cooldowns (only while the link is up; they wait otherwise). */
static void flush_queue(struct shared *s)
{
    struct cd_event ev[64];
    size_t n;

    while (s->link == LINK_UP && (n = queue_take(ev, LMX_ARRAY_SIZE(ev))) > 0) {
        uint64_t now = lmx_wall_ms();

        for (size_t i = 0; i < n; i++) {
            publish_cooldown(s, &ev[i], now);
            lmx_free(ev[i].id);
        }
    }
}

/* ---- usage ---- */

static void on_incr(redisAsyncContext *ac, void *reply, void *priv)
{
    const redisReply *r = reply;
    uint64_t *slot = priv;

    LMX_UNUSED(ac);
    if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
        *slot = (uint64_t)r->integer;
}

/* The last reply of a batch (MGET, or PING when nothing was read): apply, free. */
static void on_batch_done(redisAsyncContext *ac, void *reply, void *priv)
{
    struct batch *b = priv;
    const redisReply *r = reply;

    LMX_UNUSED(ac);
    if (r != NULL && b->nget > 0 && r->type == REDIS_REPLY_ARRAY && r->elements == b->nget) {
        for (size_t k = 0; k < b->nget; k++) {
            const redisReply *e = r->element[k];
            struct usage_item *it = &b->it[b->get_slot[k] / M_N];
            uint64_t v = 0;

            if (e->type == REDIS_REPLY_STRING && !parse_u64(e->str, e->len, &v))
                continue;
            if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_NIL)
                it->fleet[b->get_slot[k] % M_N] = v; /* nil: nobody used it this minute */
        }
    }
    /* INCRBY answers that arrived before a lost connection are still right */
    for (size_t i = 0; i < b->n; i++)
        usage_apply(&b->it[i], b->minute);
    if (b->s->batch == b)
        b->s->batch = NULL;
    lmx_free(b->get_slot);
    lmx_free(b);
}

/* Queues INCRBY + EXPIRE of one counter; returns false when hiredis refused. */
static bool send_incr(struct shared *s, struct batch *b, size_t i, int m)
{
    struct usage_item *it = &b->it[i];
    char delta[24];
    char *key = key_new(metric_names[m], it->st->id, b->minute);
    bool ok = false;

    if (key == NULL)
        return true; /* out of memory: this counter waits for the next batch */
    snprintf(delta, sizeof(delta), "%" PRIu64, item_delta(it, m));
    if (redisAsyncCommand(s->cmd, on_incr, &it->fleet[m], "INCRBY %s %s", key, delta) != REDIS_OK)
        goto out;
    if (redisAsyncCommand(s->cmd, NULL, NULL, "EXPIRE %s " USAGE_TTL_S, key) != REDIS_OK)
        goto out;
    ok = true;
out:
    lmx_free(key);
    return ok;
}

/* Queues the batch's last command: MGET of the counters without a delta, or PING. */
static bool send_final(struct shared *s, struct batch *b)
{
    const char **argv = NULL;
    size_t *lens = NULL, made = 0;
    bool ok = false;

    if (b->nget == 0)
        return redisAsyncCommand(s->cmd, on_batch_done, b, "PING") == REDIS_OK;
    argv = lmx_calloc(b->nget + 1, sizeof(*argv));
    lens = lmx_calloc(b->nget + 1, sizeof(*lens));
    if (argv == NULL || lens == NULL)
        goto out;
    argv[0] = "MGET";
    lens[0] = 4;
    for (made = 0; made < b->nget; made++) {
        uint32_t slot = b->get_slot[made];

        argv[made + 1] = key_new(metric_names[slot % M_N], b->it[slot / M_N].st->id, b->minute);
        if (argv[made + 1] == NULL)
            goto out;
        lens[made + 1] = strlen(argv[made + 1]);
    }
    ok = redisAsyncCommandArgv(s->cmd, on_batch_done, b, (int)b->nget + 1, argv, lens) == REDIS_OK;
out:
    if (argv != NULL)
        for (size_t k = 1; k <= made; k++)
            lmx_free((void *)argv[k]);
    lmx_free(argv);
    lmx_free(lens);
    return ok;
}

static void sync_usage(struct shared *s)
{
    uint64_t now = lmx_wall_ms();
    struct batch *b;
    bool ok = true;

    collect_states(s);
    if (s->nsts == 0)
        return;
    b = lmx_calloc(1, sizeof(*b) + s->nsts * sizeof(b->it[0]));
    if (b == NULL)
        return;
    b->get_slot = lmx_malloc(s->nsts * M_N * sizeof(*b->get_slot));
    if (b->get_slot == NULL) {
        lmx_free(b);
        return;
    }
    b->s = s;
    b->minute = now / 60000u;
    for (size_t k = 0; k < s->nsts; k++)
        if (usage_plan(s->sts[k], now, &b->it[b->n]))
            b->n++;
    for (size_t i = 0; ok && i < b->n; i++) {
        for (int m = 0; ok && m < M_N; m++) {
            if (item_delta(&b->it[i], m) > 0)
                ok = send_incr(s, b, i, m);
            else
                b->get_slot[b->nget++] = (uint32_t)(i * M_N + (size_t)m);
        }
    }
    if (ok && send_final(s, b)) {
        s->batch = b; /* on_batch_done frees it, also when the link drops */
        s->batch_sent_ms = uv_now(&s->loop);
        return;
    }
    /* hiredis refused a command: drop the link (this runs the callbacks already
     * queued, with no reply) and the batch */
    link_down(s, "cannot queue a command");
    lmx_free(b->get_slot);
    lmx_free(b);
}

/* ---- the link ---- */

static void link_up(struct shared *s)
{
    s->link = LINK_UP;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->outage_logged = false;
    atomic_store(&status_now, SS_CONNECTED);
    lmx_info("shared state: connected to redis '%s:%d'", s->host, s->port);
    cd_catch_up(s);
    flush_queue(s);
}

static void link_down(struct shared *s, const char *why)
{
    redisAsyncContext *cmd = s->cmd, *sub = s->sub;

    if (s->link == LINK_DOWN && cmd == NULL && sub == NULL)
        return;
    /* cleared first: the callbacks the frees run see a stale context and ignore it */
    s->cmd = s->sub = NULL;
    s->link = LINK_DOWN;
    if (cmd != NULL)
        redisAsyncFree(cmd);
    if (sub != NULL)
        redisAsyncFree(sub);
    if (atomic_load(&s->stopping))
        return;
    atomic_store(&status_now, SS_UNREACHABLE);
    s->retry_at_ms = uv_now(&s->loop) + s->backoff_ms;
    s->backoff_ms = LMX_MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
    if (!s->outage_logged) {
        lmx_warn("shared state: cannot reach redis '%s:%d': %s; per-instance router state until "
                 "it answers",
                 s->host, s->port, why ? why : "connection lost");
        s->outage_logged = true;
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct shared *s = ac->data;

    if (status == REDIS_OK) {
        if (ac == s->cmd)
            redisEnableKeepAlive(&s->cmd->c);
        else if (ac == s->sub)
            redisEnableKeepAlive(&s->sub->c);
        return;
    }
    /* hiredis frees this context when we return: forget it, then drop the other */
    if (ac == s->cmd)
        s->cmd = NULL;
    else if (ac == s->sub)
        s->sub = NULL;
    else
        return;
    link_down(s, ac->c.errstr[0] ? ac->c.errstr : "cannot connect");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct shared *s = ac->data;

    if (ac == s->cmd)
        s->cmd = NULL;
    else if (ac == s->sub)
        s->sub = NULL;
    else
        return; /* one we freed ourselves */
    link_down(s, status != REDIS_OK && ac->c.errstr[0] ? ac->c.errstr : "connection closed");
}

/* AUTH and SELECT: an error reply (wrong password, no such db) drops the link. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct shared *s = priv;
    const redisReply *r = reply;
    char why[160];

    if (r == NULL || !is_current(s, ac) || r->type != REDIS_REPLY_ERROR)
        return;
    snprintf(why, sizeof(why), "refused: %s", r->str);
    link_down(s, why);
}

static void on_ping(redisAsyncContext *ac, void *reply, void *priv)
{
    struct shared *s = priv;
    const redisReply *r = reply;

    if (r == NULL || !is_current(s, ac))
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        char why[160];

        snprintf(why, sizeof(why), "PING refused: %s", r->str);
        link_down(s, why);
        return;
    }
    s->cmd_ready = true;
    if (s->sub_ready && s->link == LINK_CONNECTING)
        link_up(s);
}

/* Every reply on the subscriber connection: the SUBSCRIBE confirmation, then messages. */
static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct shared *s = priv;
    const redisReply *r = reply;
    const redisReply *kind;

    if (r == NULL || !is_current(s, ac) || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return;
    kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(kind->str, "subscribe") == 0) {
        s->sub_ready = true;
        if (s->cmd_ready && s->link == LINK_CONNECTING)
            link_up(s);
    } else if (strcmp(kind->str, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING) {
        on_cd_message(r->element[2]->str, r->element[2]->len);
    }
}

static redisAsyncContext *conn_open(struct shared *s, char *why, size_t whylen)
{
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);

    if (ac == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (ac->err) {
        snprintf(why, whylen, "%s", ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = s;
    if (rpoll_attach(ac, &s->loop) < 0) {
        snprintf(why, whylen, "cannot watch the socket");
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* Opens both connections and queues the setup commands (hiredis sends them once connected). */
static void link_open(struct shared *s)
{
    char why[160] = "cannot queue a command";
    bool ok = true;

    s->link = LINK_CONNECTING;
    s->link_start_ms = uv_now(&s->loop);
    s->cmd_ready = s->sub_ready = false;
    s->cmd = conn_open(s, why, sizeof(why));
    if (s->cmd == NULL)
        goto fail;
    s->sub = conn_open(s, why, sizeof(why));
    if (s->sub == NULL)
        goto fail;
    if (s->password != NULL) {
        ok = ok && redisAsyncCommand(s->cmd, on_setup_reply, s, "AUTH %s", s->password) == REDIS_OK;
        ok = ok && redisAsyncCommand(s->sub, on_setup_reply, s, "AUTH %s", s->password) == REDIS_OK;
    }
    if (s->db != 0)
        ok = ok && redisAsyncCommand(s->cmd, on_setup_reply, s, "SELECT %d", s->db) == REDIS_OK;
    ok = ok && redisAsyncCommand(s->cmd, on_ping, s, "PING") == REDIS_OK;
    ok = ok && redisAsyncCommand(s->sub, on_sub_reply, s, "SUBSCRIBE %s", CD_CHANNEL) == REDIS_OK;
    if (ok)
        return;
fail:
    link_down(s, why);
}

/* Logs cooldown events the queue dropped, at most every 10 s. */
static void report_drops(struct shared *s)
{
    uint64_t d, now = uv_now(&s->loop);

    if (s->dropped_logged_ms != 0 && now - s->dropped_logged_ms < 10000)
        return;
    uv_mutex_lock(&q.lock);
    d = q.dropped;
    uv_mutex_unlock(&q.lock);
    if (d != s->dropped_logged) {
        lmx_warn("shared state: %" PRIu64 " cooldown update(s) not shared (queue full or out of "
                 "memory)",
                 d - s->dropped_logged);
        s->dropped_logged = d;
        s->dropped_logged_ms = now;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct shared *s = t->data;
    uint64_t now = uv_now(&s->loop);

    switch (s->link) {
    case LINK_DOWN:
        if (now >= s->retry_at_ms)
            link_open(s);
        break;
    case LINK_CONNECTING:
        if (now - s->link_start_ms > CONNECT_TIMEOUT_MS)
            link_down(s, "no answer within 2 s");
        break;
    case LINK_UP:
        flush_queue(s);
        if (s->batch == NULL)
            sync_usage(s);
        else if (now - s->batch_sent_ms > REPLY_TIMEOUT_MS)
            link_down(s, "no answer within 3 s");
        break;
    }
    report_drops(s);
}

static void on_wake(uv_async_t *a)
{
    struct shared *s = a->data;

    if (atomic_load(&s->stopping)) {
        link_down(s, NULL);
        uv_close((uv_handle_t *)&s->timer, NULL);
        uv_close((uv_handle_t *)&s->wake, NULL);
        return;
    }
    flush_queue(s);
}

static void thread_main(void *arg)
{
    struct shared *s = arg;

    pthread_setname_np(pthread_self(), "llmux-shared");
    link_open(s);
    uv_timer_start(&s->timer, on_tick, SYNC_MS, SYNC_MS);
    uv_run(&s->loop, UV_RUN_DEFAULT);
}

/* ------------------------------------------------------------------------ */
/* Start, stop, reconfigure (main thread) */

static void shared_free(struct shared *s)
{
    if (s == NULL)
        return;
    lmx_free(s->host);
    lmx_free(s->password);
    lmx_free(s->sts);
    lmx_free(s);
}

static int port_of(const struct lmx_router_cfg *r)
{
    return r->redis_port > 0 ? r->redis_port : 6379;
}

static bool same_server(const struct shared *s, const struct lmx_router_cfg *r)
{
    bool pw_same = (s->password == NULL && r->redis_password == NULL) ||
                   (s->password != NULL && r->redis_password != NULL &&
                    strcmp(s->password, r->redis_password) == 0);

    return strcmp(s->host, r->redis_host) == 0 && s->port == port_of(r) && s->db == r->redis_db &&
           pw_same;
}

int lmx_shared_start(const struct lmx_router_cfg *r)
{
    struct shared *s = NULL;
    bool loop_ok = false;
    int err = LMX_ENOMEM;

    if (r == NULL || r->redis_host == NULL)
        return 0;
    if (running != NULL) {
        lmx_shared_reconfigure(r);
        return 0;
    }
    uv_once(&queue_once, queue_init);
    s = lmx_calloc(1, sizeof(*s));
    if (s == NULL)
        goto out;
    s->host = lmx_strdup(r->redis_host);
    s->password = r->redis_password != NULL ? lmx_strdup(r->redis_password) : NULL;
    if (s->host == NULL || (r->redis_password != NULL && s->password == NULL))
        goto out;
    s->port = port_of(r);
    s->db = r->redis_db;
    s->backoff_ms = BACKOFF_MIN_MS;
    err = LMX_EINTERNAL;
    if (uv_loop_init(&s->loop) != 0)
        goto out;
    loop_ok = true;
    uv_async_init(&s->loop, &s->wake, on_wake);
    uv_timer_init(&s->loop, &s->timer);
    s->wake.data = s->timer.data = s;

    lmx_info("shared state: router state shared through redis '%s:%d' (db %d)", s->host, s->port,
             s->db);
    atomic_store(&status_now, SS_CONNECTING);
    uv_mutex_lock(&q.lock);
    q.wake = &s->wake;
    uv_mutex_unlock(&q.lock);
    lmx_dstate_set_hooks(&shared_hooks);
    if (uv_thread_create(&s->thread, thread_main, s) != 0) {
        lmx_dstate_set_hooks(NULL);
        uv_mutex_lock(&q.lock);
        q.wake = NULL;
        uv_mutex_unlock(&q.lock);
        atomic_store(&status_now, SS_OFF);
        goto out;
    }
    running = s;
    s = NULL;
    err = 0;
out:
    if (loop_ok && s != NULL) {
        uv_close((uv_handle_t *)&s->wake, NULL);
        uv_close((uv_handle_t *)&s->timer, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
    }
    if (err < 0)
        lmx_error("shared state: cannot start: %s", lmx_strerror(err));
    shared_free(s);
    return err;
}

void lmx_shared_stop(void)
{
    struct shared *s = running;

    if (s == NULL)
        return;
    running = NULL;
    lmx_dstate_set_hooks(NULL);
    uv_mutex_lock(&q.lock);
    q.wake = NULL; /* a hook still running drops its event instead of waking a closed handle */
    uv_mutex_unlock(&q.lock);
    atomic_store(&s->stopping, true);
    uv_async_send(&s->wake);
    uv_thread_join(&s->thread);
    if (uv_loop_close(&s->loop) != 0)
        lmx_warn("shared state: the redis loop still had handles at stop");
    queue_clear();
    atomic_store(&status_now, SS_OFF);
    shared_free(s);
}

void lmx_shared_reconfigure(const struct lmx_router_cfg *r)
{
    bool want = r != NULL && r->redis_host != NULL;

    if (running == NULL) {
        if (want)
            lmx_shared_start(r); /* logs its failure */
        return;
    }
    if (!want) {
        lmx_info("shared state: redis no longer configured; per-instance router state");
        lmx_shared_stop();
        return;
    }
    if (same_server(running, r))
        return;
    lmx_info("shared state: redis settings changed; reconnecting");
    lmx_shared_stop();
    lmx_shared_start(r);
}

const char *lmx_shared_status(void)
{
    int v = atomic_load(&status_now);

    return v > SS_OFF && v <= SS_UNREACHABLE ? status_names[v] : NULL;
}
