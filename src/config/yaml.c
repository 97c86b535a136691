/*
 * config/yaml.c - YAML text to a node tree, read the way PyYAML's safe_load reads it.
 *
 * LiteLLM loads config.yaml with yaml.safe_load, so a value means here what it
 * means there: YAML 1.1 implicit types for plain (unquoted) scalars -
 * yes/no/on/off/true/false in PyYAML's spellings are booleans, `~`/null/empty
 * is null, ints may be 0x.., 0b.., 0.. (octal), 1_000 or 1:30 (base 60),
 * floats need a dot (`1e-7` is a string, `1.0e-7` a float, and the exponent
 * needs a sign: `1.0e7` is a string too). Dates stay strings. Quoted scalars
 * are strings. Anchors, aliases and `<<` merge keys work; an explicit key
 * beats a merged one, and the last of two equal keys wins (with a warning).
 *
 * Not here: os.environ/ references and the meaning of keys (load.c).
 */
#include "core/lmx.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "config/config_int.h"
#include "core/alloc.h"
#include "core/err.h"

/* Nodes after expanding aliases; beyond this a document is an alias bomb, not a config. */
#define YAML_MAX_WEIGHT ((size_t)1 << 21)
/* Nesting levels (aliases included); the walkers in load.c recurse this deep. */
#define YAML_MAX_HEIGHT 400

#define TAG_PREFIX "tag:yaml.org,2002:"

struct yframe {
    struct lmx__ynode *node;
    struct lmx__ynode *key; /* mappings: key waiting for its value */
};

struct yanchor {
    char *name;
    struct lmx__ynode *node;
};

struct yparse {
    const char *name;
    const char *text;
    size_t len;
    struct lmx_diag *diag;
    struct lmx__ydoc *doc;
    struct yframe *stack;
    size_t depth, stack_cap;
    struct yanchor *anchors;
    size_t nanchors, anchors_cap;
    int ndocs;
    int err; /* 0, LMX_ECONFIG or LMX_ENOMEM: the first fatal failure */
};

/* ------------------------------------------------------------------------ */
/* diagnostics */

static void yerror(struct yparse *yp, size_t line, size_t col, const char *fmt, ...)
    LMX_PRINTF(4, 5);

static void yerror(struct yparse *yp, size_t line, size_t col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lmx_diag_add(yp->diag, true, yp->name, line, col, "%s", msg);
}

static void fatal(struct yparse *yp, int err)
{
    if (yp->err == 0)
        yp->err = err;
}

/* A short printable excerpt of a scalar for messages. */
static const char *excerpt(const char *s, size_t n, char buf[64])
{
    size_t m = n < 40 ? n : 40;

    memcpy(buf, s, m);
    if (n > m)
        memcpy(buf + m, "...", 4);
    else
        buf[m] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* PyYAML's implicit resolvers (resolver.py) and constructors (constructor.py) */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool text_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool match_null(const char *s, size_t n)
{
    return n == 0 || text_is(s, n, "~") || text_is(s, n, "null") || text_is(s, n, "Null") ||
           text_is(s, n, "NULL");
}

/* 1 true, 0 false, -1 not a YAML 1.1 boolean in PyYAML's spellings. */
static int match_bool(const char *s, size_t n)
{
    static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
                                      "TRUE", "on",  "On",  "ON"};
    static const char *const no[] = {"no",    "No",  "NO",  "false", "False",
                                     "FALSE", "off", "Off", "OFF"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(yes); i++)
        if (text_is(s, n, yes[i]))
            return 1;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(no); i++)
        if (text_is(s, n, no[i]))
            return 0;
    return -1;
}

/* construct_yaml_bool: the lowercased text is yes/true/on or no/false/off. */
static int bool_any_case(const char *s, size_t n)
{
    static const char *const words[] = {"no", "yes", "false", "true", "off", "on"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(words); i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return (int)(i & 1);
    return -1;
}

/* `(:[0-5]?[0-9])+` from position i to the end of s. */
static bool match_base60_tail(const char *s, size_t n, size_t i)
{
    bool any = false;

    while (i < n) {
        if (s[i] != ':')
            return false;
        i++;
        if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && is_digit(s[i + 1]))
            i += 2;
        else if (i < n && is_digit(s[i]))
            i++;
        else
            return false;
        any = true;
    }
    return any;
}

