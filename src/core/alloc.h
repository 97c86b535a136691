/*
 * core/alloc.h - the allocator every llmux module (and jansson, curl, libuv) uses.
 *
 * Plain wrappers over the C allocator, plus an optional countdown that makes
 * the Nth allocation fail, so tests can prove every failure path (built in
 * when LMX_FAULT_INJECT is defined). All functions are thread-safe.
 */
#ifndef LMX_ALLOC_H
#define LMX_ALLOC_H

#include <stddef.h>

/* Return NULL when out of memory (or when the fault countdown fires). */
void *lmx_malloc(size_t n);
void *lmx_calloc(size_t count, size_t size);
void *lmx_realloc(void *p, size_t n);
/* lmx_free(NULL) is a no-op. */
void lmx_free(void *p);

/* A copy of s (or of its first n bytes, NUL-terminated); NULL when out of memory or s is NULL. */
char *lmx_strdup(const char *s);
char *lmx_strndup(const char *s, size_t n);

/* Route jansson, libcurl and libuv through these functions. Call once in main(). */
void lmx_alloc_install(void);

/*
 * Fault injection: after n more successful allocations, every allocation fails
 * until this is called again with -1. A no-op unless built with LMX_FAULT_INJECT.
 */
void lmx_alloc_fail_after(long n);

#endif
