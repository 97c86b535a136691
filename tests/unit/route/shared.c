/*
 * tests for route/shared.c without a Redis server: key and message formats,
 * the usage arithmetic (what a batch pushes and what its answers leave in the
 * state), and the no-Redis paths. tests/integration/redis.test.mjs runs the
 * real thing against redis-server.
 */
#include "../../../src/route/shared.c" /* not "route/shared.c": that names this file */

#include "test.h"

#define MIN_MS 60000u

static void keys(void)
{
    char *k = key_new("cd", "dep one", UNKNOWN);

    ASSERT_STR_EQ(k, "llmux:cd:dep one");
    lmx_free(k);
    k = key_new("rpm", "abc", 29928178);
    ASSERT_STR_EQ(k, "llmux:rpm:abc:29928178");
    lmx_free(k);
}

static void cd_values(void)
{
    uint64_t until = 0;
    int status = 0;
    size_t id_len = 0;
    const char *msg = "my dep 2 1795690682936 503";

    ASSERT_EQ(parse_cd_value("1795690682936 429", 17, &until, &status), 0);
    ASSERT_EQ(until, 1795690682936ull);
    ASSERT_EQ(status, 429);
    ASSERT_EQ(parse_cd_value("1795690682936", 13, &until, &status), -1);
    ASSERT_EQ(parse_cd_value("12x 429", 7, &until, &status), -1);
    ASSERT_EQ(parse_cd_value("12 ", 3, &until, &status), -1);

    /* the id may contain spaces: the numbers are the last two words */
    ASSERT_EQ(parse_cd_message(msg, strlen(msg), &id_len, &until, &status), 0);
    ASSERT_EQ(id_len, 8);
    ASSERT_MEM_EQ(msg, "my dep 2", 8);
    ASSERT_EQ(until, 1795690682936ull);
    ASSERT_EQ(status, 503);
    ASSERT_EQ(parse_cd_message("abc 1 2", 7, &id_len, &until, &status), 0);
    ASSERT_EQ(id_len, 3);
    ASSERT_EQ(parse_cd_message(" 1 2", 4, &id_len, &until, &status), -1);
    ASSERT_EQ(parse_cd_message("1 2", 3, &id_len, &until, &status), -1);
    ASSERT_EQ(parse_cd_message("abc 1 x", 7, &id_len, &until, &status), -1);
}

static void calls(struct lmx_dstate *st, uint64_t now, int n, uint64_t tokens)
{
    for (int i = 0; i < n; i++) {
        lmx_dstate_begin(st, now);
        lmx_dstate_end(st, now, true, LMX_EC_NONE, 1000, tokens);
    }
}

static void usage_sync(void)
{
    struct lmx_dstate *st = lmx_dstate_get("usage-a");
    uint64_t t = 1000ull * MIN_MS + 5;
    struct usage_item it;

    /* 5 local calls, nothing known of the fleet: push all 5 */
    calls(st, t, 5, 10);
    ASSERT(usage_plan(st, t, &it));
    ASSERT_EQ(item_delta(&it, M_RPM), 5);
    ASSERT_EQ(item_delta(&it, M_TPM), 50);
    /* the fleet had 7 requests and 300 tokens from others */
    it.fleet[M_RPM] = 12;
    it.fleet[M_TPM] = 350;
    usage_apply(&it, t / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t), 12);
    ASSERT_EQ(lmx_dstate_tpm(st, t), 350);

    /* two more local calls count at once, before the next sync */
    calls(st, t + 100, 2, 10);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 100), 14);
    ASSERT(usage_plan(st, t + 100, &it));
    ASSERT_EQ(item_delta(&it, M_RPM), 2);
    it.fleet[M_RPM] = 20; /* others made 6 more meanwhile */
    /* and 20 more tokens: the fleet total is 420 */
    ASSERT_EQ(item_delta(&it, M_TPM), 20);
    it.fleet[M_TPM] = 420;
    usage_apply(&it, t / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 100), 20);
    ASSERT_EQ(lmx_dstate_tpm(st, t + 100), 420);

    /* nothing new locally: a read only (delta 0) refreshes the fleet value */
    ASSERT(usage_plan(st, t + 200, &it));
    ASSERT_EQ(item_delta(&it, M_RPM), 0);
    it.fleet[M_RPM] = 23;
    usage_apply(&it, t / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 200), 23);
    /* no answer for tpm (error reply): this minute's value stays */
    ASSERT_EQ(lmx_dstate_tpm(st, t + 200), 420);
}

