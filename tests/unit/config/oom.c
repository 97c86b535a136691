/*
 * tests/unit/config/oom.c - every allocation of a config load fails in turn:
 * each run ends in success or LMX_ENOMEM, never a crash, a wrong error or a
 * leak (run under ASan or valgrind). Meaningful in LMX_FAULT_INJECT builds;
 * elsewhere lmx_alloc_fail_after() is a no-op and one run succeeds.
 * libyaml allocates with plain malloc, so its own allocations never fail here.
 */
#include "core/lmx.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/err.h"
#include "test.h"

static const char text[] =
    "x-defaults: &d {api_key: os.environ/LMXT_OOM_KEY, rpm: \"10\"}\n"
    "environment_variables:\n"
    "  LMXT_OOM_KEY: sk-oom\n"
    "model_list:\n"
    "  - model_name: a\n"
    "    litellm_params: {<<: *d, model: gpt-4o, foo: 1}\n"
    "  - model_name: a\n"
    "    litellm_params: {<<: *d, model: gpt-4o, foo: 1}\n"
    "  - model_name: \"anthropic/*\"\n"
    "    litellm_params: {model: \"anthropic/*\", api_key: os.environ/LMXT_OOM_UNSET}\n"
    "    model_info: {id: x1, mode: chat}\n"
    "litellm_settings: {drop_params: true, cache: true, callbacks: [prometheus]}\n"
    "router_settings: {num_retries: 2, model_group_alias: {b: a}}\n"
    "general_settings: {master_key: sk-1, port: 1}\n";

static void test_every_allocation_fails(void)
{
    long n;

    for (n = 0; n < 100000; n++) {
        struct lmx_config *cfg = NULL;
        struct lmx_diag d;
        int err;

        lmx_diag_init(&d);
        lmx_alloc_fail_after(n);
        err = lmx_config_load_string("oom.yaml", text, sizeof(text) - 1, &cfg, &d);
        lmx_alloc_fail_after(-1);
        if (err == 0) {
            ASSERT_EQ(d.errors, 0);
            ASSERT_EQ(cfg->ndeps, 3);
            lmx_config_unref(cfg);
            lmx_diag_release(&d);
            break;
        }
        ASSERT_(err == LMX_ENOMEM, "allocation %ld: err %d", n, err);
        ASSERT(cfg == NULL);
        lmx_diag_release(&d);
    }
    fprintf(stderr, "config loaded after %ld failing runs\n", n);
}

int main(void)
{
    lmx_alloc_install(); /* jansson allocates through lmx_malloc too */
    clearenv();
    RUN(test_every_allocation_fails);
    TEST_MAIN_END();
}
