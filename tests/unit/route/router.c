/* tests for route/router.c: model resolution and weighted choice */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "route/router.h"
#include "route/state.h"
#include "test.h"

static struct lmx_deployment deps[6];
static struct lmx_deployment *g0[2] = {&deps[0], &deps[1]};
static struct lmx_deployment *g1[1] = {&deps[2]};
static struct lmx_deployment *g2[1] = {&deps[3]};
static struct lmx_deployment *g3[2] = {&deps[4], &deps[5]};
static struct lmx_group groups[4];
static struct lmx_config cfg;

static void setup(void)
{
    const char *ids[] = {"a", "b", "c", "d", "e", "f"};

    for (int i = 0; i < 6; i++) {
        deps[i].id = (char *)ids[i];
        deps[i].upstream_model = (char *)"x";
    }
    groups[0] = (struct lmx_group){(char *)"gpt", g0, 2, false, 0};
    groups[1] = (struct lmx_group){(char *)"*", g1, 1, true, 0};
    groups[2] = (struct lmx_group){(char *)"groq/*", g2, 1, true, 5};
    groups[3] = (struct lmx_group){(char *)"tiered", g3, 2, false, 0};
    cfg.groups = groups;
    cfg.ngroups = 4;
    cfg.model_group_alias = json_pack("{s:s}", "gpt-4", "gpt");
}

static void resolves(void)
{
    struct lmx_route r;

    ASSERT_EQ(lmx_route_resolve(&cfg, "gpt", 3, &r), 0);
    ASSERT(r.group == &groups[0]);
    ASSERT_EQ(lmx_route_resolve(&cfg, "gpt-4", 5, &r), 0);
    ASSERT(r.group == &groups[0]);
    ASSERT_EQ(lmx_route_resolve(&cfg, "c", 1, &r), 0);
    ASSERT(r.group == &groups[1] && r.pinned == &deps[2]);
    ASSERT_EQ(lmx_route_resolve(&cfg, "groq/llama3", 11, &r), 0);
    ASSERT(r.group == &groups[2]);
    ASSERT_EQ(r.wild_len, 6);
    ASSERT_MEM_EQ(r.wild_part, "llama3", 6);
    ASSERT_EQ(lmx_route_resolve(&cfg, "other", 5, &r), 0);
    ASSERT(r.group == &groups[1]);
    ASSERT_EQ(r.wild_len, 5);
    cfg.ngroups = 1;
    ASSERT_EQ(lmx_route_resolve(&cfg, "other", 5, &r), LMX_EBADMODEL);
    cfg.ngroups = 4;
}

static void weights(void)
{
    struct lmx_route r = {&groups[0], NULL, NULL, 0};
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};
    int count[2] = {0, 0};
    enum lmx_pick_why why;

    deps[0].weight = 3;
    deps[1].weight = 1;
    for (int i = 0; i < 40000; i++)
        count[lmx_route_pick(&r, tried, NULL, &why)]++;
    /* 3:1 expected; 40k draws keep the share within a couple of percent */
    ASSERT(count[0] > 29000 && count[0] < 31000);
    tried[0] = 1;
    ASSERT_EQ(lmx_route_pick(&r, tried, NULL, &why), 1);
    tried[0] = 3;
    ASSERT_EQ(lmx_route_pick(&r, tried, NULL, &why), -1);
}

/* With run-time state bound, the choice is smooth: 3:1 exactly per 4 picks, never bursts. */
static void smooth_spread(void)
{
    struct lmx_route r = {&groups[0], NULL, NULL, 0};
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};
    enum lmx_pick_why why;
    int run = 0, last = -1, count0 = 0;

    deps[0].state = lmx_dstate_get("a");
    deps[1].state = lmx_dstate_get("b");
    deps[0].weight = 3;
    deps[1].weight = 1;
    for (int i = 0; i < 400; i++) {
        int k = lmx_route_pick(&r, tried, NULL, &why);

        count0 += k == 0;
        run = k == last ? run + 1 : 1;
        last = k;
        ASSERT(run <= 3); /* never four in a row of the heavier one */
        if (i % 4 == 3)
            ASSERT_EQ(count0, (i + 1) / 4 * 3);
    }
    deps[0].state = deps[1].state = NULL;
}

/* A cooling deployment is skipped; when all are cooling the pick says so. */
static void cooling_skipped(void)
{
    struct lmx_route r = {&groups[0], NULL, NULL, 0};
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};
    struct lmx_pick_ctx ctx = {NULL, lmx_wall_ms(), 0, 0};
    enum lmx_pick_why why;

    deps[0].state = lmx_dstate_get("a");
    deps[1].state = lmx_dstate_get("b");
    lmx_dstate_cool_until(deps[0].state, ctx.now_ms + 5000, 429, false);
    for (int i = 0; i < 20; i++)
        ASSERT_EQ(lmx_route_pick(&r, tried, &ctx, &why), 1);
    lmx_dstate_cool_until(deps[1].state, ctx.now_ms + 3000, 500, false);
    ASSERT_EQ(lmx_route_pick(&r, tried, &ctx, &why), -1);
    ASSERT_EQ(why, LMX_PICK_COOLING);
    ASSERT_EQ(ctx.soonest_ms, ctx.now_ms + 3000);
    lmx_dstate_uncool(deps[0].state);
    lmx_dstate_uncool(deps[1].state);
    deps[0].state = deps[1].state = NULL;
}

static void order_tiers(void)
{
    struct lmx_route r = {&groups[3], NULL, NULL, 0};
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};
    enum lmx_pick_why why;

    deps[4].order = 2;
    deps[5].order = 1;
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(lmx_route_pick(&r, tried, NULL, &why), 1);
    tried[0] = 2; /* the order-1 deployment was tried: the next tier serves */
    ASSERT_EQ(lmx_route_pick(&r, tried, NULL, &why), 0);
}

int main(void)
{
    setup();
    RUN(resolves);
    RUN(weights);
    RUN(order_tiers);
    RUN(smooth_spread);
    RUN(cooling_skipped);
    json_decref(cfg.model_group_alias);
    TEST_MAIN_END();
}
