/*
 * tools/mock/stats.c - llmux-mock introspection: the counters every worker
 * shares (atomics), requests per path, the last model request, and the
 * /mock/stats, /mock/last and /mock/reset routes.
 *
 * Hot-path cost per model request: a few relaxed atomic adds, one hash probe
 * in the path table (a mutex only when a path is seen for the first time),
 * one probe in the worker's own connection table, and a copy of the request
 * head and body into the worker's "last" slot under an uncontended mutex.
 *
 * The http layer does not report accepted connections, so a connection is
 * counted in accepted_conns when its first model request arrives (a worker
 * remembers connection -> peer address; a new peer on a reused connection
 * struct is a new connection). open_conns sums what each worker publishes
 * once per loop turn (lmx_http_server_conns), minus the connection that asks.
 */
#include "core/lmx.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "mock.h"

struct mock_stats mock_stats;

/* ------------------------------------------------------------------------ */
/* Requests per path: fixed open-addressing table, lock-free lookups */

#define PATHS_CAP 256
#define PATHS_MAX 192 /* distinct paths kept; later ones count under "(other)" */

struct path_slot {
    _Atomic(char *) path;
    _Atomic uint64_t n;
};

static struct path_slot paths[PATHS_CAP];
static size_t npaths;
static uv_mutex_t paths_lock;
static _Atomic uint64_t paths_other;
static _Atomic uint64_t last_seq;

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int mock_stats_init(void)
{
    if (uv_mutex_init(&paths_lock) != 0)
        return LMX_ENOMEM;
    return 0;
}

void mock_stats_free(void)
{
    for (size_t i = 0; i < PATHS_CAP; i++)
        lmx_free(atomic_load(&paths[i].path));
    uv_mutex_destroy(&paths_lock);
}

static void path_count(const char *p, size_t n)
{
    uint64_t h = hash_bytes(p, n);

    for (size_t probe = 0; probe < PATHS_CAP; probe++) {
        struct path_slot *s = &paths[(h + probe) & (PATHS_CAP - 1)];
        char *sp = atomic_load_explicit(&s->path, memory_order_acquire);

        if (sp == NULL) {
            uv_mutex_lock(&paths_lock);
            sp = atomic_load_explicit(&s->path, memory_order_relaxed);
            if (sp == NULL && npaths < PATHS_MAX) {
                sp = lmx_strndup(p, n);
                if (sp != NULL) {
                    atomic_store_explicit(&s->path, sp, memory_order_release);
                    npaths++;
                }
            }
            uv_mutex_unlock(&paths_lock);
            if (sp == NULL)
                break;
        }
        if (strncmp(sp, p, n) == 0 && sp[n] == '\0') {
            mock_inc(&s->n);
            return;
        }
    }
    mock_inc(&paths_other);
}

/* ------------------------------------------------------------------------ */
/* Connections seen by one worker */

static int seen_grow(struct mock_seen *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    uintptr_t *keys = lmx_calloc(ncap, sizeof(*keys));
    uint64_t *peers = lmx_calloc(ncap, sizeof(*peers));

    if (keys == NULL || peers == NULL) {
        lmx_free(keys);
        lmx_free(peers);
        return LMX_ENOMEM;
    }
    for (size_t i = 0; i < t->cap; i++) {
        size_t j;

        if (t->keys[i] == 0)
            continue;
        j = (size_t)(t->keys[i] >> 4) & (ncap - 1);
        while (keys[j] != 0)
            j = (j + 1) & (ncap - 1);
        keys[j] = t->keys[i];
        peers[j] = t->peers[i];
    }
    lmx_free(t->keys);
    lmx_free(t->peers);
    t->keys = keys;
    t->peers = peers;
    t->cap = ncap;
    return 0;
}

