/*
 * tests/unit/store/respstore.c - the response store: memory put/get/delete,
 * LRU eviction by count and by bytes, persistence across close/open (reads
 * that miss memory come from SQLite, deletes reach the disk), and many
 * threads at once.
 */
#include "core/lmx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "test.h"

#include "../../../src/store/respstore.c"

static char dir[256];
static char dbpath[300];

static bool has(const char *id, const char *want)
{
    size_t len = 0;
    char *v = lmx_respstore_get(id, &len);
    bool ok = v != NULL && strlen(want) == len && strcmp(v, want) == 0;

    lmx_free(v);
    return ok;
}

static bool absent(const char *id)
{
    size_t len = 7;
    char *v = lmx_respstore_get(id, &len);

    lmx_free(v);
    return v == NULL && len == 0;
}

static void test_memory(void)
{
    ASSERT_EQ(lmx_respstore_put("resp_a", "{\"a\":1}", 7), 0);
    ASSERT_EQ(lmx_respstore_put("resp_b", "{\"b\":2}xx", 7), 0); /* len counts, not the NUL */
    ASSERT(has("resp_a", "{\"a\":1}"));
    ASSERT(has("resp_b", "{\"b\":2}"));
    ASSERT(absent("resp_c"));
    ASSERT(absent(""));
    ASSERT_EQ(lmx_respstore_put("", "x", 1), LMX_EBADREQ);
    ASSERT_EQ(lmx_respstore_put("resp_a", "{\"a\":3}", 7), 0); /* replaces */
    ASSERT(has("resp_a", "{\"a\":3}"));
    ASSERT_EQ(lmx_respstore_delete("resp_a"), 0);
    ASSERT_EQ(lmx_respstore_delete("resp_a"), LMX_ENOTFOUND);
    ASSERT(absent("resp_a"));
    ASSERT(has("resp_b", "{\"b\":2}"));
    lmx_respstore_close();
    ASSERT(absent("resp_b")); /* close empties memory */
}

static void test_evict_count(void)
{
    char id[32];
    struct lmx_respstore_stats s;

    lmx_respstore_set_limits(3, 0);
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "r%d", i);
        ASSERT_EQ(lmx_respstore_put(id, "{}", 2), 0);
        if (i == 2)
            ASSERT(has("r0", "{}")); /* r0 becomes the most recent: r1 goes first */
    }
    ASSERT(has("r0", "{}"));
    ASSERT(absent("r1"));
    ASSERT(absent("r2"));
    ASSERT(has("r3", "{}"));
    ASSERT(has("r4", "{}"));
    lmx_respstore_get_stats(&s);
    ASSERT_EQ(s.entries, 3);
    ASSERT_EQ(s.evicted, 2);
    lmx_respstore_close();
    lmx_respstore_set_limits(0, 0);
}

static void test_evict_bytes(void)
{
    char body[1000];
    struct lmx_respstore_stats s;

    memset(body, 'x', sizeof(body));
    /* room for two records of ~1.1 KB each, not three */
    lmx_respstore_set_limits(0, 2 * (sizeof(body) + 2 + ENTRY_OVERHEAD) + 10);
    ASSERT_EQ(lmx_respstore_put("b1", body, sizeof(body)), 0);
    ASSERT_EQ(lmx_respstore_put("b2", body, sizeof(body)), 0);
    ASSERT_EQ(lmx_respstore_put("b3", body, sizeof(body)), 0);
    ASSERT(absent("b1"));
    lmx_respstore_get_stats(&s);
    ASSERT_EQ(s.entries, 2);
    ASSERT(s.bytes <= 2 * (sizeof(body) + 2 + ENTRY_OVERHEAD) + 10);
    /* one record larger than the whole map is not kept (memory only) */
    lmx_respstore_set_limits(0, 100);
    ASSERT(absent("b2"));
    ASSERT(absent("b3"));
    ASSERT_EQ(lmx_respstore_put("big", body, sizeof(body)), 0);
    ASSERT(absent("big"));
    lmx_respstore_close();
    lmx_respstore_set_limits(0, 0);
}

