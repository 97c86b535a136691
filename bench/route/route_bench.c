/*
 * bench/route/route_bench.c - what one routing decision costs: resolve a
 * model name and pick a deployment from a group of 100, for every strategy.
 *
 * Builds a real config snapshot (the loader and lmx_route_bind, as llmux
 * does), then times lmx_route_resolve + lmx_route_pick in a tight loop on one
 * thread. Prints nanoseconds per decision; --json for one JSON object.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "route/router.h"
#include "route/settings.h"
#include "route/state.h"

static const char *const strategies[] = {"simple-shuffle", "least-busy", "latency-based-routing",
                                         "usage-based-routing-v2", "cost-based-routing"};

static struct lmx_config *make_config(const char *strategy, int ndeps)
{
    struct lmx_buf b;
    struct lmx_config *cfg = NULL;
    struct lmx_diag d;

    lmx_buf_init(&b, 1u << 22);
    lmx_buf_puts(&b, "model_list:\n");
    for (int i = 0; i < ndeps; i++)
        lmx_buf_printf(&b,
                       "  - model_name: big\n    litellm_params: {model: openai/m%d, api_base: "
                       "\"http://127.0.0.1:9/v1\", api_key: k, rpm: 100000, tpm: 100000000, "
                       "weight: %d, input_cost_per_token: %g, output_cost_per_token: %g}\n",
                       i, 1 + i % 7, 1e-6 * (1 + i % 5), 2e-6 * (1 + i % 3));
    for (int i = 0; i < 20; i++)
        lmx_buf_printf(&b, "  - model_name: other-%d\n    litellm_params: {model: openai/x}\n", i);
    lmx_buf_printf(&b, "router_settings:\n  routing_strategy: %s\n  enable_pre_call_checks: "
                       "true\n",
                   strategy);
    lmx_diag_init(&d);
    if (lmx_config_load_string("bench.yaml", b.data, b.len, &cfg, &d) < 0 ||
        lmx_route_bind(cfg) < 0) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
        exit(1);
    }
    lmx_diag_release(&d);
    lmx_buf_release(&b);
    return cfg;
}

int main(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    const int ndeps = 100, iters = 200000;

    lmx_alloc_install();
    if (json)
        printf("{\"deployments\":%d,\"iterations\":%d,\"ns_per_decision\":{", ndeps, iters);
    for (size_t s = 0; s < LMX_ARRAY_SIZE(strategies); s++) {
        struct lmx_config *cfg = make_config(strategies[s], ndeps);
        uint8_t tried[LMX_ROUTE_MAX_TRIED / 8] = {0};
        struct lmx_route r;
        enum lmx_pick_why why;
        uint64_t t0, ns;
        long sink = 0;

        /* a little history so the strategies have something to read */
        for (int i = 0; i < ndeps; i++) {
            struct lmx_dstate *st = cfg->groups[0].deps[i]->state;

            lmx_dstate_begin(st, lmx_wall_ms());
            lmx_dstate_end(st, lmx_wall_ms(), true, LMX_EC_NONE, 1000 + (uint64_t)i * 37,
                           100 + (uint64_t)i);
        }
        t0 = lmx_now_ns();
        for (int i = 0; i < iters; i++) {
            struct lmx_pick_ctx ctx = {cfg->router, lmx_wall_ms(), 50, 0};

            if (lmx_route_resolve(cfg, "big", 3, &r) < 0)
                return 1;
            sink += lmx_route_pick(&r, tried, &ctx, &why);
        }
        ns = (lmx_now_ns() - t0) / (uint64_t)iters;
        if (json)
            printf("%s\"%s\":%llu", s ? "," : "", strategies[s], (unsigned long long)ns);
        else
            printf("%-24s %4llu ns per decision (100 deployments; sink %ld)\n", strategies[s],
                   (unsigned long long)ns, sink % 7);
        lmx_config_unref(cfg);
    }
    if (json)
        printf("}}\n");
    lmx_dstate_registry_free();
    return 0;
}