/* Counts the digits (not underscores) of s[i..n) if all are in `ok`; -1 otherwise. */
static long digits_in(const char *s, size_t n, size_t i, bool (*ok)(char))
{
    long count = 0;

    for (; i < n; i++) {
        if (s[i] == '_')
            continue;
        if (!ok(s[i]))
            return -1;
        count++;
    }
    return count;
}

static bool is_bin(char c)
{
    return c == '0' || c == '1';
}

static bool is_oct(char c)
{
    return c >= '0' && c <= '7';
}

/*
 * PyYAML int: [-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
 * | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+. Also demands a digit after 0b/0x, where
 * PyYAML itself would fail to construct the value.
 */
static bool match_int(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0') {
        if (i + 1 == n)
            return true;
        if (s[i + 1] == 'b')
            return digits_in(s, n, i + 2, is_bin) > 0;
        if (s[i + 1] == 'x')
            return digits_in(s, n, i + 2, is_hex) > 0;
        return digits_in(s, n, i + 1, is_oct) >= 0;
    }
    if (!is_digit(s[i]))
        return false;
    for (i++; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
        ;
    return i == n || match_base60_tail(s, n, i);
}

/* `[0-9_]*` from i; returns the position after. */
static size_t skip_digits_(const char *s, size_t n, size_t i)
{
    while (i < n && (is_digit(s[i]) || s[i] == '_'))
        i++;
    return i;
}