static void test_persist(void)
{
    struct lmx_respstore_stats s;

    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    ASSERT_EQ(lmx_respstore_open(dbpath), LMX_EINTERNAL); /* already open */
    ASSERT_EQ(lmx_respstore_put("p1", "{\"n\":1}", 7), 0);
    ASSERT_EQ(lmx_respstore_put("p2", "{\"n\":2}", 7), 0);
    ASSERT_EQ(lmx_respstore_put("p3", "{\"n\":3}", 7), 0);
    ASSERT_EQ(lmx_respstore_delete("p2"), 0);
    ASSERT(absent("p2")); /* the tombstone answers until the DELETE is written */
    ASSERT_EQ(lmx_respstore_delete("p2"), LMX_ENOTFOUND);
    lmx_respstore_close(); /* drains the queue */

    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    ASSERT(has("p1", "{\"n\":1}")); /* from disk */
    ASSERT(has("p1", "{\"n\":1}")); /* now from memory */
    ASSERT(absent("p2"));
    ASSERT(has("p3", "{\"n\":3}"));
    lmx_respstore_get_stats(&s);
    ASSERT_EQ(s.disk_reads, 2);
    ASSERT_EQ(s.queue_dropped, 0);
    ASSERT_EQ(s.write_failures, 0);
    lmx_respstore_close();

    /* a delete of a record only on disk */
    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    ASSERT_EQ(lmx_respstore_delete("p3"), 0);
    ASSERT(absent("p3"));
    ASSERT_EQ(lmx_respstore_delete("nope"), LMX_ENOTFOUND);
    lmx_respstore_close();
    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    ASSERT(absent("p3"));
    ASSERT(has("p1", "{\"n\":1}"));
    lmx_respstore_close();

    /* evicted from memory, still served from disk */
    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    lmx_respstore_set_limits(1, 0);
    ASSERT_EQ(lmx_respstore_put("e1", "{\"e\":1}", 7), 0);
    ASSERT_EQ(lmx_respstore_put("e2", "{\"e\":2}", 7), 0);
    for (int i = 0; i < 200 && !has("e1", "{\"e\":1}"); i++)
        usleep(10000); /* the writer may not have written e1 yet */
    ASSERT(has("e1", "{\"e\":1}"));
    lmx_respstore_close();
    lmx_respstore_set_limits(0, 0);
}

static void test_open_fails(void)
{
    char bad[400];

    snprintf(bad, sizeof(bad), "%s/no/such/dir/x.db", dir);
    ASSERT_EQ(lmx_respstore_open(bad), LMX_EIO);
    ASSERT_EQ(lmx_respstore_open(NULL), 0);
    ASSERT_EQ(lmx_respstore_put("m", "{}", 2), 0); /* memory still works */
    ASSERT(has("m", "{}"));
    lmx_respstore_close();
}

struct worker_arg {
    int n;
    int failures;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    char id[32], body[64];

    for (int i = 0; i < 500; i++) {
        int len;

        snprintf(id, sizeof(id), "t%d-%d", a->n, i);
        len = snprintf(body, sizeof(body), "{\"t\":%d,\"i\":%d}", a->n, i);
        if (lmx_respstore_put(id, body, (size_t)len) < 0 || !has(id, body))
            a->failures++;
        if (i % 3 == 0 && lmx_respstore_delete(id) < 0)
            a->failures++;
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    struct worker_arg a[4];

    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    for (int i = 0; i < 4; i++) {
        a[i] = (struct worker_arg){i, 0};
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ASSERT_EQ(a[i].failures, 0);
    }
    lmx_respstore_close();
    ASSERT_EQ(lmx_respstore_open(dbpath), 0);
    ASSERT(has("t2-1", "{\"t\":2,\"i\":1}"));
    ASSERT(absent("t2-3"));
    lmx_respstore_close();
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/lmx-respstore-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dbpath, sizeof(dbpath), "%s/llmux.db", dir);
    RUN(test_memory);
    RUN(test_evict_count);
    RUN(test_evict_bytes);
    RUN(test_persist);
    RUN(test_open_fails);
    RUN(test_threads);
    {
        char cmd[400];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
    TEST_MAIN_END();
}
