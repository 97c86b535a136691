/*
 * core/util.h - small string, time and random helpers shared by every module.
 */
#ifndef LMX_UTIL_H
#define LMX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/lmx.h"

/* Monotonic clock in nanoseconds. */
uint64_t lmx_now_ns(void);
/* Wall clock in seconds since the epoch. */
double lmx_wall_s(void);

/* Compares two byte strings in time that depends only on their lengths. */
bool lmx_ct_equal(const char *a, size_t alen, const char *b, size_t blen);
/* Case-insensitive equality of a counted string and a C string. */
bool lmx_streq_ci(const char *a, size_t alen, const char *b);
/* True when s (len n) starts with the C string prefix. */
bool lmx_has_prefix(const char *s, size_t n, const char *prefix);

/* Fills out with n random bytes (OpenSSL); returns 0 or LMX_EINTERNAL. */
int lmx_random(void *out, size_t n);
/* A random version-4 UUID as 36 characters and a NUL. */
void lmx_uuid4(char out[37]);
/* A fast per-thread pseudo-random number in [0, 1) (not for secrets). */
double lmx_rand01(void);

/* Parses a decimal number that may be written as a string ("3e-7"); returns 0 or -1. */
int lmx_parse_double(const char *s, double *out);

#endif