/* `([eE][-+][0-9]+)?` then the end. */
static bool match_exp_end(const char *s, size_t n, size_t i)
{
    if (i == n)
        return true;
    if (s[i] != 'e' && s[i] != 'E')
        return false;
    i++;
    if (i >= n || (s[i] != '-' && s[i] != '+'))
        return false;
    i++;
    if (i >= n)
        return false;
    for (; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/*
 * PyYAML float: [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)?
 * | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
 */
static bool match_float(const char *s, size_t n)
{
    size_t i = 0, j;

    if (text_is(s, n, ".nan") || text_is(s, n, ".NaN") || text_is(s, n, ".NAN"))
        return true;
    if (n > 0 && s[0] == '.' && n > 1 && is_digit(s[1]))
        return match_exp_end(s, n, skip_digits_(s, n, 1));
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (text_is(s + i, n - i, ".inf") || text_is(s + i, n - i, ".Inf") ||
        text_is(s + i, n - i, ".INF"))
        return true;
    if (i >= n || !is_digit(s[i]))
        return false;
    j = skip_digits_(s, n, i + 1);
    if (j < n && s[j] == '.')
        return match_exp_end(s, n, skip_digits_(s, n, j + 1));
    /* base 60: digits (:[0-5]?[0-9])+ \. [0-9_]* */
    if (j < n && s[j] == ':') {
        size_t k = j, dot;

        for (dot = j; dot < n && s[dot] != '.'; dot++)
            ;
        if (dot == n)
            return false;
        while (k < dot) {
            if (s[k] != ':')
                return false;
            k++;
            if (k + 1 < dot && s[k] >= '0' && s[k] <= '5' && is_digit(s[k + 1]))
                k += 2;
            else if (k < dot && is_digit(s[k]))
                k++;
            else
                return false;
        }
        return skip_digits_(s, n, dot + 1) == n;
    }
    return false;
}

/* Copies s without '_' into a new string; NULL when out of memory. */
static char *strip_underscores(const char *s, size_t n)
{
    char *out = lmx_malloc(n + 1);
    size_t j = 0;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            out[j++] = s[i];
    out[j] = '\0';
    return out;
}

/* Accumulates digits of `s` in `base`; *exact is cleared when the value passes UINT64_MAX. */
static void accumulate(const char *s, unsigned base, uint64_t *u, double *d, bool *exact)
{
    for (; *s; s++) {
        unsigned v = is_digit(*s) ? (unsigned)(*s - '0') : (unsigned)((*s | 0x20) - 'a') + 10u;

        if (*exact && (*u > (UINT64_MAX - v) / base))
            *exact = false;
        if (*exact)
            *u = *u * base + v;
        *d = *d * base + v;
    }
}

/* The value of a text that match_int accepted; NULL when out of memory. */
static json_t *construct_int(const char *s, size_t n)
{
    char *t = strip_underscores(s, n), *p;
    bool neg = false, exact = true;
    uint64_t u = 0;
    double d = 0;
    json_t *v;

    if (t == NULL)
        return NULL;
    p = t;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        /* zero */
    } else if (p[0] == '0' && p[1] == 'b') {
        accumulate(p + 2, 2, &u, &d, &exact);
    } else if (p[0] == '0' && p[1] == 'x') {
        accumulate(p + 2, 16, &u, &d, &exact);
    } else if (p[0] == '0') {
        accumulate(p + 1, 8, &u, &d, &exact);
    } else if (strchr(p, ':') != NULL) {
        /* base 60: each part is a decimal number */
        char *part = p;

        while (part != NULL) {
            char *colon = strchr(part, ':');
            uint64_t pu = 0;
            double pd = 0;
            bool pexact = true;

            if (colon != NULL)
                *colon = '\0';
            accumulate(part, 10, &pu, &pd, &pexact);
            if (exact && (u > (UINT64_MAX - pu) / 60 || !pexact))
                exact = false;
            if (exact)
                u = u * 60 + pu;
            d = d * 60 + pd;
            part = colon != NULL ? colon + 1 : NULL;
        }
    } else {
        accumulate(p, 10, &u, &d, &exact);
    }
    if (!exact && strchr(p, ':') == NULL && p[0] != '0')
        d = strtod(p, NULL); /* decimal: correctly rounded */
    lmx_free(t);
    if (exact && u <= (uint64_t)INT64_MAX)
        v = json_integer(neg ? -(json_int_t)u : (json_int_t)u);
    else if (exact && neg && u == (uint64_t)INT64_MAX + 1)
        v = json_integer(INT64_MIN);
    else
        v = json_real(neg ? -d : d); /* Python's ints are unbounded; ours are not */
    return v;
}

/*
 * The value of a float text (match_float, or any text strtod takes whole for an
 * explicit !!float). NaN and infinities cannot be JSON numbers, so they stay
 * strings. Returns NULL when out of memory or when *bad is set.
 */
static json_t *construct_float(const char *s, size_t n, bool *bad)
{
    char *t = strip_underscores(s, n), *p, *end;
    bool neg = false;
    double d = 0;
    json_t *v = NULL;

    *bad = false;
    if (t == NULL)
        return NULL;
    for (p = t; *p; p++)
        *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    p = t;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, ".inf") == 0 || strcmp(p, ".nan") == 0) {
        v = json_stringn(s, n);
        goto out;
    }
    if (strchr(p, ':') != NULL) {
        char *part = p;

        while (part != NULL) {
            char *colon = strchr(part, ':');

            if (colon != NULL)
                *colon = '\0';
            errno = 0;
            d = d * 60 + strtod(part, &end);
            if (*end != '\0' || end == part) {
                *bad = true;
                goto out;
            }
            part = colon != NULL ? colon + 1 : NULL;
        }
    } else {
        errno = 0;
        d = strtod(p, &end);
        if (*end != '\0' || end == p) {
            *bad = true;
            goto out;
        }
    }
    if (!isfinite(d)) {
        v = json_stringn(s, n);
        goto out;
    }
    v = json_real(neg ? -d : d);
out:
    lmx_free(t);
    return v;
}

/* The value of an untagged plain scalar; NULL when out of memory. */
static json_t *resolve_plain(const char *s, size_t n)
{
    int b;

    if (match_null(s, n))
        return json_null();
    b = match_bool(s, n);
    if (b >= 0)
        return json_boolean(b);
    if (match_int(s, n))
        return construct_int(s, n);
    if (match_float(s, n)) {
        bool bad;
        json_t *v = construct_float(s, n, &bad);

        if (v != NULL || !bad)
            return v;
    }
    return json_stringn(s, n);
}

/* ------------------------------------------------------------------------ */
/* nodes */

static struct lmx__ynode *node_new(struct yparse *yp, enum lmx__ykind kind, yaml_mark_t mark)
{
    struct lmx__ynode *n = lmx_calloc(1, sizeof(*n));

    if (n == NULL) {
        fatal(yp, LMX_ENOMEM);
        return NULL;
    }
    n->kind = kind;
    n->line = mark.line + 1;
    n->col = mark.column + 1;
    n->weight = 1;
    n->height = 1;
    n->next = yp->doc->all;
    yp->doc->all = n;
    return n;
}

