/*
 * core/jscan.h - find and splice top-level members of a JSON object in place.
 *
 * The OpenAI-compatible fast path forwards the client's body bytes as they are
 * and only rewrites `model` or drops a few members. Re-serialising the body
 * would cost time and change number formatting; this scanner finds the byte
 * span of a top-level member instead. It assumes the text is valid JSON (the
 * caller has already parsed it with jansson).
 */
#ifndef LMX_JSCAN_H
#define LMX_JSCAN_H

#include <stddef.h>

#include "core/buf.h"

struct lmx_jspan {
    size_t member_start; /* first byte of the "key" */
    size_t member_end;   /* one past the value */
    size_t value_start;
    size_t value_end;
};

/*
 * Finds the top-level member `key` of the JSON object in text[0..len).
 * Returns 0 and fills *out, or LMX_DECLINED when there is no such member, or
 * LMX_EBADJSON when the text is not an object.
 */
int lmx_jscan_find(const char *text, size_t len, const char *key, struct lmx_jspan *out);

/*
 * A quick structural check that text[0..len) is one complete JSON object:
 * members well formed, strings and brackets closed, nothing after the end but
 * white space. Cheaper than a parse; scalars are not checked in detail.
 * Returns 0 or LMX_EBADJSON.
 */
int lmx_jscan_check(const char *text, size_t len);

/*
 * Appends to `out` a copy of the object text with these edits: members named
 * in drop[0..ndrop) removed; member `set_key` (if not NULL) given the raw JSON
 * value `set_raw` (replaced where it is, added at the end when absent); and
 * `extra_raw` (e.g. ',"a":1', may be NULL) inserted before the closing brace.
 * Returns 0, LMX_EBADJSON, or an lmx_buf error.
 */
int lmx_jscan_rewrite(const char *text, size_t len, const char *const *drop, size_t ndrop,
                      const char *set_key, const char *set_raw, size_t set_raw_len,
                      const char *extra_raw, size_t extra_len, struct lmx_buf *out);

#endif
