/*
 * config/config_int.h - what the files of config/ share and nobody else uses.
 *
 * yaml.c turns YAML text into a tree of lmx__ynode (PyYAML's safe_load rules,
 * with a line:column on every node); providers.c is the table of provider
 * prefixes; load.c validates the tree and builds struct lmx_config.
 */
#ifndef LMX_CONFIG_INT_H
#define LMX_CONFIG_INT_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "core/lmx.h"

/* ------------------------------------------------------------------------ */
/* YAML node tree (yaml.c) */

enum lmx__ykind { LMX__Y_SCALAR, LMX__Y_SEQ, LMX__Y_MAP };

/*
 * One YAML node. An alias is not a node of its own: the parent simply points at
 * the anchored node again, so a node may have several parents. All nodes of a
 * document are on one list (`next`) and freed together.
 */
struct lmx__ynode {
    enum lmx__ykind kind;
    size_t line, col; /* 1-based, where the node starts */

    /* scalars: the text after YAML escapes, and the value PyYAML would construct */
    char *text;
    size_t len;
    json_t *value; /* string, integer, real, true, false or null (owned) */

    /* sequences: items; mappings: key, value, key, value... (merge keys already applied) */
    struct lmx__ynode **items;
    size_t nitems, cap;

    /* bookkeeping */
    size_t weight; /* nodes below and including this one, aliases expanded */
    size_t height; /* nesting levels below and including this one */
    bool done;     /* collection end seen (an alias to an unfinished node is recursion) */

    /* for load.c: the value with os.environ/NAME resolved; NULL = absent */
    json_t *json;
    bool resolved;

    struct lmx__ynode *next;
};

struct lmx__ydoc {
    struct lmx__ynode *root; /* NULL for an empty stream */
    struct lmx__ynode *all;
};

/*
 * Parses `text` as one YAML document. Returns 0 and sets *out; LMX_ECONFIG when
 * the text is not valid YAML or uses something safe_load refuses (unknown tags,
 * undefined or recursive aliases, several documents), with the reason added to
 * `diag`; LMX_ENOMEM when out of memory. Duplicate keys only warn.
 */
int lmx__yaml_load(
    const char *name, const char *text, size_t len, struct lmx_diag *diag, struct lmx__ydoc **out);
/* Frees the document and every node; NULL is a no-op. */
void lmx__ydoc_free(struct lmx__ydoc *doc);

/* The value node of `key` in a mapping node, or NULL (also when m is not a mapping). */
struct lmx__ynode *lmx__ymap_get(const struct lmx__ynode *m, const char *key);

/* ------------------------------------------------------------------------ */
/* Provider table (providers.c) */

enum lmx__pkind {
    LMX__P_COMPAT, /* OpenAI wire format: this build calls it once a base URL is known */
    LMX__P_AZURE,  /* OpenAI wire format, Azure URL scheme and `api-key` header */
    LMX__P_NATIVE, /* its own wire format (or auth/URL scheme): not served yet */
};

/* Flags */
#define LMX__PF_APPEND_V1  0x01 /* the OpenAI surface is `{api_base}/v1` (heroku) */
#define LMX__PF_CLOUDFLARE 0x02 /* default base needs CLOUDFLARE_ACCOUNT_ID */
#define LMX__PF_OPENAI_ORG 0x04 /* OPENAI_ORGANIZATION fills a missing organization */

struct lmx__provider {
    const char *name; /* the prefix, e.g. "groq" */
    enum lmx__pkind kind;
    unsigned flags;
    const char *base;     /* default base URL without trailing '/', or NULL */
    const char *key_env;  /* env variables for a missing api_key, space-separated, in order */
    const char *base_env; /* env variables for a missing api_base, likewise */
    const char *host;     /* api_base substring that means this provider under openai/ */
};

/* The row for a prefix (`len` bytes of `name`), or NULL when it is no known provider. */
const struct lmx__provider *lmx__provider_find(const char *name, size_t len);
/* The OpenAI-compatible preset whose well-known host appears in api_base, or NULL. */
const struct lmx__provider *lmx__provider_by_host(const char *api_base);
/* Number of rows, and row i (for tests and listings). */
size_t lmx__provider_count(void);
const struct lmx__provider *lmx__provider_at(size_t i);

#endif
