/*
 * core/alloc.c - allocation wrappers and the fault-injection countdown.
 */
#include "core/lmx.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <uv.h>

#include "core/alloc.h"

#ifdef LMX_FAULT_INJECT
static _Atomic long fail_countdown = -1;

static int should_fail(void)
{
    long n = atomic_load(&fail_countdown);

    while (n >= 0) {
        if (n == 0)
            return 1;
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return 0;
    }
    return 0;
}

void lmx_alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}
#else
#    define should_fail() 0

void lmx_alloc_fail_after(long n)
{
    LMX_UNUSED(n);
}
#endif

void *lmx_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *lmx_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lmx_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void lmx_free(void *p)
{
    free(p);
}

char *lmx_strndup(const char *s, size_t n)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = lmx_malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *lmx_strdup(const char *s)
{
    return s != NULL ? lmx_strndup(s, strlen(s)) : NULL;
}

static char *curl_strdup_hook(const char *s)
{
    return lmx_strdup(s);
}

void lmx_alloc_install(void)
{
    json_set_alloc_funcs(lmx_malloc, lmx_free);
    uv_replace_allocator(lmx_malloc, lmx_realloc, lmx_calloc, lmx_free);
    curl_global_init_mem(CURL_GLOBAL_DEFAULT, lmx_malloc, lmx_free, lmx_realloc,
                         curl_strdup_hook, lmx_calloc);
}