static int push_item(struct lmx__ynode *c, struct lmx__ynode *item)
{
    if (c->nitems == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct lmx__ynode **items = lmx_realloc(c->items, cap * sizeof(*items));

        if (items == NULL)
            return LMX_ENOMEM;
        c->items = items;
        c->cap = cap;
    }
    c->items[c->nitems++] = item;
    return 0;
}

static bool add_weight(struct yparse *yp, struct lmx__ynode *parent, const struct lmx__ynode *child)
{
    parent->weight += child->weight;
    if (child->height + 1 > parent->height)
        parent->height = child->height + 1;
    if (parent->weight > YAML_MAX_WEIGHT) {
        yerror(yp, parent->line, parent->col,
               "invalid YAML: the document expands to more than %zu nodes (alias bomb?)",
               YAML_MAX_WEIGHT);
        fatal(yp, LMX_ECONFIG);
        return false;
    }
    if (parent->height > YAML_MAX_HEIGHT) {
        yerror(yp, parent->line, parent->col, "invalid YAML: nesting deeper than %d levels",
               YAML_MAX_HEIGHT);
        fatal(yp, LMX_ECONFIG);
        return false;
    }
    return true;
}

/* Hands a finished node to the collection being built, or makes it the root. */
static void attach(struct yparse *yp, struct lmx__ynode *n)
{
    struct yframe *f;

    if (yp->depth == 0) {
        yp->doc->root = n;
        return;
    }
    f = &yp->stack[yp->depth - 1];
    if (f->node->kind == LMX__Y_SEQ) {
        if (push_item(f->node, n) < 0)
            fatal(yp, LMX_ENOMEM);
        return;
    }
    if (f->key == NULL) {
        if (n->kind != LMX__Y_SCALAR) {
            yerror(yp, n->line, n->col,
                   "invalid YAML: a mapping key must be a scalar, found a %s (unhashable key)",
                   n->kind == LMX__Y_MAP ? "mapping" : "sequence");
            fatal(yp, LMX_ECONFIG);
            return;
        }
        f->key = n;
        return;
    }
    if (push_item(f->node, f->key) < 0 || push_item(f->node, n) < 0) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
    f->key = NULL;
}

static bool is_merge_key(const struct lmx__ynode *k)
{
    /* resolve_key() marks merge keys by a NULL value and text "<<" */
    return k->kind == LMX__Y_SCALAR && k->value == NULL;
}

struct mpair {
    struct lmx__ynode *k, *v;
    bool explicit_key;
};

struct mbuild {
    struct mpair *pairs;
    size_t n, cap;
    json_t *index; /* key text -> pair index */
};

static int mb_add(struct yparse *yp,
                  struct mbuild *mb,
                  struct lmx__ynode *k,
                  struct lmx__ynode *v,
                  bool explicit_key)
{
    json_t *at = json_object_getn(mb->index, k->text, k->len);

    if (at != NULL) {
        struct mpair *p = &mb->pairs[json_integer_value(at)];

        if (explicit_key && p->explicit_key) {
            char buf[64];

            lmx_diag_add(yp->diag, false, yp->name, k->line, k->col,
                         "duplicate key '%s' (first at line %zu); the last one wins",
                         excerpt(k->text, k->len, buf), p->k->line);
        }
        p->k = k;
        p->v = v;
        p->explicit_key = p->explicit_key || explicit_key;
        return 0;
    }
    if (mb->n == mb->cap) {
        size_t cap = mb->cap ? mb->cap * 2 : 8;
        struct mpair *pairs = lmx_realloc(mb->pairs, cap * sizeof(*pairs));

        if (pairs == NULL)
            return LMX_ENOMEM;
        mb->pairs = pairs;
        mb->cap = cap;
    }
    if (json_object_setn_new(mb->index, k->text, k->len, json_integer((json_int_t)mb->n)) < 0)
        return LMX_ENOMEM;
    mb->pairs[mb->n].k = k;
    mb->pairs[mb->n].v = v;
    mb->pairs[mb->n].explicit_key = explicit_key;
    mb->n++;
    return 0;
}

static int mb_add_all(struct yparse *yp, struct mbuild *mb, const struct lmx__ynode *m)
{
    for (size_t i = 0; i + 1 < m->nitems; i += 2)
        if (mb_add(yp, mb, m->items[i], m->items[i + 1], false) < 0)
            return LMX_ENOMEM;
    return 0;
}

