/*
 * core/buf.h - a growable byte buffer with a hard cap.
 *
 * The buffer never grows past `max`: appends that would pass it fail with
 * LMX_ETOOBIG and leave the buffer as it was. The bytes are always followed by
 * a NUL (not counted in len) so text can be handed to C string functions.
 */
#ifndef LMX_BUF_H
#define LMX_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/lmx.h"

struct lmx_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap; /* allocated bytes, including room for the NUL */
    size_t max; /* most bytes the buffer may hold */
};

/* Embeds an empty buffer that may hold up to max bytes. Never allocates. */
void lmx_buf_init(struct lmx_buf *b, size_t max);
/* Frees the contents; the buffer is empty and reusable afterwards. */
void lmx_buf_release(struct lmx_buf *b);
/* Empties the buffer, keeping its memory. */
void lmx_buf_reset(struct lmx_buf *b);

/* Returns 0, LMX_ETOOBIG (over max) or LMX_ENOMEM; on failure nothing changes. */
int lmx_buf_reserve(struct lmx_buf *b, size_t extra);
int lmx_buf_append(struct lmx_buf *b, const void *p, size_t n);
int lmx_buf_puts(struct lmx_buf *b, const char *s);
int lmx_buf_printf(struct lmx_buf *b, const char *fmt, ...) LMX_PRINTF(2, 3);
int lmx_buf_vprintf(struct lmx_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int lmx_buf_json_str(struct lmx_buf *b, const char *s, size_t n);

/* Drops the first n bytes (n <= len). */
void lmx_buf_consume(struct lmx_buf *b, size_t n);
/* Hands the bytes to the caller (who frees them with lmx_free); the buffer becomes empty. */
char *lmx_buf_steal(struct lmx_buf *b);

#endif
