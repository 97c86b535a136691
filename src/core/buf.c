/*
 * core/buf.c - capped growable byte buffer.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"

void lmx_buf_init(struct lmx_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void lmx_buf_release(struct lmx_buf *b)
{
    lmx_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void lmx_buf_reset(struct lmx_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

int lmx_buf_reserve(struct lmx_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return LMX_ETOOBIG;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    p = lmx_realloc(b->data, ncap);
    if (p == NULL)
        return LMX_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return 0;
}

int lmx_buf_append(struct lmx_buf *b, const void *p, size_t n)
{
    int err = lmx_buf_reserve(b, n);

    if (err < 0)
        return err;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int lmx_buf_puts(struct lmx_buf *b, const char *s)
{
    return lmx_buf_append(b, s, strlen(s));
}

int lmx_buf_vprintf(struct lmx_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, err;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return LMX_EINTERNAL;
    err = lmx_buf_reserve(b, (size_t)n);
    if (err < 0)
        return err;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int lmx_buf_printf(struct lmx_buf *b, const char *fmt, ...)
{
    va_list ap;
    int err;

    va_start(ap, fmt);
    err = lmx_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

int lmx_buf_json_str(struct lmx_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = b->len;
    int err = lmx_buf_append(b, "\"", 1);

    for (size_t i = 0; err == 0 && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

        if (c == '"' || c == '\\') {
            char two[2] = {'\\', (char)c};
            err = lmx_buf_append(b, two, 2);
        } else if (c == '\n') {
            err = lmx_buf_append(b, "\\n", 2);
        } else if (c == '\r') {
            err = lmx_buf_append(b, "\\r", 2);
        } else if (c == '\t') {
            err = lmx_buf_append(b, "\\t", 2);
        } else if (c < 0x20) {
            err = lmx_buf_append(b, esc, 6);
        } else {
            err = lmx_buf_append(b, &s[i], 1);
        }
    }
    if (err == 0)
        err = lmx_buf_append(b, "\"", 1);
    if (err < 0) {
        b->len = start;
        if (b->data != NULL)
            b->data[start] = '\0';
    }
    return err;
}

void lmx_buf_consume(struct lmx_buf *b, size_t n)
{
    assert(n <= b->len);
    if (n == 0)
        return;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *lmx_buf_steal(struct lmx_buf *b)
{
    char *p = b->data;

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
