/*
 * store/respstore.c - the Responses API store (see respstore.h): a memory map
 * with LRU eviction in front of an optional SQLite table.
 *
 * Locks: `mu` guards the map, the LRU list and the counters; `qmu` (with `qcv`)
 * guards the write queue; `rmu` serialises the read connection. No lock is
 * held while SQLite works, except rmu around one read, and mu is never taken
 * while holding qmu.
 *
 * A delete of a persisted record leaves a tombstone in memory until the writer
 * has run the DELETE, so a read in between cannot bring the row back from
 * disk. Each record carries the sequence number of its last change; the
 * writer removes a tombstone only when it is still the one its DELETE was for.
 *
 * Why reads hit SQLite from the caller's thread: a miss is rare (the map holds
 * the recent responses, and previous_response_id is nearly always recent), it
 * is one primary-key lookup on a WAL database (readers never wait for the
 * writer), and the dialect interface has no way to suspend a request. The
 * read connection is separate from the writer's so the two never share a
 * handle or a lock.
 *
 * The database opens at its first use, not at start (ensure_db): idle memory
 * and start-up time stay as if there were no store until a response is kept.
 */
#include "core/lmx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "store/respstore.h"

#define ENTRY_OVERHEAD 96 /* bookkeeping bytes counted per record */

struct rs_entry {
    struct rs_entry *hnext; /* hash chain */
    struct rs_entry *prev;  /* LRU list: head.next is the most recent */
    struct rs_entry *next;
    char *id;
    char *body; /* NULL: a tombstone (deleted, DELETE not yet written) */
    size_t len;
    size_t cost;
    uint64_t seq;
};

enum rs_op_kind { OP_PUT, OP_DELETE };

struct rs_op {
    struct rs_op *next;
    enum rs_op_kind kind;
    uint64_t seq;
    char *id;
    char *body;
    size_t len;
};

static struct {
    pthread_mutex_t mu;
    struct rs_entry **buckets;
    size_t nbuckets;
    struct rs_entry lru; /* sentinel */
    size_t count, bytes;
    size_t max_entries, max_bytes;
    uint64_t seq;
    struct lmx_respstore_stats st;

    atomic_bool persistent; /* the database is open (at first use, see ensure_db) */
    char *path;             /* set by open: the database to open at first use */
    bool failed;            /* opening it failed: memory only from then on */
    pthread_mutex_t omu;    /* the first use's open */
    sqlite3 *wdb;
    sqlite3 *rdb;
    sqlite3_stmt *rd_stmt;
    pthread_mutex_t rmu;

    pthread_t writer;
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    struct rs_op *q_head, *q_tail;
    size_t q_len, q_bytes;
    bool stopping;
} S = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .omu = PTHREAD_MUTEX_INITIALIZER,
    .rmu = PTHREAD_MUTEX_INITIALIZER,
    .qmu = PTHREAD_MUTEX_INITIALIZER,
    .qcv = PTHREAD_COND_INITIALIZER,
};

/* ------------------------------------------------------------------------ */
/* The memory map (callers hold mu) */

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static size_t limit_entries(void)
{
    return S.max_entries != 0 ? S.max_entries : LMX_RESPSTORE_MAX_ENTRIES;
}

static size_t limit_bytes(void)
{
    return S.max_bytes != 0 ? S.max_bytes : LMX_RESPSTORE_MAX_BYTES;
}

static int map_ready(void)
{
    if (S.buckets != NULL)
        return 0;
    S.nbuckets = 1024;
    S.buckets = lmx_calloc(S.nbuckets, sizeof(*S.buckets));
    if (S.buckets == NULL)
        return LMX_ENOMEM;
    S.lru.next = S.lru.prev = &S.lru;
    return 0;
}

/* Doubles the table when it is fuller than one record per bucket; failure is harmless. */
static void map_grow(void)
{
    size_t n = S.nbuckets * 2;
    struct rs_entry **nb;

    if (S.count <= S.nbuckets)
        return;
    nb = lmx_calloc(n, sizeof(*nb));
    if (nb == NULL)
        return;
    for (size_t i = 0; i < S.nbuckets; i++) {
        struct rs_entry *e = S.buckets[i], *next;

        for (; e != NULL; e = next) {
            size_t b = (size_t)(hash_id(e->id) & (n - 1));

            next = e->hnext;
            e->hnext = nb[b];
            nb[b] = e;
        }
    }
    lmx_free(S.buckets);
    S.buckets = nb;
    S.nbuckets = n;
}

