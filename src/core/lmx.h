/*
 * core/lmx.h - the first include of every llmux .c file.
 *
 * Sets the feature macros and the few macros every module uses. Nothing here
 * allocates or depends on another llmux module.
 */
#ifndef LMX_LMX_H
#define LMX_LMX_H

#ifndef _GNU_SOURCE
#    define _GNU_SOURCE
#endif

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LMX_VERSION "0.1.0"

#define LMX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LMX_UNUSED(x) ((void)(x))
#define LMX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LMX_MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * LMX_ALWAYS(x) / LMX_NEVER(x): a condition that should always (never) hold.
 * Debug builds abort when it does not; release builds return the value so the
 * caller can recover (fail the request) instead of crashing.
 */
#ifdef NDEBUG
#    define LMX_ALWAYS(x) (x)
#    define LMX_NEVER(x) (x)
#else
#    define LMX_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#    define LMX_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#if defined(__GNUC__)
#    define LMX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#    define LMX_LIKELY(x) __builtin_expect(!!(x), 1)
#    define LMX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#    define LMX_PRINTF(a, b)
#    define LMX_LIKELY(x) (x)
#    define LMX_UNLIKELY(x) (x)
#endif

#endif