/* True when this request is the first model request seen on its connection. */
static bool seen_is_new(struct mock_seen *t, const struct lmx_http_req *req)
{
    uintptr_t key = (uintptr_t)req->conn;
    uint64_t peer = hash_bytes(req->peer, strlen(req->peer)) | 1;
    size_t j;

    if ((t->len + 1) * 2 > t->cap && seen_grow(t) < 0)
        return true; /* out of memory: count it, the table stays as it was */
    j = (size_t)(key >> 4) & (t->cap - 1);
    while (t->keys[j] != 0 && t->keys[j] != key)
        j = (j + 1) & (t->cap - 1);
    if (t->keys[j] == key && t->peers[j] == peer)
        return false;
    if (t->keys[j] == 0)
        t->len++;
    t->keys[j] = key;
    t->peers[j] = peer;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Per worker */

void mock_worker_stats_init(struct mock_worker *w)
{
    uv_mutex_init(&w->last.lock);
    lmx_buf_init(&w->last.data, SIZE_MAX / 2);
    w->last.seq = 0;
}

void mock_worker_stats_release(struct mock_worker *w)
{
    lmx_buf_release(&w->last.data);
    uv_mutex_destroy(&w->last.lock);
    lmx_free(w->seen.keys);
    lmx_free(w->seen.peers);
    memset(&w->seen, 0, sizeof(w->seen));
}

static int last_record(struct mock_last *l, const struct lmx_http_req *req)
{
    struct lmx_buf *b = &l->data;
    int err;

    lmx_buf_reset(b);
    err = lmx_buf_append(b, req->method_str, strlen(req->method_str) + 1);
    if (err == 0)
        err = lmx_buf_append(b, req->path, req->path_len + 1);
    if (err == 0)
        err = lmx_buf_append(b, req->query, strlen(req->query) + 1);
    for (size_t i = 0; err == 0 && i < req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &req->hdrs[i];

        err = lmx_buf_append(b, h->name, h->name_len);
        if (err == 0)
            err = lmx_buf_append(b, "", 1);
        if (err == 0)
            err = lmx_buf_append(b, h->value, h->value_len);
        if (err == 0)
            err = lmx_buf_append(b, "", 1);
    }
    l->nhdrs = req->nhdrs;
    l->body_off = b->len;
    if (err == 0)
        err = lmx_buf_append(b, req->body.data, req->body.len);
    return err;
}

void mock_stats_count(struct mock_worker *w, struct lmx_http_req *req)
{
    uint64_t seq = atomic_fetch_add_explicit(&last_seq, 1, memory_order_relaxed) + 1;

    mock_inc(&mock_stats.requests);
    path_count(req->path, req->path_len);
    if (seen_is_new(&w->seen, req))
        mock_inc(&mock_stats.accepted_conns);
    uv_mutex_lock(&w->last.lock);
    w->last.seq = last_record(&w->last, req) == 0 ? seq : 0;
    uv_mutex_unlock(&w->last.lock);
}

/* ------------------------------------------------------------------------ */
/* Routes */

static void send_json(struct lmx_http_req *req, int status, const struct lmx_buf *b)
{
    lmx_http_res_send(req, status, NULL, 0, "application/json", b->data, b->len);
}

static int stats_json(struct mock_worker *self, struct lmx_buf *b)
{
    uint64_t open = 0;
    bool first = true;
    int err;

    for (int i = 0; i < mock_nworkers; i++) {
        struct mock_worker *w = &mock_workers[i];

        if (w == self)
            open += lmx_http_server_conns(w->srv);
        else
            open += atomic_load_explicit(&w->nconns, memory_order_relaxed);
    }
    open = open > 0 ? open - 1 : 0; /* not the connection asking */
    err = lmx_buf_printf(b, "{\"requests\":%" PRIu64 ",\"by_path\":{",
                         atomic_load_explicit(&mock_stats.requests, memory_order_relaxed));
    for (size_t i = 0; err == 0 && i < PATHS_CAP; i++) {
        char *p = atomic_load_explicit(&paths[i].path, memory_order_acquire);
        uint64_t n = atomic_load_explicit(&paths[i].n, memory_order_relaxed);

        if (p == NULL || n == 0)
            continue;
        if (!first)
            err = lmx_buf_puts(b, ",");
        first = false;
        if (err == 0)
            err = lmx_buf_json_str(b, p, strlen(p));
        if (err == 0)
            err = lmx_buf_printf(b, ":%" PRIu64, n);
    }
    if (err == 0 && atomic_load(&paths_other) > 0)
        err = lmx_buf_printf(b, "%s\"(other)\":%" PRIu64, first ? "" : ",",
                             atomic_load(&paths_other));
    if (err == 0) {
        int64_t inflight = atomic_load_explicit(&mock_stats.inflight, memory_order_relaxed);

        err = lmx_buf_printf(b,
                             "},\"open_conns\":%" PRIu64 ",\"accepted_conns\":%" PRIu64
                             ",\"client_aborts\":%" PRIu64 ",\"inflight\":%" PRId64 "}",
                             open,
                             atomic_load_explicit(&mock_stats.accepted_conns, memory_order_relaxed),
                             atomic_load_explicit(&mock_stats.client_aborts, memory_order_relaxed),
                             inflight > 0 ? inflight : 0);
    }
    return err;
}

/* Builds the /mock/last object from one worker's slot (its lock held). */
static json_t *last_json(const struct mock_last *l)
{
    const char *p = l->data.data;
    const char *method = p, *path, *query;
    json_t *o = json_object(), *hdrs = json_object(), *body;

    if (o == NULL || hdrs == NULL)
        goto fail;
    path = method + strlen(method) + 1;
    query = path + strlen(path) + 1;
    p = query + strlen(query) + 1;
    for (size_t i = 0; i < l->nhdrs; i++) {
        const char *name = p, *value = p + strlen(p) + 1;

        json_object_set_new(hdrs, name, json_string(value));
        p = value + strlen(value) + 1;
    }
    body = json_loadb(l->data.data + l->body_off, l->data.len - l->body_off, JSON_DECODE_ANY, NULL);
    if (body == NULL)
        body = json_stringn(l->data.data + l->body_off, l->data.len - l->body_off);
    if (json_object_set_new(o, "method", json_string(method)) < 0 ||
        json_object_set_new(o, "path", json_string(path)) < 0 ||
        json_object_set_new(o, "query", json_string(query)) < 0 ||
        json_object_set_new(o, "body", body != NULL ? body : json_null()) < 0 ||
        json_object_set_new(o, "headers", hdrs) < 0) {
        hdrs = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(hdrs);
    json_decref(o);
    return NULL;
}

static void route_last(struct lmx_http_req *req)
{
    struct mock_worker *best = NULL;
    uint64_t best_seq = 0;
    json_t *o = NULL;
    char *text = NULL;

    for (int i = 0; i < mock_nworkers; i++) {
        struct mock_worker *w = &mock_workers[i];

        uv_mutex_lock(&w->last.lock);
        if (w->last.seq > best_seq) {
            best_seq = w->last.seq;
            best = w;
        }
        uv_mutex_unlock(&w->last.lock);
    }
    if (best != NULL) {
        uv_mutex_lock(&best->last.lock);
        if (best->last.seq != 0) /* a reset may have come in between */
            o = last_json(&best->last);
        uv_mutex_unlock(&best->last.lock);
    }
    if (best != NULL && o == NULL && best_seq != 0) {
        /* only out of memory gets here (or a reset raced us) */
        lmx_http_res_send(req, 503, NULL, 0, "application/json", "{}", 2);
        return;
    }
    text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text != NULL)
        lmx_http_res_send(req, 200, NULL, 0, "application/json", text, strlen(text));
    else
        lmx_http_res_send(req, 200, NULL, 0, "application/json", "{}", 2);
    lmx_free(text); /* jansson allocates with lmx_malloc (lmx_alloc_install) */
    json_decref(o);
}

static void route_reset(void)
{
    atomic_store(&mock_stats.requests, 0);
    atomic_store(&mock_stats.accepted_conns, 0);
    atomic_store(&mock_stats.client_aborts, 0);
    atomic_store(&mock_stats.next_id, 0);
    atomic_store(&paths_other, 0);
    for (size_t i = 0; i < PATHS_CAP; i++)
        atomic_store(&paths[i].n, 0);
    for (int i = 0; i < mock_nworkers; i++) {
        uv_mutex_lock(&mock_workers[i].last.lock);
        mock_workers[i].last.seq = 0;
        uv_mutex_unlock(&mock_workers[i].last.lock);
    }
    mock_log_clear();
}

bool mock_stats_route(struct mock_worker *w, struct lmx_http_req *req)
{
    struct lmx_buf *b = &w->scratch;
    const char *p = req->path + 5; /* after "/mock" */

    lmx_buf_reset(b);
    if (strcmp(p, "/stats") == 0 && req->method == LMX_HTTP_GET) {
        if (stats_json(w, b) == 0)
            send_json(req, 200, b);
        else
            lmx_http_res_send(req, 503, NULL, 0, "application/json", "{}", 2);
        return true;
    }
    if (strcmp(p, "/last") == 0 && req->method == LMX_HTTP_GET) {
        route_last(req);
        return true;
    }
    if (strcmp(p, "/reset") == 0 && (req->method == LMX_HTTP_POST || req->method == LMX_HTTP_GET)) {
        route_reset();
        lmx_http_res_send(req, 200, NULL, 0, "application/json", "{\"reset\":true}", 14);
        return true;
    }
    if (strcmp(p, "/stats") == 0 || strcmp(p, "/last") == 0 || strcmp(p, "/reset") == 0) {
        lmx_http_res_send(req, 405, NULL, 0, "application/json",
                          "{\"error\":{\"message\":\"method not allowed\"}}", 41);
        return true;
    }
    return false;
}