static void usage_minute_roll(void)
{
    struct lmx_dstate *st = lmx_dstate_get("usage-b");
    uint64_t t = 2000ull * MIN_MS + 59990;
    struct usage_item it;

    calls(st, t, 3, 0);
    ASSERT(usage_plan(st, t, &it));
    it.fleet[M_RPM] = 9;
    it.fleet[M_TPM] = 0;
    usage_apply(&it, t / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t), 9);

    /* the next minute starts before the next batch's answers arrive */
    ASSERT(usage_plan(st, t, &it));
    calls(st, t + 20, 1, 0);
    it.fleet[M_RPM] = 15;
    usage_apply(&it, t / MIN_MS); /* answers of the old minute: ignored */
    ASSERT_EQ(lmx_dstate_rpm(st, t + 20), 1);

    /* the new minute: the old fleet values and pushed counts do not apply */
    ASSERT(usage_plan(st, t + 100, &it));
    ASSERT_EQ(it.pushed[M_RPM], 0);
    ASSERT_EQ(item_delta(&it, M_RPM), 1);
    it.fleet[M_RPM] = 4;
    usage_apply(&it, (t + 100) / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 100), 4);
    /* tpm had no answer and the old minute's value is stale: local only */
    ASSERT_EQ(lmx_dstate_tpm(st, t + 100), 0);

    /* a caller with a slightly older clock does not roll the minute back */
    calls(st, t, 1, 0);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 100), 5);
}

static void usage_redis_lost_keys(void)
{
    struct lmx_dstate *st = lmx_dstate_get("usage-c");
    uint64_t t = 3000ull * MIN_MS + 10;
    struct usage_item it;

    calls(st, t, 6, 0);
    ASSERT(usage_plan(st, t, &it));
    it.fleet[M_RPM] = 6;
    usage_apply(&it, t / MIN_MS);
    /* Redis restarted and lost the key: the total never drops below our own usage */
    ASSERT(usage_plan(st, t + 100, &it));
    it.fleet[M_RPM] = 0;
    usage_apply(&it, t / MIN_MS);
    ASSERT_EQ(lmx_dstate_rpm(st, t + 100), 6);
}

static void not_configured(void)
{
    struct lmx_router_cfg r;

    memset(&r, 0, sizeof(r));
    ASSERT(lmx_shared_status() == NULL);
    ASSERT_EQ(lmx_shared_start(&r), 0);
    ASSERT_EQ(lmx_shared_start(NULL), 0);
    ASSERT(lmx_shared_status() == NULL);
    lmx_shared_reconfigure(&r);
    lmx_shared_stop();
    ASSERT(lmx_shared_status() == NULL);
}

static void hook_without_thread(void)
{
    uint64_t before;

    uv_once(&queue_once, queue_init);
    before = q.dropped;
    hook_cooldown("x", 1, 500); /* no thread to wake: dropped and counted */
    ASSERT_EQ(q.dropped, before + 1);
    ASSERT_EQ(q.len, 0);
}

/* a connection refused at once reports "unreachable" and stops cleanly */
static void unreachable(void)
{
    struct lmx_router_cfg r;
    const char *s = NULL;

    memset(&r, 0, sizeof(r));
    r.redis_host = (char *)"127.0.0.1";
    r.redis_port = 1; /* nothing listens there */
    ASSERT_EQ(lmx_shared_start(&r), 0);
    ASSERT(lmx_shared_status() != NULL);
    for (int i = 0; i < 300; i++) {
        s = lmx_shared_status();
        if (strcmp(s, "unreachable") == 0)
            break;
        uv_sleep(10);
    }
    ASSERT_STR_EQ(s, "unreachable");
    lmx_shared_stop();
    ASSERT(lmx_shared_status() == NULL);
}

int main(void)
{
    RUN(keys);
    RUN(cd_values);
    RUN(usage_sync);
    RUN(usage_minute_roll);
    RUN(usage_redis_lost_keys);
    RUN(not_configured);
    RUN(hook_without_thread);
    RUN(unreachable);
    lmx_dstate_registry_free();
    TEST_MAIN_END();
}