/*
 * A mapping is complete: apply `<<` merge keys as PyYAML's flatten_mapping does
 * (merged pairs first, later `<<` over earlier, within a `<<` list earlier
 * mappings over later, explicit keys over all), then keep one pair per key.
 */
static void map_finish(struct yparse *yp, struct lmx__ynode *m)
{
    struct mbuild mb = {0};

    mb.index = json_object();
    if (mb.index == NULL) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
    for (size_t i = 0; i + 1 < m->nitems; i += 2) {
        struct lmx__ynode *k = m->items[i], *v = m->items[i + 1];

        if (!is_merge_key(k))
            continue;
        if (v->kind == LMX__Y_MAP) {
            if (mb_add_all(yp, &mb, v) < 0)
                goto oom;
            continue;
        }
        if (v->kind != LMX__Y_SEQ) {
            yerror(yp, v->line, v->col,
                   "invalid YAML: a merge key '<<' needs a mapping or a list of mappings");
            fatal(yp, LMX_ECONFIG);
            goto out;
        }
        for (size_t j = v->nitems; j-- > 0;) {
            if (v->items[j]->kind != LMX__Y_MAP) {
                yerror(yp, v->items[j]->line, v->items[j]->col,
                       "invalid YAML: a merge key '<<' needs a mapping or a list of mappings");
                fatal(yp, LMX_ECONFIG);
                goto out;
            }
        }
        /* earlier mappings of the list win: add the last first, the first last */
        for (size_t j = v->nitems; j-- > 0;)
            if (mb_add_all(yp, &mb, v->items[j]) < 0)
                goto oom;
    }
    for (size_t i = 0; i + 1 < m->nitems; i += 2)
        if (!is_merge_key(m->items[i]) && mb_add(yp, &mb, m->items[i], m->items[i + 1], true) < 0)
            goto oom;

    /* rewrite the node's items from the merged pairs */
    if (mb.n * 2 > m->cap) {
        struct lmx__ynode **items = lmx_realloc(m->items, mb.n * 2 * sizeof(*items));

        if (items == NULL)
            goto oom;
        m->items = items;
        m->cap = mb.n * 2;
    }
    m->nitems = 0;
    m->weight = 1;
    m->height = 1;
    for (size_t i = 0; i < mb.n; i++) {
        m->items[m->nitems++] = mb.pairs[i].k;
        m->items[m->nitems++] = mb.pairs[i].v;
        if (!add_weight(yp, m, mb.pairs[i].k) || !add_weight(yp, m, mb.pairs[i].v))
            goto out;
    }
    goto out;
oom:
    fatal(yp, LMX_ENOMEM);
out:
    json_decref(mb.index);
    lmx_free(mb.pairs);
}

static void seq_finish(struct yparse *yp, struct lmx__ynode *s)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (!add_weight(yp, s, s->items[i]))
            return;
}

/* ------------------------------------------------------------------------ */
/* events */

static void add_anchor(struct yparse *yp, const yaml_char_t *anchor, struct lmx__ynode *n)
{
    if (anchor == NULL)
        return;
    if (yp->nanchors == yp->anchors_cap) {
        size_t cap = yp->anchors_cap ? yp->anchors_cap * 2 : 8;
        struct yanchor *a = lmx_realloc(yp->anchors, cap * sizeof(*a));

        if (a == NULL) {
            fatal(yp, LMX_ENOMEM);
            return;
        }
        yp->anchors = a;
        yp->anchors_cap = cap;
    }
    yp->anchors[yp->nanchors].name = lmx_strdup((const char *)anchor);
    if (yp->anchors[yp->nanchors].name == NULL) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
    yp->anchors[yp->nanchors++].node = n;
}

static void on_alias(struct yparse *yp, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;

    /* a later anchor of the same name replaces an earlier one */
    for (size_t i = yp->nanchors; i-- > 0;) {
        struct lmx__ynode *n = yp->anchors[i].node;

        if (strcmp(yp->anchors[i].name, name) != 0)
            continue;
        if (!n->done) {
            yerror(yp, ev->start_mark.line + 1, ev->start_mark.column + 1,
                   "invalid YAML: alias '*%s' refers to a node that contains it (recursion)", name);
            fatal(yp, LMX_ECONFIG);
            return;
        }
        attach(yp, n);
        return;
    }
    yerror(yp, ev->start_mark.line + 1, ev->start_mark.column + 1,
           "invalid YAML: found undefined alias '*%s'", name);
    fatal(yp, LMX_ECONFIG);
}

