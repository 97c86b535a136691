/*
 * core/util.c - string, time and random helpers.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/err.h"
#include "core/util.h"

uint64_t lmx_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double lmx_wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool lmx_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char d = (unsigned char)(alen != blen);
    size_t n = alen < blen ? alen : blen;

    /* compare over the shorter length, and fold the length difference in */
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

bool lmx_streq_ci(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

bool lmx_has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t pn = strlen(prefix);

    return n >= pn && memcmp(s, prefix, pn) == 0;
}

int lmx_random(void *out, size_t n)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(out, (int)n) != 1)
        return LMX_EINTERNAL;
    return 0;
}

static _Thread_local uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64*: plenty for load balancing and ids that are not secrets */
    if (rng_state == 0) {
        if (lmx_random(&rng_state, sizeof(rng_state)) < 0 || rng_state == 0)
            rng_state = lmx_now_ns() | 1;
    }
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

double lmx_rand01(void)
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

void lmx_uuid4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r[2] = {rng_next(), rng_next()};
    unsigned char b[16];
    int j = 0;

    memcpy(b, r, 16);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[j++] = '-';
        out[j++] = hex[b[i] >> 4];
        out[j++] = hex[b[i] & 15];
    }
    out[j] = '\0';
}

int lmx_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || *end != '\0' || end == s)
        return -1;
    *out = v;
    return 0;
}
