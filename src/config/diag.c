/*
 * config/diag.c - the list of problems found while loading a config.
 *
 * Each entry is one line, "file:line:column: error|warning: reason", ready to
 * print. Control characters that a config value could bring into a reason are
 * escaped so that one problem is always one line.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"

void lmx_diag_init(struct lmx_diag *d)
{
    memset(d, 0, sizeof(*d));
}

void lmx_diag_release(struct lmx_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        lmx_free(d->lines[i]);
    lmx_free(d->lines);
    memset(d, 0, sizeof(*d));
}

/* Copies s, escaping control characters; NULL when out of memory. */
static char *one_line(const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t extra = 0, j = 0;
    char *out;

    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            extra += 3;
    out = lmx_malloc(n + extra + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n' || c == '\t' || c == '\r') {
            out[j++] = '\\';
            out[j++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20 || c == 0x7f) {
            out[j++] = '\\';
            out[j++] = 'x';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return out;
}

void lmx_diag_add(struct lmx_diag *d,
                  bool is_error,
                  const char *file,
                  size_t line,
                  size_t col,
                  const char *fmt,
                  ...)
{
    char small[512], *big = NULL, *text = small, *line_out = NULL;
    const char *kind = is_error ? "error" : "warning";
    va_list ap;
    int head, n;

    if (is_error)
        d->errors++;
    else
        d->warnings++;
    if (file == NULL)
        file = "<config>";

    if (line > 0)
        head = snprintf(small, sizeof(small), "%s:%zu:%zu: %s: ", file, line, col, kind);
    else
        head = snprintf(small, sizeof(small), "%s: %s: ", file, kind);
    if (head < 0)
        return;
    va_start(ap, fmt);
    n = (size_t)head < sizeof(small)
            ? vsnprintf(small + head, sizeof(small) - (size_t)head, fmt, ap)
            : 0;
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)head + (size_t)n >= sizeof(small)) {
        size_t total = (size_t)head + (size_t)n + 1;

        big = lmx_malloc(total);
        if (big == NULL)
            return;
        if (line > 0)
            snprintf(big, total, "%s:%zu:%zu: %s: ", file, line, col, kind);
        else
            snprintf(big, total, "%s: %s: ", file, kind);
        va_start(ap, fmt);
        vsnprintf(big + head, total - (size_t)head, fmt, ap);
        va_end(ap);
        text = big;
    }

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        char **lines = lmx_realloc(d->lines, cap * sizeof(*lines));

        if (lines == NULL)
            goto out;
        d->lines = lines;
        d->cap = cap;
    }
    line_out = one_line(text, strlen(text));
    if (line_out == NULL)
        goto out;
    d->lines[d->n++] = line_out;
out:
    lmx_free(big);
}