static struct rs_entry **map_slot(const char *id)
{
    struct rs_entry **p = &S.buckets[hash_id(id) & (S.nbuckets - 1)];

    while (*p != NULL && strcmp((*p)->id, id) != 0)
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(struct rs_entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void lru_push_front(struct rs_entry *e)
{
    e->next = S.lru.next;
    e->prev = &S.lru;
    S.lru.next->prev = e;
    S.lru.next = e;
}

static void entry_free(struct rs_entry *e)
{
    if (e == NULL)
        return;
    lmx_free(e->id);
    lmx_free(e->body);
    lmx_free(e);
}

/* Unlinks and frees the record of `slot`. */
static void map_remove(struct rs_entry **slot)
{
    struct rs_entry *e = *slot;

    *slot = e->hnext;
    lru_unlink(e);
    S.count--;
    S.bytes -= e->cost;
    entry_free(e);
}

static void map_evict(void)
{
    while (S.count > 0 && (S.count > limit_entries() || S.bytes > limit_bytes())) {
        struct rs_entry *victim = S.lru.prev;

        map_remove(map_slot(victim->id));
        S.st.evicted++;
    }
}

/*
 * Puts a record (body NULL: a tombstone) taking ownership of body. Returns 0
 * or LMX_ENOMEM (body freed).
 */
static int map_set(const char *id, char *body, size_t len, uint64_t seq)
{
    struct rs_entry **slot;
    struct rs_entry *e;

    if (map_ready() < 0) {
        lmx_free(body);
        return LMX_ENOMEM;
    }
    slot = map_slot(id);
    if (*slot != NULL)
        map_remove(slot);
    e = lmx_calloc(1, sizeof(*e));
    if (e != NULL)
        e->id = lmx_strdup(id);
    if (e == NULL || e->id == NULL) {
        lmx_free(e);
        lmx_free(body);
        return LMX_ENOMEM;
    }
    e->body = body;
    e->len = len;
    e->seq = seq;
    e->cost = len + strlen(id) + ENTRY_OVERHEAD;
    e->hnext = *slot;
    *slot = e;
    lru_push_front(e);
    S.count++;
    S.bytes += e->cost;
    map_evict();
    map_grow();
    return 0;
}

/* The record of id (tombstones too), made the most recent; NULL when absent. */
static struct rs_entry *map_find(const char *id)
{
    struct rs_entry *e;

    if (S.buckets == NULL)
        return NULL;
    e = *map_slot(id);
    if (e != NULL) {
        lru_unlink(e);
        lru_push_front(e);
    }
    return e;
}

static void map_clear(void)
{
    for (size_t i = 0; S.buckets != NULL && i < S.nbuckets; i++) {
        struct rs_entry *e = S.buckets[i], *next;

        for (; e != NULL; e = next) {
            next = e->hnext;
            entry_free(e);
        }
    }
    lmx_free(S.buckets);
    S.buckets = NULL;
    S.nbuckets = 0;
    S.count = S.bytes = 0;
}

/* ------------------------------------------------------------------------ */
/* The write queue and its thread */

static void op_free(struct rs_op *op)
{
    if (op == NULL)
        return;
    lmx_free(op->id);
    lmx_free(op->body);
    lmx_free(op);
}

/* Queues a disk write (taking op). Returns 0, or LMX_ETOOBIG when the queue is full (op freed). */
static int queue_push(struct rs_op *op)
{
    bool full;

    pthread_mutex_lock(&S.qmu);
    full = S.q_len >= LMX_RESPSTORE_QUEUE_MAX || S.q_bytes + op->len > limit_bytes();
    if (!full) {
        op->next = NULL;
        if (S.q_tail != NULL)
            S.q_tail->next = op;
        else
            S.q_head = op;
        S.q_tail = op;
        S.q_len++;
        S.q_bytes += op->len;
        pthread_cond_signal(&S.qcv);
    }
    pthread_mutex_unlock(&S.qmu);
    if (full) {
        uint64_t n;

        pthread_mutex_lock(&S.mu);
        n = ++S.st.queue_dropped;
        pthread_mutex_unlock(&S.mu);
        if ((n & (n - 1)) == 0) /* the 1st, 2nd, 4th, 8th... drop */
            lmx_warn("response store: write queue full; %llu write(s) of '%s' and others not "
                     "saved to disk",
                     (unsigned long long)n, op->id);
        op_free(op);
        return LMX_ETOOBIG;
    }
    return 0;
}

static int queue_op(enum rs_op_kind kind, const char *id, const char *body, size_t len,
                    uint64_t seq)
{
    struct rs_op *op = lmx_calloc(1, sizeof(*op));

    if (op == NULL)
        return LMX_ENOMEM;
    op->kind = kind;
    op->seq = seq;
    op->id = lmx_strdup(id);
    op->body = body != NULL ? lmx_strndup(body, len) : NULL;
    op->len = len;
    if (op->id == NULL || (body != NULL && op->body == NULL)) {
        op_free(op);
        return LMX_ENOMEM;
    }
    return queue_push(op);
}

/* Runs one batch in a transaction; returns how many writes SQLite refused. */
static uint64_t write_batch(sqlite3_stmt *ins, sqlite3_stmt *del, struct rs_op *ops)
{
    uint64_t failed = 0;
    int64_t now = (int64_t)time(NULL);

    sqlite3_exec(S.wdb, "BEGIN", NULL, NULL, NULL);
    for (struct rs_op *op = ops; op != NULL; op = op->next) {
        sqlite3_stmt *s = op->kind == OP_PUT ? ins : del;

        sqlite3_bind_text(s, 1, op->id, -1, SQLITE_STATIC);
        if (op->kind == OP_PUT) {
            sqlite3_bind_text(s, 2, op->body, (int)op->len, SQLITE_STATIC);
            sqlite3_bind_int64(s, 3, now);
        }
        if (sqlite3_step(s) != SQLITE_DONE) {
            failed++;
            lmx_warn("response store: cannot write '%s': %s", op->id, sqlite3_errmsg(S.wdb));
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    if (sqlite3_exec(S.wdb, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        lmx_warn("response store: cannot commit: %s", sqlite3_errmsg(S.wdb));
        sqlite3_exec(S.wdb, "ROLLBACK", NULL, NULL, NULL);
        failed = 0;
        for (struct rs_op *op = ops; op != NULL; op = op->next)
            failed++;
    }
    return failed;
}

static void *writer_main(void *arg)
{
    sqlite3_stmt *ins = NULL, *del = NULL;

    LMX_UNUSED(arg);
    sqlite3_prepare_v2(S.wdb,
                       "INSERT OR REPLACE INTO llmux_responses (id, body, created_at) "
                       "VALUES (?1, ?2, ?3)",
                       -1, &ins, NULL);
    sqlite3_prepare_v2(S.wdb, "DELETE FROM llmux_responses WHERE id = ?1", -1, &del, NULL);
    for (;;) {
        struct rs_op *batch;
        uint64_t failed;

        pthread_mutex_lock(&S.qmu);
        while (S.q_head == NULL && !S.stopping)
            pthread_cond_wait(&S.qcv, &S.qmu);
        batch = S.q_head;
        S.q_head = S.q_tail = NULL;
        S.q_len = S.q_bytes = 0;
        pthread_mutex_unlock(&S.qmu);
        if (batch == NULL)
            break; /* stopping, and nothing left */
        failed = ins != NULL && del != NULL ? write_batch(ins, del, batch) : 0;

        pthread_mutex_lock(&S.mu);
        S.st.write_failures += failed;
        for (struct rs_op *op = batch; op != NULL; op = op->next) {
            struct rs_entry **slot;

            if (op->kind != OP_DELETE || S.buckets == NULL)
                continue;
            slot = map_slot(op->id);
            if (*slot != NULL && (*slot)->body == NULL && (*slot)->seq == op->seq)
                map_remove(slot); /* the row is gone from disk too */
        }
        pthread_mutex_unlock(&S.mu);
        while (batch != NULL) {
            struct rs_op *next = batch->next;

            op_free(batch);
            batch = next;
        }
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Disk reads */

/*
 * Reads the row of id into a new lmx_malloc'd string. Returns 1 and sets
 * *out and *len when found, 0 when absent, a negative code on failure.
 */
static int disk_read(const char *id, char **out, size_t *len)
{
    int rc, ret = 0;

    pthread_mutex_lock(&S.rmu);
    if (S.rd_stmt == NULL) {
        pthread_mutex_unlock(&S.rmu);
        return 0;
    }
    sqlite3_bind_text(S.rd_stmt, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(S.rd_stmt);
    if (rc == SQLITE_ROW) {
        const char *b = (const char *)sqlite3_column_text(S.rd_stmt, 0);
        size_t n = (size_t)sqlite3_column_bytes(S.rd_stmt, 0);

        *out = b != NULL ? lmx_strndup(b, n) : NULL;
        *len = n;
        ret = *out != NULL ? 1 : LMX_ENOMEM;
    } else if (rc != SQLITE_DONE) {
        lmx_warn("response store: cannot read '%s': %s", id, sqlite3_errmsg(S.rdb));
        ret = LMX_EIO;
    }
    sqlite3_reset(S.rd_stmt);
    sqlite3_clear_bindings(S.rd_stmt);
    pthread_mutex_unlock(&S.rmu);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* API */

static void db_close_all(void)
{
    sqlite3_finalize(S.rd_stmt);
    S.rd_stmt = NULL;
    sqlite3_close(S.rdb);
    S.rdb = NULL;
    sqlite3_close(S.wdb);
    S.wdb = NULL;
}

/* Opens the database and starts the writer (the first use after open). Caller holds omu. */
static int db_open(const char *path)
{
    static const char setup[] = "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=NORMAL;"
                                "CREATE TABLE IF NOT EXISTS llmux_responses ("
                                " id TEXT PRIMARY KEY,"
                                " body TEXT NOT NULL,"
                                " created_at INTEGER NOT NULL)";
    const char *what = "open";

    if (sqlite3_open_v2(path, &S.wdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(S.wdb, 5000);
    what = "set up";
    if (sqlite3_exec(S.wdb, setup, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    what = "open for reading";
    if (sqlite3_open_v2(path, &S.rdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(S.rdb, 1000);
    if (sqlite3_prepare_v2(S.rdb, "SELECT body FROM llmux_responses WHERE id = ?1", -1,
                           &S.rd_stmt, NULL) != SQLITE_OK)
        goto fail;
    S.stopping = false;
    if (pthread_create(&S.writer, NULL, writer_main, NULL) != 0) {
        what = "start the writer of";
        goto fail;
    }
    S.persistent = true;
    return 0;
fail:
    lmx_error("response store: cannot %s '%s': %s; responses are kept in memory only", what,
              path, S.rdb != NULL ? sqlite3_errmsg(S.rdb)
                    : S.wdb != NULL ? sqlite3_errmsg(S.wdb)
                                    : "out of memory");
    db_close_all();
    return LMX_EIO;
}

/*
 * The database, opened at its first use (a response stored, or a miss in
 * memory read from disk), not at start: a process that never stores a
 * response never loads SQLite's pages or starts the writer thread. Returns
 * whether it is open; a failure is logged once and leaves memory only.
 */
static bool ensure_db(void)
{
    if (atomic_load(&S.persistent))
        return true;
    if (S.path == NULL)
        return false;
    pthread_mutex_lock(&S.omu);
    if (!atomic_load(&S.persistent) && !S.failed && S.path != NULL && db_open(S.path) < 0)
        S.failed = true;
    pthread_mutex_unlock(&S.omu);
    return atomic_load(&S.persistent);
}

int lmx_respstore_open(const char *path)
{
    char dir[4096];
    const char *slash;

    if (path == NULL)
        return 0;
    if (S.path != NULL || S.persistent)
        return LMX_EINTERNAL;
    /* cheap checks now, so a wrong path is reported at start; SQLite opens at first use */
    slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - path) : 1,
             slash != NULL ? path : ".");
    if (dir[0] == '\0')
        snprintf(dir, sizeof(dir), "/");
    if (access(dir, W_OK | X_OK) != 0) {
        lmx_error("response store: cannot use '%s' (directory not writable); responses are "
                  "kept in memory only",
                  path);
        return LMX_EIO;
    }
    S.path = lmx_strdup(path);
    if (S.path == NULL)
        return LMX_ENOMEM;
    S.failed = false;
    return 0;
}

void lmx_respstore_close(void)
{
    if (S.persistent) {
        pthread_mutex_lock(&S.qmu);
        S.stopping = true;
        pthread_cond_signal(&S.qcv);
        pthread_mutex_unlock(&S.qmu);
        pthread_join(S.writer, NULL);
        pthread_mutex_lock(&S.rmu);
        db_close_all();
        pthread_mutex_unlock(&S.rmu);
        S.persistent = false;
    }
    lmx_free(S.path);
    S.path = NULL;
    S.failed = false;
    pthread_mutex_lock(&S.mu);
    map_clear();
    memset(&S.st, 0, sizeof(S.st));
    pthread_mutex_unlock(&S.mu);
}

int lmx_respstore_put(const char *id, const char *json, size_t len)
{
    char *copy;
    uint64_t seq;
    int err;

    if (id == NULL || id[0] == '\0')
        return LMX_EBADREQ;
    copy = lmx_strndup(json, len);
    if (copy == NULL)
        return LMX_ENOMEM;
    pthread_mutex_lock(&S.mu);
    seq = ++S.seq;
    err = map_set(id, copy, len, seq);
    pthread_mutex_unlock(&S.mu);
    if (err < 0)
        return err;
    if (ensure_db())
        queue_op(OP_PUT, id, json, len, seq); /* a dropped write is counted and logged */
    return 0;
}

char *lmx_respstore_get(const char *id, size_t *len)
{
    struct rs_entry *e;
    char *out = NULL;
    size_t n = 0;
    int found;

    if (id == NULL || id[0] == '\0')
        goto out;
    pthread_mutex_lock(&S.mu);
    e = map_find(id);
    if (e != NULL) {
        if (e->body != NULL) {
            out = lmx_strndup(e->body, e->len);
            n = e->len;
        }
        pthread_mutex_unlock(&S.mu);
        goto out;
    }
    pthread_mutex_unlock(&S.mu);
    if (!ensure_db())
        goto out;
    found = disk_read(id, &out, &n);
    if (found <= 0)
        goto out;
    pthread_mutex_lock(&S.mu);
    S.st.disk_reads++;
    e = map_find(id);
    if (e != NULL) {
        /* changed while we read: memory is newer than the disk */
        lmx_free(out);
        out = e->body != NULL ? lmx_strndup(e->body, e->len) : NULL;
        n = e->len;
    } else {
        char *keep = lmx_strndup(out, n);

        if (keep != NULL)
            map_set(id, keep, n, 0); /* seq 0: older than any change made since */
    }
    pthread_mutex_unlock(&S.mu);
out:
    if (len != NULL)
        *len = out != NULL ? n : 0;
    return out;
}

int lmx_respstore_delete(const char *id)
{
    struct rs_entry *e;
    bool existed = false, disk;
    uint64_t seq;
    char *body = NULL;
    size_t n;

    if (id == NULL || id[0] == '\0')
        return LMX_ENOTFOUND;
    disk = ensure_db();
    pthread_mutex_lock(&S.mu);
    e = map_find(id);
    if (e != NULL) {
        existed = e->body != NULL;
        if (!disk && existed)
            map_remove(map_slot(id));
    }
    pthread_mutex_unlock(&S.mu);
    if (!disk || (e != NULL && !existed)) /* a tombstone: already being deleted */
        return existed ? 0 : LMX_ENOTFOUND;
    if (e == NULL) {
        existed = disk_read(id, &body, &n) > 0;
        lmx_free(body);
    }
    if (!existed)
        return LMX_ENOTFOUND;
    pthread_mutex_lock(&S.mu);
    seq = ++S.seq;
    map_set(id, NULL, 0, seq); /* the tombstone; on failure the disk row may serve again */
    pthread_mutex_unlock(&S.mu);
    queue_op(OP_DELETE, id, NULL, 0, seq);
    return 0;
}

void lmx_respstore_set_limits(size_t max_entries, size_t max_bytes)
{
    pthread_mutex_lock(&S.mu);
    S.max_entries = max_entries;
    S.max_bytes = max_bytes;
    if (S.buckets != NULL)
        map_evict();
    pthread_mutex_unlock(&S.mu);
}

void lmx_respstore_get_stats(struct lmx_respstore_stats *out)
{
    pthread_mutex_lock(&S.mu);
    *out = S.st;
    out->entries = S.count;
    out->bytes = S.bytes;
    pthread_mutex_unlock(&S.mu);
}
