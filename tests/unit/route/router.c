/* tests for route/router.c: model resolution and weighted choice */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "route/router.h"
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

    deps[0].weight = 3;
    deps[1].weight = 1;
    for (int i = 0; i < 40000; i++)
        count[lmx_route_pick(&r, tried)]++;
    /* 3:1 expected; 40k draws keep the share within a couple of percent */
    ASSERT(count[0] > 29000 && count[0] < 31000);
    tried[0] = 1;
    ASSERT_EQ(lmx_route_pick(&r, tried), 1);
    tried[0] = 3;
    ASSERT_EQ(lmx_route_pick(&r, tried), -1);
}

static void order_tiers(void)
{
    struct lmx_route r = {&groups[3], NULL, NULL, 0};
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};

    deps[4].order = 2;
    deps[5].order = 1;
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(lmx_route_pick(&r, tried), 1);
    tried[0] = 2; /* the order-1 deployment was tried: the next tier serves */
    ASSERT_EQ(lmx_route_pick(&r, tried), 0);
}

int main(void)
{
    setup();
    RUN(resolves);
    RUN(weights);
    RUN(order_tiers);
    json_decref(cfg.model_group_alias);
    TEST_MAIN_END();
}