/* Whether a scalar is the key of the mapping being built. */
static bool next_is_key(const struct yparse *yp)
{
    const struct yframe *f;

    if (yp->depth == 0)
        return false;
    f = &yp->stack[yp->depth - 1];
    return f->node->kind == LMX__Y_MAP && f->key == NULL;
}

static void on_scalar(struct yparse *yp, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    struct lmx__ynode *node = node_new(yp, LMX__Y_SCALAR, ev->start_mark);
    char buf[64];

    if (node == NULL)
        return;
    node->text = lmx_strndup(s, n);
    if (node->text == NULL) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
    node->len = n;
    node->done = true;

    if (tag == NULL || strcmp(tag, "!") == 0) {
        if (ev->data.scalar.plain_implicit) {
            if (next_is_key(yp) && text_is(s, n, "<<")) {
                node->value = NULL; /* a merge key */
                goto done;
            }
            node->value = resolve_plain(s, n);
        } else {
            node->value = json_stringn(s, n);
        }
    } else if (strcmp(tag, TAG_PREFIX "str") == 0 || strcmp(tag, TAG_PREFIX "timestamp") == 0 ||
               strcmp(tag, TAG_PREFIX "binary") == 0) {
        node->value = json_stringn(s, n);
    } else if (strcmp(tag, TAG_PREFIX "null") == 0) {
        node->value = json_null();
    } else if (strcmp(tag, TAG_PREFIX "bool") == 0) {
        int b = bool_any_case(s, n);

        if (b < 0) {
            yerror(yp, node->line, node->col, "invalid YAML: '%s' is not a !!bool value",
                   excerpt(s, n, buf));
            node->value = json_stringn(s, n);
        } else {
            node->value = json_boolean(b);
        }
    } else if (strcmp(tag, TAG_PREFIX "int") == 0) {
        if (match_int(s, n)) {
            node->value = construct_int(s, n);
        } else {
            yerror(yp, node->line, node->col, "invalid YAML: '%s' is not a !!int value",
                   excerpt(s, n, buf));
            node->value = json_stringn(s, n);
        }
    } else if (strcmp(tag, TAG_PREFIX "float") == 0) {
        bool bad = false;

        node->value = construct_float(s, n, &bad);
        if (bad) {
            yerror(yp, node->line, node->col, "invalid YAML: '%s' is not a !!float value",
                   excerpt(s, n, buf));
            node->value = json_stringn(s, n);
        }
    } else if (strcmp(tag, TAG_PREFIX "merge") == 0 && next_is_key(yp)) {
        node->value = NULL;
        goto done;
    } else {
        yerror(yp, node->line, node->col,
               "invalid YAML: could not determine a constructor for the tag '%s'", tag);
        node->value = json_stringn(s, n);
    }
    if (node->value == NULL) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
done:
    add_anchor(yp, ev->data.scalar.anchor, node);
    attach(yp, node);
}

static void on_start(struct yparse *yp, const yaml_event_t *ev, enum lmx__ykind kind)
{
    const char *tag = kind == LMX__Y_MAP ? (const char *)ev->data.mapping_start.tag
                                         : (const char *)ev->data.sequence_start.tag;
    const yaml_char_t *anchor =
        kind == LMX__Y_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const char *want = kind == LMX__Y_MAP ? TAG_PREFIX "map" : TAG_PREFIX "seq";
    struct lmx__ynode *node = node_new(yp, kind, ev->start_mark);

    if (node == NULL)
        return;
    if (tag != NULL && strcmp(tag, "!") != 0 && strcmp(tag, want) != 0)
        yerror(yp, node->line, node->col,
               "invalid YAML: could not determine a constructor for the tag '%s'", tag);
    if (yp->depth == yp->stack_cap) {
        size_t cap = yp->stack_cap ? yp->stack_cap * 2 : 16;
        struct yframe *st = lmx_realloc(yp->stack, cap * sizeof(*st));

        if (st == NULL) {
            fatal(yp, LMX_ENOMEM);
            return;
        }
        yp->stack = st;
        yp->stack_cap = cap;
    }
    if (yp->depth >= YAML_MAX_HEIGHT) {
        yerror(yp, node->line, node->col, "invalid YAML: nesting deeper than %d levels",
               YAML_MAX_HEIGHT);
        fatal(yp, LMX_ECONFIG);
        return;
    }
    yp->stack[yp->depth].node = node;
    yp->stack[yp->depth].key = NULL;
    yp->depth++;
    add_anchor(yp, anchor, node);
}

static void on_end(struct yparse *yp)
{
    struct lmx__ynode *node;

    if (LMX_NEVER(yp->depth == 0)) {
        fatal(yp, LMX_ECONFIG);
        return;
    }
    node = yp->stack[--yp->depth].node;
    if (node->kind == LMX__Y_MAP)
        map_finish(yp, node);
    else
        seq_finish(yp, node);
    if (yp->err)
        return;
    node->done = true;
    attach(yp, node);
}

/* line:column of a byte offset (reader errors carry only the offset). */
static void offset_mark(const char *text, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static void syntax_error(struct yparse *yp, const yaml_parser_t *p)
{
    size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "unknown problem";

    if (p->error == YAML_MEMORY_ERROR) {
        fatal(yp, LMX_ENOMEM);
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        offset_mark(yp->text, yp->len, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            yerror(yp, line, col, "invalid YAML: %s (#%X)", problem, (unsigned)p->problem_value);
        else
            yerror(yp, line, col, "invalid YAML: %s", problem);
    } else if (p->context != NULL) {
        yerror(yp, line, col, "invalid YAML: %s (%s at line %zu, column %zu)", problem, p->context,
               (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    } else {
        yerror(yp, line, col, "invalid YAML: %s", problem);
    }
    fatal(yp, LMX_ECONFIG);
}

int lmx__yaml_load(
    const char *name, const char *text, size_t len, struct lmx_diag *diag, struct lmx__ydoc **out)
{
    struct yparse yp = {.name = name, .text = text, .len = len, .diag = diag};
    yaml_parser_t parser;
    bool done = false;
    size_t errors_before = diag->errors;
    int err;

    yp.doc = lmx_calloc(1, sizeof(*yp.doc));
    if (yp.doc == NULL)
        return LMX_ENOMEM;
    if (!yaml_parser_initialize(&parser)) {
        lmx_free(yp.doc);
        return LMX_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done && yp.err == 0) {
        yaml_event_t ev;

        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(&yp, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++yp.ndocs > 1) {
                yerror(&yp, ev.start_mark.line + 1, ev.start_mark.column + 1,
                       "invalid YAML: expected a single document in the stream, but found "
                       "another document");
                fatal(&yp, LMX_ECONFIG);
            }
            break;
        case YAML_SCALAR_EVENT:
            on_scalar(&yp, &ev);
            break;
        case YAML_ALIAS_EVENT:
            on_alias(&yp, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            on_start(&yp, &ev, LMX__Y_SEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            on_start(&yp, &ev, LMX__Y_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            on_end(&yp);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    err = yp.err;
    if (err == 0 && diag->errors > errors_before)
        err = LMX_ECONFIG; /* tag problems: reported, parsing went on */
    for (size_t i = 0; i < yp.nanchors; i++)
        lmx_free(yp.anchors[i].name);
    lmx_free(yp.anchors);
    lmx_free(yp.stack);
    if (err < 0) {
        lmx__ydoc_free(yp.doc);
        return err;
    }
    *out = yp.doc;
    return 0;
}

void lmx__ydoc_free(struct lmx__ydoc *doc)
{
    struct lmx__ynode *n, *next;

    if (doc == NULL)
        return;
    for (n = doc->all; n != NULL; n = next) {
        next = n->next;
        lmx_free(n->text);
        json_decref(n->value);
        json_decref(n->json);
        lmx_free(n->items);
        lmx_free(n);
    }
    lmx_free(doc);
}

struct lmx__ynode *lmx__ymap_get(const struct lmx__ynode *m, const char *key)
{
    size_t klen;

    if (m == NULL || m->kind != LMX__Y_MAP)
        return NULL;
    klen = strlen(key);
    for (size_t i = 0; i + 1 < m->nitems; i += 2)
        if (m->items[i]->len == klen && memcmp(m->items[i]->text, key, klen) == 0)
            return m->items[i + 1];
    return NULL;
}
