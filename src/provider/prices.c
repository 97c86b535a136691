/*
 * provider/prices.c - the price map (LiteLLM's model_prices_and_context_window
 * format), the lookup of a deployment's prices, and the cost formula of
 * COMPAT.md §9.2.
 *
 * The built-in rows at the end of this file are facts copied from LiteLLM's
 * map (field names unchanged), sorted by key so lookups are a binary search.
 * A loaded file is merged over them into a new sorted table that is published
 * with one atomic store; tables are never freed while the process may still
 * read them (lmx_prices_reset frees them all, for exit and tests).
 *
 * Not here: when a cost is computed or where it is written (api/), the spend
 * accounting (obs/, store/).
 */
#include "core/lmx.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/prices.h"

#define PRICE_FILE_MAX (256u << 20)

static const struct lmx_price *builtin_rows(size_t *n);

/* ------------------------------------------------------------------------ */
/* Tables */

struct ptable {
    struct lmx_price *rows; /* sorted by key */
    size_t n;
    char **strs; /* strings the rows point at, owned */
    size_t nstrs, capstrs;
    char *path; /* the file it came from, with its identity */
    time_t mtime;
    off_t size;
    struct ptable *older; /* tables published before this one */
};

static _Atomic(struct ptable *) current;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct lmx_price *rows_now(size_t *n)
{
    struct ptable *t = atomic_load_explicit(&current, memory_order_acquire);

    if (t == NULL)
        return builtin_rows(n);
    *n = t->n;
    return t->rows;
}

static int cmp_key(const void *key, const void *row)
{
    return strcmp(key, ((const struct lmx_price *)row)->key);
}

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct lmx_price *)a)->key, ((const struct lmx_price *)b)->key);
}

const struct lmx_price *lmx_prices_get(const char *key)
{
    size_t n;
    const struct lmx_price *rows = rows_now(&n);

    if (key == NULL)
        return NULL;
    return bsearch(key, rows, n, sizeof(*rows), cmp_key);
}

static void ptable_free(struct ptable *t)
{
    while (t != NULL) {
        struct ptable *older = t->older;

        for (size_t i = 0; i < t->nstrs; i++)
            lmx_free(t->strs[i]);
        lmx_free(t->strs);
        lmx_free(t->rows);
        lmx_free(t->path);
        lmx_free(t);
        t = older;
    }
}

/* A copy of s owned by t; NULL when out of memory. */
static const char *ptable_str(struct ptable *t, const char *s)
{
    char *c;

    if (t->nstrs == t->capstrs) {
        size_t cap = t->capstrs ? t->capstrs * 2 : 256;
        char **v = lmx_realloc(t->strs, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        t->strs = v;
        t->capstrs = cap;
    }
    c = lmx_strdup(s);
    if (c != NULL)
        t->strs[t->nstrs++] = c;
    return c;
}

/* ------------------------------------------------------------------------ */
/* JSON entries -> struct lmx_price */

/* clang-format off */
static const struct {
    const char *name;
    size_t off;
    unsigned bit;
} rate_fields[] = {
    {"input_cost_per_token", offsetof(struct lmx_price, input_cost_per_token), LMX_PH_INPUT},
    {"output_cost_per_token", offsetof(struct lmx_price, output_cost_per_token), LMX_PH_OUTPUT},
    {"cache_read_input_token_cost", offsetof(struct lmx_price, cache_read_input_token_cost), LMX_PH_CACHE_READ},
    {"cache_creation_input_token_cost", offsetof(struct lmx_price, cache_creation_input_token_cost), LMX_PH_CACHE_WRITE},
    {"cache_creation_input_token_cost_above_1hr", offsetof(struct lmx_price, cache_creation_input_token_cost_above_1hr), LMX_PH_CACHE_WRITE_1H},
    {"output_cost_per_reasoning_token", offsetof(struct lmx_price, output_cost_per_reasoning_token), LMX_PH_REASONING},
    {"input_cost_per_audio_token", offsetof(struct lmx_price, input_cost_per_audio_token), LMX_PH_AUDIO_IN},
    {"output_cost_per_audio_token", offsetof(struct lmx_price, output_cost_per_audio_token), LMX_PH_AUDIO_OUT},
    {"input_cost_per_image_token", offsetof(struct lmx_price, input_cost_per_image_token), LMX_PH_IMAGE_IN},
    {"output_cost_per_image_token", offsetof(struct lmx_price, output_cost_per_image_token), LMX_PH_IMAGE_OUT},
    {"input_cost_per_second", offsetof(struct lmx_price, input_cost_per_second), LMX_PH_INPUT_SECOND},
    {"output_cost_per_second", offsetof(struct lmx_price, output_cost_per_second), LMX_PH_OUTPUT_SECOND},
    {"input_cost_per_query", offsetof(struct lmx_price, input_cost_per_query), LMX_PH_QUERY},
    {"output_cost_per_image", offsetof(struct lmx_price, output_cost_per_image), LMX_PH_OUTPUT_IMAGE},
    {"input_cost_per_character", offsetof(struct lmx_price, input_cost_per_character), LMX_PH_INPUT_CHAR},
};

/* the rates an above-N tier may carry, longest name first (one is a prefix of another) */
static const struct {
    const char *name;
    size_t off;
    unsigned bit;
} tier_fields[] = {
    {"cache_creation_input_token_cost_above_1hr", offsetof(struct lmx_price_tier, cache_creation_input_token_cost_above_1hr), LMX_PH_CACHE_WRITE_1H},
    {"cache_creation_input_token_cost", offsetof(struct lmx_price_tier, cache_creation_input_token_cost), LMX_PH_CACHE_WRITE},
    {"cache_read_input_token_cost", offsetof(struct lmx_price_tier, cache_read_input_token_cost), LMX_PH_CACHE_READ},
    {"output_cost_per_token", offsetof(struct lmx_price_tier, output_cost_per_token), LMX_PH_OUTPUT},
    {"input_cost_per_token", offsetof(struct lmx_price_tier, input_cost_per_token), LMX_PH_INPUT},
};

/* in LMX_SUP_* bit order */
static const char *const sup_names[LMX_SUP_COUNT] = {
    "supports_function_calling", "supports_parallel_function_calling", "supports_tool_choice",
    "supports_vision", "supports_prompt_caching", "supports_reasoning", "supports_response_schema",
    "supports_system_messages", "supports_audio_input", "supports_audio_output", "supports_pdf_input",
    "supports_web_search", "supports_computer_use", "supports_assistant_prefill",
    "supports_native_streaming", "supports_embedding_image_input", "supports_video_input",
};
/* clang-format on */

/* A number, or a numeric string as YAML configs may write ("3e-7"). */
static bool get_number(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out);
    }
    if (json_is_string(v))
        return lmx_parse_double(json_string_value(v), out) == 0 && isfinite(*out);
    return false;
}

static double *rate_at(void *base, size_t off)
{
    return (double *)((char *)base + off);
}

/* The tier slot for threshold `above` (kept sorted), or NULL when all are taken. */
static struct lmx_price_tier *tier_slot(struct lmx_price *p, long above)
{
    size_t i;

    for (i = 0; i < LMX_PRICE_TIERS && p->tiers[i].above != 0; i++)
        if (p->tiers[i].above == above)
            return &p->tiers[i];
    if (i == LMX_PRICE_TIERS)
        return NULL;
    while (i > 0 && p->tiers[i - 1].above > above) {
        p->tiers[i] = p->tiers[i - 1];
        i--;
    }
    memset(&p->tiers[i], 0, sizeof(p->tiers[i]));
    p->tiers[i].above = above;
    return &p->tiers[i];
}

/* "<rate>_above_<N>[k]_tokens": sets the tier rate and returns true. */
static bool apply_tier_field(struct lmx_price *p, const char *name, double v)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(tier_fields); i++) {
        size_t l = strlen(tier_fields[i].name);
        const char *s = name + l;
        char *end;
        long n;
        struct lmx_price_tier *t;

        if (strncmp(name, tier_fields[i].name, l) != 0 || strncmp(s, "_above_", 7) != 0)
            continue;
        s += 7;
        if (*s < '0' || *s > '9')
            return false;
        errno = 0;
        n = strtol(s, &end, 10);
        if (errno != 0 || n <= 0 || n > 1000000000L)
            return false;
        if (*end == 'k') {
            n *= 1000;
            end++;
        }
        if (strcmp(end, "_tokens") != 0)
            return false; /* e.g. a _priority variant: not billed by llmux */
        t = tier_slot(p, n);
        if (t == NULL)
            return false;
        *rate_at(t, tier_fields[i].off) = v;
        t->has |= tier_fields[i].bit;
        return true;
    }
    return false;
}

/* LiteLLM's newer `tiered_pricing`: [{range:[lo,hi], input_cost_per_token, ...}]. */
static void apply_tiered_pricing(struct lmx_price *p, const json_t *arr)
{
    size_t i;
    const json_t *t;

    json_array_foreach(arr, i, t) {
        const json_t *range = json_object_get(t, "range");
        double lo, in, out, cr, cw;
        bool has_out;

        if (!get_number(json_array_get(range, 0), &lo) || lo < 0 ||
            !get_number(json_object_get(t, "input_cost_per_token"), &in))
            continue;
        /* as LiteLLM: a tier's missing cache rates are its input rate, its missing
           output rate the model's own */
        has_out = get_number(json_object_get(t, "output_cost_per_token"), &out);
        if (!get_number(json_object_get(t, "cache_read_input_token_cost"), &cr))
            cr = in;
        if (!get_number(json_object_get(t, "cache_creation_input_token_cost"), &cw))
            cw = in;
        if (lo < 1) {
            p->input_cost_per_token = in;
            p->cache_read_input_token_cost = cr;
            p->cache_creation_input_token_cost = cw;
            p->has |= LMX_PH_INPUT | LMX_PH_CACHE_READ | LMX_PH_CACHE_WRITE;
            if (has_out) {
                p->output_cost_per_token = out;
                p->has |= LMX_PH_OUTPUT;
            }
        } else {
            struct lmx_price_tier *s = tier_slot(p, (long)lo);

            if (s == NULL)
                continue;
            s->input_cost_per_token = in;
            s->cache_read_input_token_cost = cr;
            s->cache_creation_input_token_cost = cw;
            s->has |= LMX_PH_INPUT | LMX_PH_CACHE_READ | LMX_PH_CACHE_WRITE;
            if (has_out) {
                s->output_cost_per_token = out;
                s->has |= LMX_PH_OUTPUT;
            }
        }
    }
}

enum apply_what {
    APPLY_ALL,   /* a map entry or model_info: rates, limits, mode, provider, supports_* */
    APPLY_RATES, /* litellm_params: only the prices (max_tokens there is a request default) */
};

/*
 * Copies the fields of `obj` LiteLLM's map knows into *p. Strings are copied
 * into `owner`, or borrowed from obj when owner is NULL. Returns how many
 * rates were set, or LMX_ENOMEM.
 */
static int
apply_json(struct lmx_price *p, const json_t *obj, enum apply_what what, struct ptable *owner)
{
    const char *name;
    const json_t *v;
    int rates = 0;
    double x;

    json_object_foreach((json_t *)obj, name, v) {
        bool done = false;

        for (size_t i = 0; i < LMX_ARRAY_SIZE(rate_fields); i++) {
            if (strcmp(name, rate_fields[i].name) != 0)
                continue;
            done = true;
            if (get_number(v, &x)) {
                *rate_at(p, rate_fields[i].off) = x;
                p->has |= rate_fields[i].bit;
                rates++;
            }
            break;
        }
        if (done)
            continue;
        if (strstr(name, "_above_") != NULL && get_number(v, &x)) {
            rates += apply_tier_field(p, name, x);
            continue;
        }
        if (strcmp(name, "tiered_pricing") == 0 && json_is_array(v)) {
            apply_tiered_pricing(p, v);
            rates++;
            continue;
        }
        if (what == APPLY_RATES)
            continue;
        if (strcmp(name, "max_tokens") == 0 && get_number(v, &x) && x >= 0 && x < 1e12) {
            p->max_tokens = (long)x;
        } else if (strcmp(name, "max_input_tokens") == 0 && get_number(v, &x) && x >= 0 &&
                   x < 1e12) {
            p->max_input_tokens = (long)x;
        } else if (strcmp(name, "max_output_tokens") == 0 && get_number(v, &x) && x >= 0 &&
                   x < 1e12) {
            p->max_output_tokens = (long)x;
        } else if ((strcmp(name, "mode") == 0 || strcmp(name, "litellm_provider") == 0) &&
                   json_is_string(v)) {
            const char *s =
                owner != NULL ? ptable_str(owner, json_string_value(v)) : json_string_value(v);

            if (s == NULL)
                return LMX_ENOMEM;
            if (name[0] == 'm')
                p->mode = s;
            else
                p->litellm_provider = s;
        } else if (strncmp(name, "supports_", 9) == 0 && json_is_boolean(v)) {
            for (unsigned b = 0; b < LMX_SUP_COUNT; b++) {
                if (strcmp(name, sup_names[b]) != 0)
                    continue;
                if (json_is_true(v))
                    p->supports |= 1u << b;
                else
                    p->supports &= ~(1u << b);
                break;
            }
        }
    }
    return rates;
}

/* ------------------------------------------------------------------------ */
/* Loading a file */

static int read_file(const char *path, char **out, size_t *len, struct stat *st)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int err = LMX_EIO;

    if (f == NULL)
        return LMX_EIO;
    if (fstat(fileno(f), st) != 0 || !S_ISREG(st->st_mode))
        goto out;
    if ((uintmax_t)st->st_size > PRICE_FILE_MAX) {
        err = LMX_ETOOBIG;
        goto out;
    }
    buf = lmx_malloc((size_t)st->st_size + 1);
    if (buf == NULL) {
        err = LMX_ENOMEM;
        goto out;
    }
    n = fread(buf, 1, (size_t)st->st_size, f);
    if (ferror(f))
        goto out;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    err = 0;
out:
    lmx_free(buf);
    fclose(f);
    return err;
}

/* The built-in rows merged with the entries of `root` into a new table *out. */
static int build_table(const json_t *root, struct ptable **out)
{
    struct ptable *t = lmx_calloc(1, sizeof(*t));
    size_t nb, cap;
    const struct lmx_price *b = builtin_rows(&nb);
    const char *key;
    const json_t *e;
    int err = LMX_ENOMEM;

    if (t == NULL)
        return LMX_ENOMEM;
    cap = nb + json_object_size(root);
    t->rows = lmx_calloc(cap ? cap : 1, sizeof(*t->rows));
    if (t->rows == NULL)
        goto out;
    memcpy(t->rows, b, nb * sizeof(*b));
    t->n = nb;
    json_object_foreach((json_t *)root, key, e) {
        struct lmx_price *p;

        if (!json_is_object(e) || strcmp(key, "sample_spec") == 0)
            continue;
        p = bsearch(key, t->rows, nb, sizeof(*t->rows), cmp_key);
        if (p == NULL) {
            p = &t->rows[t->n++];
            memset(p, 0, sizeof(*p));
            p->key = ptable_str(t, key);
            if (p->key == NULL)
                goto out;
        }
        if (apply_json(p, e, APPLY_ALL, t) < 0)
            goto out;
    }
    qsort(t->rows, t->n, sizeof(*t->rows), cmp_rows);
    *out = t;
    t = NULL;
    err = 0;
out:
    ptable_free(t);
    return err;
}

int lmx_prices_load_file(const char *path)
{
    struct ptable *t = NULL, *old;
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    json_t *root = NULL;
    json_error_t je;
    int err;

    if (path == NULL || *path == '\0')
        return LMX_EIO;
    pthread_mutex_lock(&load_lock);
    err = read_file(path, &text, &len, &st);
    if (err < 0) {
        lmx_warn("cannot read model cost map '%s': %s", path,
                 err == LMX_EIO ? strerror(errno) : lmx_strerror(err));
        goto out;
    }
    old = atomic_load_explicit(&current, memory_order_acquire);
    if (old != NULL && old->path != NULL && strcmp(old->path, path) == 0 &&
        old->mtime == st.st_mtime && old->size == st.st_size) {
        err = 0; /* unchanged */
        goto out;
    }
    root = json_loadb(text, len, 0, &je);
    if (!json_is_object(root)) {
        lmx_warn("cannot load model cost map '%s': %s", path,
                 root == NULL ? je.text : "the file is not a JSON object");
        err = LMX_EBADJSON;
        goto out;
    }
    err = build_table(root, &t);
    if (err < 0)
        goto out;
    t->path = lmx_strdup(path);
    if (t->path == NULL) {
        err = LMX_ENOMEM;
        goto out;
    }
    t->mtime = st.st_mtime;
    t->size = st.st_size;
    t->older = old; /* readers may still hold rows of the old tables */
    atomic_store_explicit(&current, t, memory_order_release);
    lmx_info("model cost map '%s': %zu entries", path, t->n);
    t = NULL;
    err = 0;
out:
    pthread_mutex_unlock(&load_lock);
    if (t != NULL)
        t->older = NULL;
    ptable_free(t);
    json_decref(root);
    lmx_free(text);
    return err;
}

void lmx_prices_reset(void)
{
    struct ptable *t;

    pthread_mutex_lock(&load_lock);
    t = atomic_exchange_explicit(&current, NULL, memory_order_acq_rel);
    pthread_mutex_unlock(&load_lock);
    ptable_free(t);
}

static bool env_true(const char *name)
{
    const char *v = getenv(name);

    return v != NULL &&
           (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0);
}

int lmx_prices_configure(const struct lmx_config *cfg)
{
    const json_t *ls = cfg != NULL ? json_object_get(cfg->root, "llmux_settings") : NULL;
    const char *path = json_string_value(json_object_get(ls, "model_cost_map"));
    const char *url;

    if (path != NULL && *path != '\0')
        return lmx_prices_load_file(path);
    if (env_true("LITELLM_LOCAL_MODEL_COST_MAP"))
        return 0;
    url = getenv("LITELLM_MODEL_COST_MAP_URL");
    if (url == NULL || *url == '\0')
        return 0;
    if (strncmp(url, "file://", 7) == 0)
        return lmx_prices_load_file(url + 7);
    if (strstr(url, "://") != NULL) {
        lmx_info("LITELLM_MODEL_COST_MAP_URL '%s' is not fetched; using the built-in price map",
                 url);
        return 0;
    }
    return lmx_prices_load_file(url);
}

/* ------------------------------------------------------------------------ */
/* Lookup */

/* A provider prefix reduced to the family LiteLLM's map names in litellm_provider. */
static size_t family(const char *p, const char **out)
{
    static const char *const openai_aliases[] = {"aiohttp_openai", "custom_openai", "openai_like",
                                                 "text-completion-openai"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(openai_aliases); i++)
        if (strcmp(p, openai_aliases[i]) == 0) {
            *out = "openai";
            return 6;
        }
    if (strncmp(p, "text-completion-", 16) == 0)
        p += 16;
    *out = p;
    return strcspn(p, "-"); /* vertex_ai-language-models -> vertex_ai */
}

/* True when a row of litellm_provider `row` serves deployments of prefix `prov`. */
static bool same_family(const char *prov, const char *row)
{
    const char *a, *b;
    size_t la, lb, l;

    if (prov == NULL || row == NULL)
        return false;
    if (strcmp(prov, row) == 0)
        return true;
    la = family(prov, &a);
    lb = family(row, &b);
    if (la == lb && strncmp(a, b, la) == 0)
        return true;
    /* bedrock ~ bedrock_converse, cohere ~ cohere_chat, ollama ~ ollama_chat, vertex_ai ~
       vertex_ai_beta; azure and azure_ai stay apart */
    l = LMX_MIN(la, lb);
    if (strncmp(a, b, l) != 0 || (la > l && a[l] != '_') || (lb > l && b[l] != '_'))
        return false;
    return strncmp(a, "azure", 5) != 0;
}

const struct lmx_price *lmx_prices_find(const char *provider, const char *model)
{
    const struct lmx_price *p;
    const char *slash;
    char key[512];

    if (model == NULL || *model == '\0')
        return NULL;
    if (provider != NULL && *provider != '\0') {
        snprintf(key, sizeof(key), "%s/%s", provider, model);
        p = lmx_prices_get(key);
        if (p == NULL && strchr(provider, '_') != NULL) {
            /* amazon_nova's rows are keyed amazon-nova/... */
            for (char *c = key; *c != '/'; c++)
                if (*c == '_')
                    *c = '-';
            p = lmx_prices_get(key);
        }
        if (p != NULL)
            return p;
    }
    p = lmx_prices_get(model);
    if (p != NULL && (provider == NULL || same_family(provider, p->litellm_provider)))
        return p;
    /* a routing prefix (bedrock/converse/..., region/...) or a vendor path */
    slash = strrchr(model, '/');
    if (slash != NULL && slash[1] != '\0') {
        p = lmx_prices_get(slash + 1);
        if (p != NULL && (provider == NULL || same_family(provider, p->litellm_provider)))
            return p;
    }
    return NULL;
}

static const char *str_member(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s != NULL && *s != '\0' ? s : NULL;
}

int lmx_prices_for(const struct lmx_deployment *d, const char *model, struct lmx_price *out)
{
    const struct lmx_price *row = NULL;
    const char *bm;
    int n1, n2;

    memset(out, 0, sizeof(*out));
    if (d == NULL)
        return LMX_DECLINED;
    if (model == NULL)
        model = d->upstream_model;
    bm = str_member(d->model_info, "base_model");
    if (bm == NULL)
        bm = str_member(d->litellm_params, "base_model");
    if (bm != NULL) {
        const char *slash = strchr(bm, '/');

        row = lmx_prices_get(bm);
        if (row == NULL)
            row = lmx_prices_find(d->provider, bm);
        if (row == NULL && slash != NULL) {
            char prov[64];
            size_t l = (size_t)(slash - bm);

            if (l < sizeof(prov)) {
                memcpy(prov, bm, l);
                prov[l] = '\0';
                row = lmx_prices_find(prov, slash + 1);
            }
        }
    }
    if (row == NULL)
        row = lmx_prices_find(d->provider, model);
    if (row != NULL) {
        *out = *row;
    } else {
        out->key = model;
        out->litellm_provider = d->provider;
    }
    n1 = json_is_object(d->model_info) ? apply_json(out, d->model_info, APPLY_ALL, NULL) : 0;
    n2 = json_is_object(d->litellm_params) ? apply_json(out, d->litellm_params, APPLY_RATES, NULL)
                                           : 0;
    if (row == NULL && n1 <= 0 && n2 <= 0)
        return LMX_DECLINED;
    return 0;
}

void lmx_prices_each_model(const char *provider, void (*fn)(const char *model, void *ud), void *ud)
{
    size_t n, pl = provider != NULL ? strlen(provider) : 0;
    const struct lmx_price *rows = rows_now(&n);

    for (size_t i = 0; i < n && pl > 0; i++) {
        const char *k = rows[i].key;

        if (!same_family(provider, rows[i].litellm_provider))
            continue;
        if (strncmp(k, provider, pl) == 0 && k[pl] == '/')
            k += pl + 1;
        fn(k, ud);
    }
}

/* ------------------------------------------------------------------------ */
/* Cost */

struct usage_n {
    double prompt, completion;
    double cached, write, write_1h;
    double audio_in, image_in;
    double reasoning, audio_out, image_out;
};

static double num(const json_t *o, const char *k)
{
    double x;

    return get_number(json_object_get(o, k), &x) && x > 0 ? x : 0;
}

/* Usage in OpenAI's shape, prompt_tokens including cached and cache-write tokens. */
static void normalise(const json_t *u, struct usage_n *n)
{
    const json_t *ptd = json_object_get(u, "prompt_tokens_details");
    const json_t *ctd = json_object_get(u, "completion_tokens_details");
    const json_t *split = json_object_get(u, "cache_creation");
    bool anthropic =
        json_object_get(u, "prompt_tokens") == NULL && json_object_get(u, "input_tokens") != NULL;
    double w5, w1;

    memset(n, 0, sizeof(*n));
    if (anthropic) {
        /* input_tokens excludes the cache reads and writes: added below */
        n->cached = num(u, "cache_read_input_tokens");
        n->write = num(u, "cache_creation_input_tokens");
        n->completion = num(u, "output_tokens");
    } else {
        n->prompt = num(u, "prompt_tokens");
        n->completion = num(u, "completion_tokens");
        n->cached = num(ptd, "cached_tokens");
        if (n->cached == 0)
            n->cached = num(u, "cache_read_input_tokens");
        if (n->cached == 0)
            n->cached = num(u, "prompt_cache_hit_tokens"); /* DeepSeek */
        n->write = num(u, "cache_creation_input_tokens");
        if (n->write == 0)
            n->write = num(ptd, "cache_creation_tokens");
        if (!json_is_object(split))
            split = json_object_get(ptd, "cache_creation_token_details");
        n->audio_in = num(ptd, "audio_tokens");
        n->image_in = num(ptd, "image_tokens");
        n->reasoning = num(ctd, "reasoning_tokens");
        n->audio_out = num(ctd, "audio_tokens");
        n->image_out = num(ctd, "image_tokens");
    }
    w5 = num(split, "ephemeral_5m_input_tokens");
    w1 = num(split, "ephemeral_1h_input_tokens");
    if (w5 + w1 > n->write)
        n->write = w5 + w1;
    n->write_1h = LMX_MIN(w1, n->write);
    if (anthropic)
        n->prompt = num(u, "input_tokens") + n->cached + n->write;
}

static bool has(double v, unsigned mask, unsigned bit)
{
    return v != 0 || (mask & bit) != 0;
}

struct rates {
    double in, out, cache_read, cache_write, cache_write_1h;
};

static void pick_rates(const struct lmx_price *p, double prompt, struct rates *r)
{
    const struct lmx_price_tier *best = NULL;
    bool inclusive = p->litellm_provider != NULL && strcmp(p->litellm_provider, "xai") == 0;

    r->in = p->input_cost_per_token;
    r->out = p->output_cost_per_token;
    r->cache_read = p->cache_read_input_token_cost;
    r->cache_write = p->cache_creation_input_token_cost;
    /* a model without a 1-hour rate bills those writes at its 5-minute rate */
    r->cache_write_1h =
        has(p->cache_creation_input_token_cost_above_1hr, p->has, LMX_PH_CACHE_WRITE_1H)
            ? p->cache_creation_input_token_cost_above_1hr
            : p->cache_creation_input_token_cost;
    for (size_t i = 0; i < LMX_PRICE_TIERS; i++) {
        const struct lmx_price_tier *t = &p->tiers[i];
        double n = (double)t->above;

        if (t->above <= 0 || !has(t->input_cost_per_token, t->has, LMX_PH_INPUT))
            continue;
        if ((inclusive ? prompt >= n : prompt > n) && (best == NULL || t->above > best->above))
            best = t;
    }
    if (best == NULL)
        return;
    /* the whole request at the tier's rates; a rate the tier lacks stays the base one */
    if (has(best->input_cost_per_token, best->has, LMX_PH_INPUT))
        r->in = best->input_cost_per_token;
    if (has(best->output_cost_per_token, best->has, LMX_PH_OUTPUT))
        r->out = best->output_cost_per_token;
    if (has(best->cache_read_input_token_cost, best->has, LMX_PH_CACHE_READ))
        r->cache_read = best->cache_read_input_token_cost;
    if (has(best->cache_creation_input_token_cost, best->has, LMX_PH_CACHE_WRITE))
        r->cache_write = best->cache_creation_input_token_cost;
    if (has(best->cache_creation_input_token_cost_above_1hr, best->has, LMX_PH_CACHE_WRITE_1H))
        r->cache_write_1h = best->cache_creation_input_token_cost_above_1hr;
}

double lmx_cost(const struct lmx_price *p, const json_t *usage)
{
    struct usage_n u;
    struct rates r;
    double text_in, text_out, input, output, write_5m;

    if (p == NULL || !json_is_object(usage))
        return 0;
    normalise(usage, &u);
    pick_rates(p, u.prompt, &r);
    write_5m = u.write - u.write_1h;
    text_in = u.prompt - u.cached - u.write - u.audio_in - u.image_in;
    if (text_in < 0)
        text_in = 0;
    input = text_in * r.in + u.cached * r.cache_read + write_5m * r.cache_write +
            u.write_1h * r.cache_write_1h + u.audio_in * p->input_cost_per_audio_token +
            u.image_in * (has(p->input_cost_per_image_token, p->has, LMX_PH_IMAGE_IN)
                              ? p->input_cost_per_image_token
                              : r.in);
    text_out = u.completion - u.reasoning - u.audio_out - u.image_out;
    if (text_out < 0)
        text_out = 0;
    output = text_out * r.out +
             u.reasoning * (has(p->output_cost_per_reasoning_token, p->has, LMX_PH_REASONING)
                                ? p->output_cost_per_reasoning_token
                                : r.out) +
             u.audio_out * (has(p->output_cost_per_audio_token, p->has, LMX_PH_AUDIO_OUT)
                                ? p->output_cost_per_audio_token
                                : r.out) +
             u.image_out * (has(p->output_cost_per_image_token, p->has, LMX_PH_IMAGE_OUT)
                                ? p->output_cost_per_image_token
                                : r.out);
    return input + output;
}

/* Models already warned about having no price (a small lock-free set of name hashes). */
static _Atomic uint64_t warned[512];

static bool first_warning(const char *provider, const char *model)
{
    uint64_t h = 1469598103934665603ull;
    const char *parts[2] = {provider != NULL ? provider : "", model != NULL ? model : ""};

    for (size_t k = 0; k < 2; k++) {
        for (const char *s = parts[k]; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ull;
        h = (h ^ '/') * 1099511628211ull;
    }
    if (h == 0)
        h = 1;
    for (size_t i = 0; i < 16; i++) {
        _Atomic uint64_t *slot = &warned[(h + i) % LMX_ARRAY_SIZE(warned)];
        uint64_t seen = atomic_load_explicit(slot, memory_order_relaxed);

        if (seen == h)
            return false;
        if (seen == 0 && atomic_compare_exchange_strong(slot, &seen, h))
            return true;
        if (seen == h)
            return false;
    }
    return false; /* the set is full: stay quiet */
}

int lmx_prices_call_cost_model(const struct lmx_deployment *d,
                               const char *model,
                               const json_t *usage,
                               double *out)
{
    struct lmx_price p;

    *out = 0;
    if (d == NULL || !json_is_object(usage))
        return LMX_DECLINED;
    if (lmx_prices_for(d, model, &p) < 0) {
        if (p.key != NULL && strchr(p.key, '*') == NULL && first_warning(d->provider, p.key))
            lmx_warn("no price known for model '%s' of provider '%s'; its calls cost 0 (set "
                     "input_cost_per_token / output_cost_per_token or model_info.base_model)",
                     p.key != NULL ? p.key : "", d->provider != NULL ? d->provider : "");
        return LMX_DECLINED;
    }
    *out = lmx_cost(&p, usage);
    return 0;
}

int lmx_prices_call_cost(const struct lmx_deployment *d, const json_t *usage, double *out)
{
    return lmx_prices_call_cost_model(d, NULL, usage, out);
}

size_t lmx_cost_format(double v, char *buf, size_t n)
{
    char tmp[40], digits[24], out[64], *e;
    size_t nd = 0, len = 0, o = 0;
    int prec, exp;
    bool neg;

    if (n == 0)
        return 0;
    if (!isfinite(v))
        return (size_t)snprintf(buf, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    if (v == 0)
        return (size_t)snprintf(buf, n, "%s", signbit(v) ? "-0.0" : "0.0");
    /* the shortest digits that read back as v, as Python's repr */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    neg = tmp[0] == '-';
    e = strchr(tmp, 'e');
    if (e == NULL)
        return (size_t)snprintf(buf, n, "%s", tmp);
    exp = atoi(e + 1);
    for (const char *s = tmp + neg; s < e; s++)
        if (*s >= '0' && *s <= '9' && nd < sizeof(digits) - 1)
            digits[nd++] = *s;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    if (neg)
        out[o++] = '-';
    if (exp < -4 || exp >= 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (size_t i = 1; i < nd; i++)
                out[o++] = digits[i];
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "e%c%02d", exp < 0 ? '-' : '+',
                              exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = -1; i > exp; i--)
            out[o++] = '0';
        for (size_t i = 0; i < nd; i++)
            out[o++] = digits[i];
    } else {
        for (int i = 0; i <= exp; i++)
            out[o++] = (size_t)i < nd ? digits[i] : '0';
        out[o++] = '.';
        if ((size_t)exp + 1 < nd)
            for (size_t i = (size_t)exp + 1; i < nd; i++)
                out[o++] = digits[i];
        else
            out[o++] = '0';
    }
    out[o] = '\0';
    len = LMX_MIN(o, n - 1);
    memcpy(buf, out, len);
    buf[len] = '\0';
    return len;
}

/* ------------------------------------------------------------------------ */
/* As JSON (model_info) */

static int set_rate(json_t *o, const char *name, double v)
{
    return json_object_set_new(o, name, json_real(v));
}

json_t *lmx_price_to_json(const struct lmx_price *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;

    if (!ok)
        return NULL;
    ok = json_object_set_new(o, "key", p->key ? json_string(p->key) : json_null()) == 0 &&
         json_object_set_new(o, "litellm_provider",
                             p->litellm_provider ? json_string(p->litellm_provider)
                                                 : json_null()) == 0 &&
         json_object_set_new(o, "mode", p->mode ? json_string(p->mode) : json_null()) == 0;
    ok = ok &&
         json_object_set_new(o, "max_tokens",
                             p->max_tokens ? json_integer(p->max_tokens) : json_null()) == 0 &&
         json_object_set_new(o, "max_input_tokens",
                             p->max_input_tokens ? json_integer(p->max_input_tokens)
                                                 : json_null()) == 0 &&
         json_object_set_new(o, "max_output_tokens",
                             p->max_output_tokens ? json_integer(p->max_output_tokens)
                                                  : json_null()) == 0;
    for (size_t i = 0; ok && i < LMX_ARRAY_SIZE(rate_fields); i++) {
        double v = *(const double *)((const char *)p + rate_fields[i].off);

        if (has(v, p->has, rate_fields[i].bit))
            ok = set_rate(o, rate_fields[i].name, v) == 0;
        else if (i < 2) /* the two every client reads: null when unknown */
            ok = json_object_set_new(o, rate_fields[i].name, json_null()) == 0;
    }
    for (size_t t = 0; ok && t < LMX_PRICE_TIERS && p->tiers[t].above > 0; t++) {
        const struct lmx_price_tier *tr = &p->tiers[t];
        char sfx[48], name[112];

        if (tr->above % 1000 == 0)
            snprintf(sfx, sizeof(sfx), "_above_%ldk_tokens", tr->above / 1000);
        else
            snprintf(sfx, sizeof(sfx), "_above_%ld_tokens", tr->above);
        for (size_t i = 0; ok && i < LMX_ARRAY_SIZE(tier_fields); i++) {
            double v = *(const double *)((const char *)tr + tier_fields[i].off);

            if (!has(v, tr->has, tier_fields[i].bit))
                continue;
            snprintf(name, sizeof(name), "%s%s", tier_fields[i].name, sfx);
            ok = set_rate(o, name, v) == 0;
        }
    }
    for (unsigned b = 0; ok && b < LMX_SUP_COUNT; b++)
        ok = json_object_set_new(o, sup_names[b], json_boolean(p->supports & (1u << b))) == 0;
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/*
 * The built-in map: the major models of every native family and of the main
 * OpenAI-compatible presets, copied from LiteLLM's
 * model_prices_and_context_window.json (its field names; rows it has since
 * retired, such as claude-3-5-sonnet-20241022, from an earlier copy). Sorted
 * by key (byte order); tests/unit/provider/prices.c checks that. To add a
 * model, add its row in order, or load a file with lmx_prices_load_file.
 */

#define S_FN   LMX_SUP_FUNCTION_CALLING
#define S_PFN  LMX_SUP_PARALLEL_FUNCTION_CALLING
#define S_TC   LMX_SUP_TOOL_CHOICE
#define S_VIS  LMX_SUP_VISION
#define S_PC   LMX_SUP_PROMPT_CACHING
#define S_RSN  LMX_SUP_REASONING
#define S_RS   LMX_SUP_RESPONSE_SCHEMA
#define S_SYS  LMX_SUP_SYSTEM_MESSAGES
#define S_AIN  LMX_SUP_AUDIO_INPUT
#define S_AOUT LMX_SUP_AUDIO_OUTPUT
#define S_PDF  LMX_SUP_PDF_INPUT
#define S_WEB  LMX_SUP_WEB_SEARCH
#define S_CU   LMX_SUP_COMPUTER_USE
#define S_PRE  LMX_SUP_ASSISTANT_PREFILL
#define S_NS   LMX_SUP_NATIVE_STREAMING
#define S_EII  LMX_SUP_EMBEDDING_IMAGE_INPUT
#define S_VID  LMX_SUP_VIDEO_INPUT

/* clang-format off */
static const struct lmx_price builtin[] = {
    {.key = "ai21.jamba-1-5-large-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06},
    {.key = "ai21.jamba-1-5-mini-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-07, .output_cost_per_token = 4e-07},
    {.key = "amazon-nova/nova-lite-v1", .litellm_provider = "amazon_nova", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 6e-08, .output_cost_per_token = 2.4e-07, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "amazon-nova/nova-micro-v1", .litellm_provider = "amazon_nova", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 128000, .max_output_tokens = 10000, .input_cost_per_token = 3.5e-08, .output_cost_per_token = 1.4e-07, .supports = S_FN | S_PC | S_RS},
    {.key = "amazon-nova/nova-premier-v1", .litellm_provider = "amazon_nova", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 1000000, .max_output_tokens = 10000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.25e-05, .supports = S_FN | S_VIS | S_RS | S_PDF},
    {.key = "amazon-nova/nova-pro-v1", .litellm_provider = "amazon_nova", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 8e-07, .output_cost_per_token = 3.2e-06, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "amazon.nova-2-lite-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_VID},
    {.key = "amazon.nova-lite-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 6e-08, .output_cost_per_token = 2.4e-07, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "amazon.nova-micro-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 128000, .max_output_tokens = 10000, .input_cost_per_token = 3.5e-08, .output_cost_per_token = 1.4e-07, .supports = S_FN | S_PC | S_RS},
    {.key = "amazon.nova-pro-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 8e-07, .output_cost_per_token = 3.2e-06, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "amazon.titan-embed-image-v1", .litellm_provider = "bedrock", .mode = "embedding", .max_tokens = 128, .max_input_tokens = 128, .input_cost_per_token = 8e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "amazon.titan-embed-text-v1", .litellm_provider = "bedrock", .mode = "embedding", .max_tokens = 8192, .max_input_tokens = 8192, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT},
    {.key = "amazon.titan-embed-text-v2:0", .litellm_provider = "bedrock", .mode = "embedding", .max_tokens = 8192, .max_input_tokens = 8192, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "amazon.titan-text-express-v1", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8000, .max_input_tokens = 42000, .max_output_tokens = 8000, .input_cost_per_token = 1.3e-06, .output_cost_per_token = 1.7e-06},
    {.key = "amazon.titan-text-lite-v1", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4000, .max_input_tokens = 42000, .max_output_tokens = 4000, .input_cost_per_token = 3e-07, .output_cost_per_token = 4e-07},
    {.key = "amazon.titan-text-premier-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 42000, .max_output_tokens = 32000, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06},
    {.key = "anthropic.claude-3-5-haiku-20241022-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 8e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 8e-08, .cache_creation_input_token_cost = 1e-06, .supports = S_FN | S_TC | S_PC | S_RS | S_PDF | S_PRE},
    {.key = "anthropic.claude-3-5-sonnet-20240620-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 1000000, .max_output_tokens = 4096, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_RS | S_PDF, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 3e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "anthropic.claude-3-5-sonnet-20241022-v2:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 3e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "anthropic.claude-3-7-sonnet-20250219-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "anthropic.claude-3-haiku-20240307-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 200000, .max_output_tokens = 4096, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 1.25e-06, .cache_read_input_token_cost = 2.5e-08, .cache_creation_input_token_cost = 3.125e-07, .supports = S_FN | S_TC | S_VIS | S_RS | S_PDF},
    {.key = "anthropic.claude-haiku-4-5-20251001-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1.25e-06, .cache_creation_input_token_cost_above_1hr = 2e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "anthropic.claude-opus-4-1-20250805-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "anthropic.claude-opus-4-20250514-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "anthropic.claude-opus-4-5-20251101-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "anthropic.claude-sonnet-4-20250514-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "anthropic.claude-sonnet-4-5-20250929-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06, .cache_creation_input_token_cost_above_1hr = 1.2e-05}}},
    {.key = "azure/gpt-35-turbo", .litellm_provider = "azure", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 4097, .max_output_tokens = 4096, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC},
    {.key = "azure/gpt-4", .litellm_provider = "azure", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 8192, .max_output_tokens = 4096, .input_cost_per_token = 3e-05, .output_cost_per_token = 6e-05, .supports = S_FN | S_TC},
    {.key = "azure/gpt-4-turbo", .litellm_provider = "azure", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1e-05, .output_cost_per_token = 3e-05, .supports = S_FN | S_PFN | S_TC},
    {.key = "azure/gpt-4.1", .litellm_provider = "azure", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_NS},
    {.key = "azure/gpt-4.1-mini", .litellm_provider = "azure", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.6e-06, .cache_read_input_token_cost = 1e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_NS},
    {.key = "azure/gpt-4.1-nano", .litellm_provider = "azure", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_NS},
    {.key = "azure/gpt-4o", .litellm_provider = "azure", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS},
    {.key = "azure/gpt-4o-mini", .litellm_provider = "azure", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.65e-07, .output_cost_per_token = 6.6e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS},
    {.key = "azure/gpt-5", .litellm_provider = "azure", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "azure/gpt-5-mini", .litellm_provider = "azure", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "azure/gpt-5-nano", .litellm_provider = "azure", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 5e-08, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 5e-09, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "azure/o1", .litellm_provider = "azure", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 6e-05, .cache_read_input_token_cost = 7.5e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN},
    {.key = "azure/o3", .litellm_provider = "azure", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS},
    {.key = "azure/o3-mini", .litellm_provider = "azure", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 5.5e-07, .supports = S_TC | S_PC | S_RSN | S_RS},
    {.key = "azure/o4-mini", .litellm_provider = "azure", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 2.75e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS},
    {.key = "azure/text-embedding-3-large", .litellm_provider = "azure", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 1.3e-07, .has = LMX_PH_OUTPUT},
    {.key = "azure/text-embedding-3-small", .litellm_provider = "azure", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "azure/text-embedding-ada-002", .litellm_provider = "azure", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT},
    {.key = "babbage-002", .litellm_provider = "text-completion-openai", .mode = "completion", .max_tokens = 4096, .max_input_tokens = 16384, .max_output_tokens = 4096, .input_cost_per_token = 4e-07, .output_cost_per_token = 4e-07},
    {.key = "baseten/deepseek-ai/DeepSeek-V3-0324", .litellm_provider = "baseten", .mode = "chat", .input_cost_per_token = 7.7e-07, .output_cost_per_token = 7.7e-07},
    {.key = "baseten/deepseek-ai/DeepSeek-V3.1", .litellm_provider = "baseten", .mode = "chat", .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06},
    {.key = "bedrock_mantle/openai.gpt-oss-120b", .litellm_provider = "bedrock_mantle", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 131072, .max_output_tokens = 32768, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS},
    {.key = "bedrock_mantle/openai.gpt-oss-20b", .litellm_provider = "bedrock_mantle", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 131072, .max_output_tokens = 32768, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS},
    {.key = "cerebras/gpt-oss-120b", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 131072, .max_output_tokens = 32768, .input_cost_per_token = 3.5e-07, .output_cost_per_token = 7.5e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS},
    {.key = "cerebras/llama-3.3-70b", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 8.5e-07, .output_cost_per_token = 1.2e-06, .supports = S_FN | S_TC},
    {.key = "cerebras/llama3.1-70b", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 6e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC},
    {.key = "cerebras/llama3.1-8b", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 1e-07, .output_cost_per_token = 1e-07, .supports = S_FN | S_TC},
    {.key = "cerebras/qwen-3-32b", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 4e-07, .output_cost_per_token = 8e-07, .supports = S_FN | S_TC | S_RSN},
    {.key = "cerebras/zai-glm-4.6", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 2.25e-06, .output_cost_per_token = 2.75e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "cerebras/zai-glm-4.7", .litellm_provider = "cerebras", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 2.25e-06, .output_cost_per_token = 2.75e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "chatgpt-4o-latest", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 5e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_SYS | S_PDF},
    {.key = "claude-3-5-haiku-20241022", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 8e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 8e-08, .cache_creation_input_token_cost = 1e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_WEB | S_PRE},
    {.key = "claude-3-5-haiku-latest", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1.25e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_WEB | S_PRE},
    {.key = "claude-3-5-sonnet-20240620", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_PRE},
    {.key = "claude-3-5-sonnet-20241022", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_WEB | S_CU | S_PRE},
    {.key = "claude-3-5-sonnet-latest", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_WEB | S_CU | S_PRE},
    {.key = "claude-3-7-sonnet-20250219", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_CU | S_PRE},
    {.key = "claude-3-7-sonnet-latest", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-3-haiku-20240307", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 200000, .max_output_tokens = 4096, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 1.25e-06, .cache_read_input_token_cost = 3e-08, .cache_creation_input_token_cost = 3e-07, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PRE},
    {.key = "claude-3-opus-20240229", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 200000, .max_output_tokens = 4096, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PRE},
    {.key = "claude-4-opus-20250514", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-4-sonnet-20250514", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "claude-haiku-4-5", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1.25e-06, .cache_creation_input_token_cost_above_1hr = 2e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-haiku-4-5-20251001", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1.25e-06, .cache_creation_input_token_cost_above_1hr = 2e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-1", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .cache_creation_input_token_cost_above_1hr = 3e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-1-20250805", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .cache_creation_input_token_cost_above_1hr = 3e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-20250514", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .cache_creation_input_token_cost_above_1hr = 3e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-5", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-5-20251101", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "claude-opus-4-6", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1000000, .max_output_tokens = 128000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU},
    {.key = "claude-opus-4-7", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1000000, .max_output_tokens = 128000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU},
    {.key = "claude-sonnet-4-20250514", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "claude-sonnet-4-5", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06, .cache_creation_input_token_cost_above_1hr = 1.2e-05}}},
    {.key = "claude-sonnet-4-5-20250929", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06, .cache_creation_input_token_cost_above_1hr = 1.2e-05}}},
    {.key = "claude-sonnet-4-6", .litellm_provider = "anthropic", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "cloudflare/@cf/deepseek-ai/deepseek-r1-distill-qwen-32b", .litellm_provider = "cloudflare", .mode = "chat", .max_tokens = 80000, .max_input_tokens = 80000, .max_output_tokens = 80000, .input_cost_per_token = 4.97e-07, .output_cost_per_token = 4.881e-06, .supports = S_RSN},
    {.key = "cloudflare/@cf/meta/llama-3.1-8b-instruct-fp8", .litellm_provider = "cloudflare", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 32000, .max_output_tokens = 32000, .input_cost_per_token = 1.52e-07, .output_cost_per_token = 2.87e-07},
    {.key = "codestral/codestral-2405", .litellm_provider = "codestral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .has = LMX_PH_INPUT | LMX_PH_OUTPUT, .supports = S_TC | S_PRE},
    {.key = "codestral/codestral-latest", .litellm_provider = "codestral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .has = LMX_PH_INPUT | LMX_PH_OUTPUT, .supports = S_TC | S_PRE},
    {.key = "codex-mini-latest", .litellm_provider = "openai", .mode = "responses", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.5e-06, .output_cost_per_token = 6e-06, .cache_read_input_token_cost = 3.75e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF},
    {.key = "cohere.command-r-plus-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_TC},
    {.key = "cohere.command-r-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_TC},
    {.key = "cohere.embed-english-v3", .litellm_provider = "bedrock", .mode = "embedding", .max_tokens = 512, .max_input_tokens = 512, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "cohere.embed-multilingual-v3", .litellm_provider = "bedrock", .mode = "embedding", .max_tokens = 512, .max_input_tokens = 512, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "cohere.rerank-v3-5:0", .litellm_provider = "bedrock", .mode = "rerank", .max_tokens = 32000, .max_input_tokens = 32000, .max_output_tokens = 32000, .input_cost_per_query = 0.002, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "cohere/embed-v4.0", .litellm_provider = "cohere", .mode = "embedding", .max_tokens = 128000, .max_input_tokens = 128000, .input_cost_per_token = 1.2e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "command", .litellm_provider = "cohere", .mode = "completion", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_token = 1e-06, .output_cost_per_token = 2e-06},
    {.key = "command-a-03-2025", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 8000, .max_input_tokens = 256000, .max_output_tokens = 8000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_TC},
    {.key = "command-light", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_token = 3e-07, .output_cost_per_token = 6e-07, .supports = S_TC},
    {.key = "command-r", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC},
    {.key = "command-r-08-2024", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC},
    {.key = "command-r-plus", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_TC},
    {.key = "command-r-plus-08-2024", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_TC},
    {.key = "command-r7b-12-2024", .litellm_provider = "cohere_chat", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 3.75e-08, .output_cost_per_token = 1.5e-07, .supports = S_FN | S_TC},
    {.key = "crusoe/Qwen/Qwen3-235B-A22B-Instruct-2507", .litellm_provider = "crusoe", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 3e-06, .output_cost_per_token = 3e-06, .supports = S_FN | S_PFN | S_TC | S_SYS},
    {.key = "crusoe/deepseek-ai/DeepSeek-R1-0528", .litellm_provider = "crusoe", .mode = "chat", .max_tokens = 163840, .max_input_tokens = 163840, .max_output_tokens = 163840, .input_cost_per_token = 3e-06, .output_cost_per_token = 7e-06, .supports = S_RSN | S_SYS},
    {.key = "dashscope/qwen-coder", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 1000000, .max_output_tokens = 16384, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen-flash", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 997952, .max_output_tokens = 32768, .input_cost_per_token = 5e-08, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 5e-08, .cache_creation_input_token_cost = 5e-08, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 256000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 2.5e-07, .cache_creation_input_token_cost = 2.5e-07}}},
    {.key = "dashscope/qwen-max", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 30720, .max_output_tokens = 8192, .input_cost_per_token = 1.6e-06, .output_cost_per_token = 6.4e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen-plus", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 129024, .max_output_tokens = 16384, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.2e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen-plus-latest", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 997952, .max_output_tokens = 32768, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.2e-06, .cache_read_input_token_cost = 4e-07, .cache_creation_input_token_cost = 4e-07, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 256000, .input_cost_per_token = 1.2e-06, .output_cost_per_token = 3.6e-06, .cache_read_input_token_cost = 1.2e-06, .cache_creation_input_token_cost = 1.2e-06}}},
    {.key = "dashscope/qwen-turbo", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 129024, .max_output_tokens = 16384, .input_cost_per_token = 5e-08, .output_cost_per_token = 2e-07, .output_cost_per_reasoning_token = 5e-07, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen-turbo-latest", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 1000000, .max_output_tokens = 16384, .input_cost_per_token = 5e-08, .output_cost_per_token = 2e-07, .output_cost_per_reasoning_token = 5e-07, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen3-30b-a3b", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 129024, .max_output_tokens = 16384, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen3-coder-flash", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 997952, .max_output_tokens = 65536, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.5e-06, .cache_read_input_token_cost = 8e-08, .cache_creation_input_token_cost = 3e-07, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 5e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 1.2e-07, .cache_creation_input_token_cost = 5e-07}, {.above = 128000, .input_cost_per_token = 8e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 2e-07, .cache_creation_input_token_cost = 8e-07}, {.above = 256000, .input_cost_per_token = 1.6e-06, .output_cost_per_token = 9.6e-06, .cache_read_input_token_cost = 4e-07, .cache_creation_input_token_cost = 1.6e-06}}},
    {.key = "dashscope/qwen3-coder-plus", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 997952, .max_output_tokens = 65536, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1e-06, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 1.8e-06, .output_cost_per_token = 9e-06, .cache_read_input_token_cost = 1.8e-07, .cache_creation_input_token_cost = 1.8e-06}, {.above = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3e-06}, {.above = 256000, .input_cost_per_token = 6e-06, .output_cost_per_token = 6e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 6e-06}}},
    {.key = "dashscope/qwen3-max", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 258048, .max_output_tokens = 65536, .input_cost_per_token = 1.2e-06, .output_cost_per_token = 6e-06, .cache_read_input_token_cost = 1.2e-06, .cache_creation_input_token_cost = 1.2e-06, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 2.4e-06, .output_cost_per_token = 1.2e-05, .cache_read_input_token_cost = 2.4e-06, .cache_creation_input_token_cost = 2.4e-06}, {.above = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-06, .cache_creation_input_token_cost = 3e-06}}},
    {.key = "dashscope/qwen3-max-preview", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 258048, .max_output_tokens = 65536, .input_cost_per_token = 1.2e-06, .output_cost_per_token = 6e-06, .cache_read_input_token_cost = 1.2e-06, .cache_creation_input_token_cost = 1.2e-06, .supports = S_FN | S_TC | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 2.4e-06, .output_cost_per_token = 1.2e-05, .cache_read_input_token_cost = 2.4e-06, .cache_creation_input_token_cost = 2.4e-06}, {.above = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-06, .cache_creation_input_token_cost = 3e-06}}},
    {.key = "dashscope/qwen3-next-80b-a3b-instruct", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 262144, .max_output_tokens = 65536, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 1.2e-06, .supports = S_FN | S_TC},
    {.key = "dashscope/qwen3-next-80b-a3b-thinking", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 262144, .max_output_tokens = 65536, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 1.2e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "dashscope/qwen3-vl-plus", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 260096, .max_output_tokens = 32768, .input_cost_per_token = 2e-07, .output_cost_per_token = 1.6e-06, .cache_read_input_token_cost = 2e-07, .cache_creation_input_token_cost = 2e-07, .supports = S_FN | S_TC | S_VIS | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.4e-06, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3e-07}, {.above = 128000, .input_cost_per_token = 6e-07, .output_cost_per_token = 4.8e-06, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 6e-07}}},
    {.key = "dashscope/qwen3.5-plus", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 991808, .max_output_tokens = 65536, .input_cost_per_token = 4e-07, .output_cost_per_token = 2.4e-06, .cache_read_input_token_cost = 4e-07, .cache_creation_input_token_cost = 4e-07, .supports = S_FN | S_TC | S_VIS | S_RSN, .tiers = {{.above = 256000, .input_cost_per_token = 5e-07, .output_cost_per_token = 3e-06, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 5e-07}}},
    {.key = "dashscope/qwq-plus", .litellm_provider = "dashscope", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 98304, .max_output_tokens = 8192, .input_cost_per_token = 8e-07, .output_cost_per_token = 2.4e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "databricks/databricks-claude-sonnet-4", .litellm_provider = "databricks", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 2.9999900000000002e-06, .output_cost_per_token = 1.5000020000000002e-05, .supports = S_FN | S_TC | S_RSN | S_PRE},
    {.key = "databricks/databricks-claude-sonnet-4-1", .litellm_provider = "databricks", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 2.9999900000000002e-06, .output_cost_per_token = 1.5000020000000002e-05, .supports = S_FN | S_TC | S_RSN | S_PRE},
    {.key = "davinci-002", .litellm_provider = "text-completion-openai", .mode = "completion", .max_tokens = 4096, .max_input_tokens = 16384, .max_output_tokens = 4096, .input_cost_per_token = 2e-06, .output_cost_per_token = 2e-06},
    {.key = "deepinfra/Qwen/Qwen3-14B", .litellm_provider = "deepinfra", .mode = "chat", .max_tokens = 40960, .max_input_tokens = 40960, .max_output_tokens = 40960, .input_cost_per_token = 6e-08, .output_cost_per_token = 2.4e-07, .supports = S_FN | S_TC},
    {.key = "deepinfra/Qwen/Qwen3-235B-A22B", .litellm_provider = "deepinfra", .mode = "chat", .max_tokens = 40960, .max_input_tokens = 40960, .max_output_tokens = 40960, .input_cost_per_token = 1.8e-07, .output_cost_per_token = 5.4e-07, .supports = S_FN | S_TC},
    {.key = "deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507", .litellm_provider = "deepinfra", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 9e-08, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC},
    {.key = "deepinfra/Qwen/Qwen3-235B-A22B-Thinking-2507", .litellm_provider = "deepinfra", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.9e-06, .supports = S_FN | S_TC},
    {.key = "deepseek-chat", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 131072, .max_output_tokens = 8192, .input_cost_per_token = 2.8e-07, .output_cost_per_token = 4.2e-07, .cache_read_input_token_cost = 2.8e-08, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_NS},
    {.key = "deepseek-reasoner", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 131072, .max_output_tokens = 65536, .input_cost_per_token = 2.8e-07, .output_cost_per_token = 4.2e-07, .cache_read_input_token_cost = 2.8e-08, .supports = S_PC | S_RSN | S_RS | S_SYS | S_NS},
    {.key = "deepseek-v4-flash", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .cache_read_input_token_cost = 2.8e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "deepseek-v4-pro", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 4.35e-07, .output_cost_per_token = 8.7e-07, .cache_read_input_token_cost = 3.625e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "deepseek.v3-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 81920, .max_input_tokens = 163840, .max_output_tokens = 81920, .input_cost_per_token = 5.8e-07, .output_cost_per_token = 1.68e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "deepseek/deepseek-chat", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 131072, .max_output_tokens = 8192, .input_cost_per_token = 2.8e-07, .output_cost_per_token = 4.2e-07, .cache_read_input_token_cost = 2.8e-08, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "deepseek/deepseek-coder", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .supports = S_FN | S_TC | S_PC | S_PRE},
    {.key = "deepseek/deepseek-r1", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 65536, .max_output_tokens = 8192, .input_cost_per_token = 5.5e-07, .output_cost_per_token = 2.19e-06, .supports = S_FN | S_TC | S_PC | S_RSN | S_PRE},
    {.key = "deepseek/deepseek-reasoner", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 131072, .max_output_tokens = 65536, .input_cost_per_token = 2.8e-07, .output_cost_per_token = 4.2e-07, .cache_read_input_token_cost = 2.8e-08, .supports = S_PC | S_RSN | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "deepseek/deepseek-v3", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 65536, .max_output_tokens = 8192, .input_cost_per_token = 2.7e-07, .output_cost_per_token = 1.1e-06, .cache_read_input_token_cost = 7e-08, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_PRE},
    {.key = "deepseek/deepseek-v3.2", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 163840, .max_input_tokens = 163840, .max_output_tokens = 163840, .input_cost_per_token = 2.8e-07, .output_cost_per_token = 4e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_PRE},
    {.key = "deepseek/deepseek-v4-flash", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .cache_read_input_token_cost = 2.8e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "deepseek/deepseek-v4-pro", .litellm_provider = "deepseek", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 4.35e-07, .output_cost_per_token = 8.7e-07, .cache_read_input_token_cost = 3.625e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "doubao-embedding", .litellm_provider = "volcengine", .mode = "embedding", .max_tokens = 4096, .max_input_tokens = 4096, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "doubao-embedding-large", .litellm_provider = "volcengine", .mode = "embedding", .max_tokens = 4096, .max_input_tokens = 4096, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "embed-english-light-v3.0", .litellm_provider = "cohere", .mode = "embedding", .max_tokens = 1024, .max_input_tokens = 1024, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT},
    {.key = "embed-english-v3.0", .litellm_provider = "cohere", .mode = "embedding", .max_tokens = 1024, .max_input_tokens = 1024, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "embed-multilingual-light-v3.0", .litellm_provider = "cohere", .mode = "embedding", .max_tokens = 1024, .max_input_tokens = 1024, .input_cost_per_token = 0.0001, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "embed-multilingual-v3.0", .litellm_provider = "cohere", .mode = "embedding", .max_tokens = 1024, .max_input_tokens = 1024, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT, .supports = S_EII},
    {.key = "eu.anthropic.claude-sonnet-4-20250514-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3.3e-06, .output_cost_per_token = 1.65e-05, .cache_read_input_token_cost = 3.3e-07, .cache_creation_input_token_cost = 4.125e-06, .cache_creation_input_token_cost_above_1hr = 6.6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6.6e-06, .output_cost_per_token = 2.475e-05, .cache_read_input_token_cost = 6.6e-07, .cache_creation_input_token_cost = 8.25e-06, .cache_creation_input_token_cost_above_1hr = 1.32e-05}}},
    {.key = "fireworks_ai/accounts/fireworks/models/deepseek-coder-1b-base", .litellm_provider = "fireworks_ai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 16384, .max_output_tokens = 16384, .input_cost_per_token = 1e-07, .output_cost_per_token = 1e-07},
    {.key = "fireworks_ai/accounts/fireworks/models/deepseek-coder-33b-instruct", .litellm_provider = "fireworks_ai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 16384, .max_output_tokens = 16384, .input_cost_per_token = 9e-07, .output_cost_per_token = 9e-07},
    {.key = "fireworks_ai/accounts/fireworks/models/deepseek-coder-7b-base", .litellm_provider = "fireworks_ai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-07},
    {.key = "fireworks_ai/accounts/fireworks/models/deepseek-coder-7b-base-v1p5", .litellm_provider = "fireworks_ai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-07},
    {.key = "friendliai/meta-llama-3.1-70b-instruct", .litellm_provider = "friendliai", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 6e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_PFN | S_TC | S_RS | S_SYS},
    {.key = "friendliai/meta-llama-3.1-8b-instruct", .litellm_provider = "friendliai", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 1e-07, .output_cost_per_token = 1e-07, .supports = S_FN | S_PFN | S_TC | S_RS | S_SYS},
    {.key = "gemini-1.5-flash", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .input_cost_per_character = 1.875e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_RS | S_SYS, .tiers = {{.above = 128000, .input_cost_per_token = 1e-06, .output_cost_per_token = 6e-07}}},
    {.key = "gemini-1.5-pro", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 2097152, .max_output_tokens = 8192, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 5e-06, .input_cost_per_character = 3.125e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_RS | S_SYS | S_PDF, .tiers = {{.above = 128000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05}}},
    {.key = "gemini-2.0-flash", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .input_cost_per_audio_token = 7e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_AIN | S_AOUT | S_WEB},
    {.key = "gemini-2.0-flash-001", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .cache_read_input_token_cost = 3.75e-08, .input_cost_per_audio_token = 1e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_AOUT | S_WEB},
    {.key = "gemini-2.0-flash-lite", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .cache_read_input_token_cost = 1.875e-08, .input_cost_per_audio_token = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_AOUT | S_WEB},
    {.key = "gemini-2.5-flash", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 3e-08, .output_cost_per_reasoning_token = 2.5e-06, .input_cost_per_audio_token = 1e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gemini-2.5-flash-lite", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 1e-08, .output_cost_per_reasoning_token = 4e-07, .input_cost_per_audio_token = 3e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gemini-2.5-pro", .litellm_provider = "vertex_ai-language-models", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_AIN | S_PDF | S_WEB | S_VID, .tiers = {{.above = 200000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 2.5e-07, .cache_creation_input_token_cost = 2.5e-07}}},
    {.key = "gemini-embedding-001", .litellm_provider = "vertex_ai-embedding-models", .mode = "embedding", .max_tokens = 2048, .max_input_tokens = 2048, .input_cost_per_token = 1.5e-07, .has = LMX_PH_OUTPUT},
    {.key = "gemini/gemini-1.5-flash", .litellm_provider = "gemini", .mode = "embedding", .max_tokens = 8192, .max_input_tokens = 8192, .input_cost_per_token = 7.5e-08, .has = LMX_PH_OUTPUT, .tiers = {{.above = 128000, .input_cost_per_token = 1.5e-07}}},
    {.key = "gemini/gemini-1.5-pro", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 2097152, .max_output_tokens = 8192, .input_cost_per_token = 3.5e-06, .output_cost_per_token = 1.05e-05, .supports = S_FN | S_TC | S_VIS | S_RS | S_SYS, .tiers = {{.above = 128000, .input_cost_per_token = 7e-06, .output_cost_per_token = 2.1e-05}}},
    {.key = "gemini/gemini-2.0-flash", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .input_cost_per_audio_token = 7e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_AIN | S_AOUT | S_WEB},
    {.key = "gemini/gemini-2.0-flash-001", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .input_cost_per_audio_token = 7e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_WEB},
    {.key = "gemini/gemini-2.0-flash-lite", .litellm_provider = "gemini", .mode = "chat", .max_input_tokens = 1048576, .max_output_tokens = 8192, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .cache_read_input_token_cost = 1.875e-08, .input_cost_per_audio_token = 7.5e-08, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_AOUT | S_WEB},
    {.key = "gemini/gemini-2.5-flash", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 3e-08, .output_cost_per_reasoning_token = 2.5e-06, .input_cost_per_audio_token = 1e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gemini/gemini-2.5-flash-lite", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 1e-08, .output_cost_per_reasoning_token = 4e-07, .input_cost_per_audio_token = 3e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gemini/gemini-2.5-pro", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_AIN | S_PDF | S_WEB | S_VID, .tiers = {{.above = 200000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 2.5e-07}}},
    {.key = "gemini/gemini-3-flash-preview", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 5e-07, .output_cost_per_token = 3e-06, .cache_read_input_token_cost = 5e-08, .output_cost_per_reasoning_token = 3e-06, .input_cost_per_audio_token = 1e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gemini/gemini-3-pro-preview", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 2e-06, .output_cost_per_token = 1.2e-05, .cache_read_input_token_cost = 2e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_AIN | S_PDF | S_WEB | S_VID, .tiers = {{.above = 200000, .input_cost_per_token = 4e-06, .output_cost_per_token = 1.8e-05, .cache_read_input_token_cost = 4e-07}}},
    {.key = "gemini/gemini-3.1-pro-preview", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 1048576, .max_output_tokens = 65536, .input_cost_per_token = 2e-06, .output_cost_per_token = 1.2e-05, .cache_read_input_token_cost = 2e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_AIN | S_PDF | S_WEB | S_NS | S_VID, .tiers = {{.above = 200000, .input_cost_per_token = 4e-06, .output_cost_per_token = 1.8e-05, .cache_read_input_token_cost = 4e-07}}},
    {.key = "gemini/gemini-embedding-001", .litellm_provider = "gemini", .mode = "embedding", .max_tokens = 2048, .max_input_tokens = 2048, .input_cost_per_token = 1.5e-07, .has = LMX_PH_OUTPUT},
    {.key = "gemini/gemini-flash-latest", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 7.5e-08, .output_cost_per_reasoning_token = 2.5e-06, .input_cost_per_audio_token = 1e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gemini/gemini-pro-latest", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 65535, .max_input_tokens = 1048576, .max_output_tokens = 65535, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_AIN | S_PDF | S_WEB | S_VID, .tiers = {{.above = 200000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 2.5e-07}}},
    {.key = "gemini/gemma-3-27b-it", .litellm_provider = "gemini", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 131072, .max_output_tokens = 8192, .has = LMX_PH_INPUT | LMX_PH_OUTPUT | LMX_PH_INPUT_CHAR, .supports = S_FN | S_TC | S_VIS | S_RS, .tiers = {{.above = 128000, .has = LMX_PH_INPUT | LMX_PH_OUTPUT}}},
    {.key = "gmi/Qwen/Qwen3-VL-235B-A22B-Instruct-FP8", .litellm_provider = "gmi", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 262144, .max_output_tokens = 16384, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.4e-06, .supports = S_VIS},
    {.key = "gmi/anthropic/claude-sonnet-4", .litellm_provider = "gmi", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 409600, .max_output_tokens = 32000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_VIS},
    {.key = "gpt-3.5-turbo", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 16385, .max_output_tokens = 4096, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC | S_PC | S_SYS},
    {.key = "gpt-3.5-turbo-0125", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 16385, .max_output_tokens = 4096, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_PFN | S_TC | S_PC | S_SYS},
    {.key = "gpt-3.5-turbo-instruct", .litellm_provider = "text-completion-openai", .mode = "completion", .max_tokens = 4096, .max_input_tokens = 8192, .max_output_tokens = 4096, .input_cost_per_token = 1.5e-06, .output_cost_per_token = 2e-06},
    {.key = "gpt-4", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 8192, .max_output_tokens = 4096, .input_cost_per_token = 3e-05, .output_cost_per_token = 6e-05, .supports = S_FN | S_TC | S_PC | S_SYS},
    {.key = "gpt-4-0613", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 8192, .max_output_tokens = 4096, .input_cost_per_token = 3e-05, .output_cost_per_token = 6e-05, .supports = S_FN | S_TC | S_PC | S_SYS},
    {.key = "gpt-4-turbo", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1e-05, .output_cost_per_token = 3e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_SYS | S_PDF},
    {.key = "gpt-4-turbo-2024-04-09", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1e-05, .output_cost_per_token = 3e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_SYS | S_PDF},
    {.key = "gpt-4.1", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-4.1-2025-04-14", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-4.1-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.6e-06, .cache_read_input_token_cost = 1e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-4.1-mini-2025-04-14", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.6e-06, .cache_read_input_token_cost = 1e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-4.1-nano", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "gpt-4.1-nano-2025-04-14", .litellm_provider = "openai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 1047576, .max_output_tokens = 32768, .input_cost_per_token = 1e-07, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "gpt-4o", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF},
    {.key = "gpt-4o-2024-05-13", .litellm_provider = "openai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 5e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_SYS | S_PDF},
    {.key = "gpt-4o-2024-08-06", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF},
    {.key = "gpt-4o-2024-11-20", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF},
    {.key = "gpt-4o-audio-preview", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .input_cost_per_audio_token = 4e-05, .output_cost_per_audio_token = 8e-05, .supports = S_FN | S_PFN | S_TC | S_SYS | S_AIN | S_AOUT},
    {.key = "gpt-4o-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF},
    {.key = "gpt-4o-mini-2024-07-18", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF},
    {.key = "gpt-4o-mini-audio-preview", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .input_cost_per_audio_token = 1e-05, .output_cost_per_audio_token = 2e-05, .supports = S_FN | S_PFN | S_TC | S_SYS | S_AIN | S_AOUT},
    {.key = "gpt-4o-mini-search-preview", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gpt-4o-mini-transcribe", .litellm_provider = "openai", .mode = "audio_transcription", .max_input_tokens = 16000, .max_output_tokens = 2000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 5e-06, .input_cost_per_audio_token = 1.25e-06},
    {.key = "gpt-4o-mini-tts", .litellm_provider = "openai", .mode = "audio_speech", .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .output_cost_per_audio_token = 1.2e-05, .output_cost_per_second = 0.00025},
    {.key = "gpt-4o-search-preview", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gpt-4o-transcribe", .litellm_provider = "openai", .mode = "audio_transcription", .max_input_tokens = 16000, .max_output_tokens = 2000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1e-05, .input_cost_per_audio_token = 2.5e-06},
    {.key = "gpt-5", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-2025-08-07", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-chat-latest", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_NS},
    {.key = "gpt-5-codex", .litellm_provider = "openai", .mode = "responses", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-mini-2025-08-07", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-nano", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 5e-08, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 5e-09, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-nano-2025-08-07", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 5e-08, .output_cost_per_token = 4e-07, .cache_read_input_token_cost = 5e-09, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5-pro", .litellm_provider = "openai", .mode = "responses", .max_tokens = 128000, .max_input_tokens = 400000, .max_output_tokens = 128000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 0.00012, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB},
    {.key = "gpt-5.1", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.1-chat-latest", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.1-codex", .litellm_provider = "openai", .mode = "responses", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 1e-05, .cache_read_input_token_cost = 1.25e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.1-codex-mini", .litellm_provider = "openai", .mode = "responses", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.2", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 1.75e-06, .output_cost_per_token = 1.4e-05, .cache_read_input_token_cost = 1.75e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.2-chat-latest", .litellm_provider = "openai", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 1.75e-06, .output_cost_per_token = 1.4e-05, .cache_read_input_token_cost = 1.75e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.2-pro", .litellm_provider = "openai", .mode = "responses", .max_tokens = 128000, .max_input_tokens = 272000, .max_output_tokens = 128000, .input_cost_per_token = 2.1e-05, .output_cost_per_token = 0.000168, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.4", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1050000, .max_output_tokens = 128000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 2.5e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_NS, .tiers = {{.above = 272000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 5e-07}}},
    {.key = "gpt-5.4-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1050000, .max_output_tokens = 128000, .input_cost_per_token = 7.5e-07, .output_cost_per_token = 4.5e-06, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.4-nano", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1050000, .max_output_tokens = 128000, .input_cost_per_token = 2e-07, .output_cost_per_token = 1.25e-06, .cache_read_input_token_cost = 2e-08, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS},
    {.key = "gpt-5.5", .litellm_provider = "openai", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1050000, .max_output_tokens = 128000, .input_cost_per_token = 5e-06, .output_cost_per_token = 3e-05, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF | S_WEB | S_NS, .tiers = {{.above = 272000, .input_cost_per_token = 1e-05, .output_cost_per_token = 4.5e-05, .cache_read_input_token_cost = 1e-06}}},
    {.key = "gradient_ai/deepseek-r1-distill-llama-70b", .litellm_provider = "gradient_ai", .mode = "chat", .max_tokens = 8000, .max_input_tokens = 32768, .max_output_tokens = 8000, .input_cost_per_token = 9.9e-07, .output_cost_per_token = 9.9e-07},
    {.key = "gradient_ai/mistral-nemo-instruct-2407", .litellm_provider = "gradient_ai", .mode = "chat", .max_tokens = 512, .max_input_tokens = 128000, .max_output_tokens = 512, .input_cost_per_token = 3e-07, .output_cost_per_token = 3e-07},
    {.key = "groq/gemma-7b-it", .litellm_provider = "groq", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 5e-08, .output_cost_per_token = 8e-08, .supports = S_FN | S_TC},
    {.key = "groq/llama-3.1-8b-instant", .litellm_provider = "groq", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 128000, .max_output_tokens = 8192, .input_cost_per_token = 5e-08, .output_cost_per_token = 8e-08, .supports = S_FN | S_TC},
    {.key = "groq/llama-3.3-70b-versatile", .litellm_provider = "groq", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 128000, .max_output_tokens = 32768, .input_cost_per_token = 5.9e-07, .output_cost_per_token = 7.9e-07, .supports = S_FN | S_TC},
    {.key = "groq/meta-llama/llama-4-maverick-17b-128e-instruct", .litellm_provider = "groq", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 131072, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC | S_VIS | S_RS},
    {.key = "groq/meta-llama/llama-4-scout-17b-16e-instruct", .litellm_provider = "groq", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 131072, .max_output_tokens = 8192, .input_cost_per_token = 1.1e-07, .output_cost_per_token = 3.4e-07, .supports = S_FN | S_TC | S_VIS | S_RS},
    {.key = "groq/meta-llama/llama-guard-4-12b", .litellm_provider = "groq", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-07},
    {.key = "groq/moonshotai/kimi-k2-instruct-0905", .litellm_provider = "groq", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 262144, .max_output_tokens = 16384, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_TC | S_RS},
    {.key = "groq/openai/gpt-oss-120b", .litellm_provider = "groq", .mode = "chat", .max_tokens = 32766, .max_input_tokens = 131072, .max_output_tokens = 32766, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS | S_WEB},
    {.key = "groq/openai/gpt-oss-20b", .litellm_provider = "groq", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 131072, .max_output_tokens = 32768, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .cache_read_input_token_cost = 3.75e-08, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS | S_WEB},
    {.key = "groq/openai/gpt-oss-safeguard-20b", .litellm_provider = "groq", .mode = "chat", .max_tokens = 65536, .max_input_tokens = 131072, .max_output_tokens = 65536, .input_cost_per_token = 7.5e-08, .output_cost_per_token = 3e-07, .cache_read_input_token_cost = 3.7e-08, .supports = S_FN | S_TC | S_RSN | S_RS | S_WEB},
    {.key = "groq/qwen/qwen3-32b", .litellm_provider = "groq", .mode = "chat", .max_tokens = 131000, .max_input_tokens = 131000, .max_output_tokens = 131000, .input_cost_per_token = 2.9e-07, .output_cost_per_token = 5.9e-07, .supports = S_FN | S_TC | S_RSN},
    {.key = "groq/whisper-large-v3", .litellm_provider = "groq", .mode = "audio_transcription", .input_cost_per_second = 3.083e-05, .has = LMX_PH_OUTPUT_SECOND},
    {.key = "groq/whisper-large-v3-turbo", .litellm_provider = "groq", .mode = "audio_transcription", .input_cost_per_second = 1.111e-05, .has = LMX_PH_OUTPUT_SECOND},
    {.key = "hyperbolic/Qwen/Qwen3-235B-A22B", .litellm_provider = "hyperbolic", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 2e-06, .supports = S_FN | S_PFN | S_TC | S_SYS},
    {.key = "hyperbolic/deepseek-ai/DeepSeek-R1", .litellm_provider = "hyperbolic", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 4e-07, .output_cost_per_token = 4e-07, .supports = S_FN | S_PFN | S_TC | S_SYS},
    {.key = "inception/mercury-2", .litellm_provider = "inception", .mode = "chat", .max_tokens = 50000, .max_input_tokens = 128000, .max_output_tokens = 50000, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 7.5e-07, .cache_read_input_token_cost = 2.5e-08, .supports = S_FN | S_TC | S_PC | S_RS | S_SYS},
    {.key = "jamba-1.5-large", .litellm_provider = "ai21", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .supports = S_TC},
    {.key = "jamba-1.5-mini", .litellm_provider = "ai21", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-07, .output_cost_per_token = 4e-07, .supports = S_TC},
    {.key = "jamba-large-1.7", .litellm_provider = "ai21", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .supports = S_TC},
    {.key = "jamba-mini-1.7", .litellm_provider = "ai21", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-07, .output_cost_per_token = 4e-07, .supports = S_TC},
    {.key = "jina-reranker-v2-base-multilingual", .litellm_provider = "jina_ai", .mode = "rerank", .max_tokens = 1024, .max_input_tokens = 1024, .max_output_tokens = 1024, .input_cost_per_token = 1.8e-08, .output_cost_per_token = 1.8e-08},
    {.key = "lambda_ai/deepseek-llama3.3-70b", .litellm_provider = "lambda_ai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_SYS},
    {.key = "lambda_ai/deepseek-r1-0528", .litellm_provider = "lambda_ai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_SYS},
    {.key = "llamagate/deepseek-coder-6.7b", .litellm_provider = "llamagate", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 16384, .max_output_tokens = 4096, .input_cost_per_token = 6e-08, .output_cost_per_token = 1.2e-07, .supports = S_FN | S_RS},
    {.key = "llamagate/deepseek-r1-7b-qwen", .litellm_provider = "llamagate", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 131072, .max_output_tokens = 16384, .input_cost_per_token = 8e-08, .output_cost_per_token = 1.5e-07, .supports = S_FN | S_RSN | S_RS},
    {.key = "meta.llama3-1-405b-instruct-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 5.32e-06, .output_cost_per_token = 1.6e-05, .supports = S_FN},
    {.key = "meta.llama3-1-70b-instruct-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 2048, .max_input_tokens = 128000, .max_output_tokens = 2048, .input_cost_per_token = 9.9e-07, .output_cost_per_token = 9.9e-07, .supports = S_FN},
    {.key = "meta.llama3-1-8b-instruct-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 2048, .max_input_tokens = 128000, .max_output_tokens = 2048, .input_cost_per_token = 2.2e-07, .output_cost_per_token = 2.2e-07, .supports = S_FN},
    {.key = "meta.llama3-70b-instruct-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2.65e-06, .output_cost_per_token = 3.5e-06},
    {.key = "meta.llama3-8b-instruct-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 3e-07, .output_cost_per_token = 6e-07},
    {.key = "meta_llama/Llama-3.3-70B-Instruct", .litellm_provider = "meta_llama", .mode = "chat", .max_tokens = 4028, .max_input_tokens = 128000, .max_output_tokens = 4028, .supports = S_FN | S_TC},
    {.key = "meta_llama/Llama-3.3-8B-Instruct", .litellm_provider = "meta_llama", .mode = "chat", .max_tokens = 4028, .max_input_tokens = 128000, .max_output_tokens = 4028, .supports = S_FN | S_TC},
    {.key = "meta_llama/Llama-4-Maverick-17B-128E-Instruct-FP8", .litellm_provider = "meta_llama", .mode = "chat", .max_tokens = 4028, .max_input_tokens = 1000000, .max_output_tokens = 4028, .supports = S_FN | S_TC},
    {.key = "meta_llama/Llama-4-Scout-17B-16E-Instruct-FP8", .litellm_provider = "meta_llama", .mode = "chat", .max_tokens = 4028, .max_input_tokens = 10000000, .max_output_tokens = 4028, .supports = S_FN | S_TC},
    {.key = "minimax/MiniMax-M2", .litellm_provider = "minimax", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.2e-06, .cache_read_input_token_cost = 3e-08, .cache_creation_input_token_cost = 3.75e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_SYS},
    {.key = "minimax/MiniMax-M2.1", .litellm_provider = "minimax", .mode = "chat", .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.2e-06, .cache_read_input_token_cost = 3e-08, .cache_creation_input_token_cost = 3.75e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_SYS},
    {.key = "minimax/MiniMax-M2.1-lightning", .litellm_provider = "minimax", .mode = "chat", .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 3e-07, .output_cost_per_token = 2.4e-06, .cache_read_input_token_cost = 3e-08, .cache_creation_input_token_cost = 3.75e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_SYS},
    {.key = "minimax/MiniMax-M2.5", .litellm_provider = "minimax", .mode = "chat", .max_input_tokens = 1000000, .max_output_tokens = 8192, .input_cost_per_token = 3e-07, .output_cost_per_token = 1.2e-06, .cache_read_input_token_cost = 3e-08, .cache_creation_input_token_cost = 3.75e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_SYS},
    {.key = "mistral.mistral-7b-instruct-v0:2", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 2e-07, .supports = S_TC},
    {.key = "mistral.mistral-large-2407-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 128000, .max_output_tokens = 8191, .input_cost_per_token = 3e-06, .output_cost_per_token = 9e-06, .supports = S_FN | S_TC},
    {.key = "mistral.mixtral-8x7b-instruct-v0:1", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .input_cost_per_token = 4.5e-07, .output_cost_per_token = 7e-07, .supports = S_TC},
    {.key = "mistral/codestral-2508", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 3e-07, .output_cost_per_token = 9e-07, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/codestral-embed", .litellm_provider = "mistral", .mode = "embedding", .max_tokens = 8192, .max_input_tokens = 8192, .input_cost_per_token = 1.5e-07},
    {.key = "mistral/codestral-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .supports = S_TC | S_RS | S_PRE},
    {.key = "mistral/devstral-medium-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 4e-07, .output_cost_per_token = 2e-06, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/devstral-small-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 1e-07, .output_cost_per_token = 3e-07, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/magistral-medium-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 40000, .max_input_tokens = 40000, .max_output_tokens = 40000, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC | S_RSN | S_RS | S_PRE},
    {.key = "mistral/magistral-small-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 40000, .max_input_tokens = 40000, .max_output_tokens = 40000, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC | S_RSN | S_RS | S_PRE},
    {.key = "mistral/ministral-8b-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 1.5e-07, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/mistral-embed", .litellm_provider = "mistral", .mode = "embedding", .max_tokens = 8192, .max_input_tokens = 8192, .input_cost_per_token = 1e-07},
    {.key = "mistral/mistral-large-2411", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 2e-06, .output_cost_per_token = 6e-06, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/mistral-large-2512", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/mistral-large-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 5e-07, .output_cost_per_token = 1.5e-06, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/mistral-medium-2505", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 131072, .max_output_tokens = 8191, .input_cost_per_token = 4e-07, .output_cost_per_token = 2e-06, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/mistral-medium-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 1.5e-06, .output_cost_per_token = 7.5e-06, .supports = S_FN | S_TC | S_VIS | S_RSN | S_RS | S_PRE},
    {.key = "mistral/mistral-small-3-2-2506", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 6e-08, .output_cost_per_token = 1.8e-07, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/mistral-small-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 6e-08, .output_cost_per_token = 1.8e-07, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/open-mistral-7b", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .input_cost_per_token = 2.5e-07, .output_cost_per_token = 2.5e-07, .supports = S_TC | S_RS | S_PRE},
    {.key = "mistral/open-mistral-nemo", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 3e-07, .output_cost_per_token = 3e-07, .supports = S_TC | S_RS | S_PRE},
    {.key = "mistral/open-mixtral-8x22b", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 65336, .max_output_tokens = 8191, .input_cost_per_token = 2e-06, .output_cost_per_token = 6e-06, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/open-mixtral-8x7b", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 8191, .max_input_tokens = 32000, .max_output_tokens = 8191, .input_cost_per_token = 7e-07, .output_cost_per_token = 7e-07, .supports = S_FN | S_TC | S_RS | S_PRE},
    {.key = "mistral/pixtral-12b-2409", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 1.5e-07, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "mistral/pixtral-large-latest", .litellm_provider = "mistral", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 2e-06, .output_cost_per_token = 6e-06, .supports = S_FN | S_TC | S_VIS | S_RS | S_PRE},
    {.key = "moonshot/kimi-k2-0711-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_WEB},
    {.key = "moonshot/kimi-k2-0905-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_WEB},
    {.key = "moonshot/kimi-k2-thinking", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_RSN | S_WEB},
    {.key = "moonshot/kimi-k2-thinking-turbo", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 1.15e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_RSN | S_WEB},
    {.key = "moonshot/kimi-k2-turbo-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 1.15e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_WEB},
    {.key = "moonshot/kimi-k2.5", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 6e-07, .output_cost_per_token = 3e-06, .cache_read_input_token_cost = 1e-07, .supports = S_FN | S_TC | S_VIS | S_RSN | S_RS | S_VID},
    {.key = "moonshot/kimi-k2.6", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 9.5e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 1.6e-07, .supports = S_FN | S_TC | S_VIS | S_RSN | S_RS | S_VID},
    {.key = "moonshot/kimi-latest", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_VIS},
    {.key = "moonshot/kimi-latest-128k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_VIS},
    {.key = "moonshot/kimi-latest-32k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_VIS},
    {.key = "moonshot/kimi-latest-8k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_VIS},
    {.key = "moonshot/kimi-thinking-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_VIS},
    {.key = "moonshot/moonshot-v1-128k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC | S_RS},
    {.key = "moonshot/moonshot-v1-128k-0430", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC},
    {.key = "moonshot/moonshot-v1-128k-vision-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC | S_VIS | S_RS},
    {.key = "moonshot/moonshot-v1-32k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .supports = S_FN | S_TC | S_RS},
    {.key = "moonshot/moonshot-v1-32k-0430", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .supports = S_FN | S_TC},
    {.key = "moonshot/moonshot-v1-32k-vision-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 1e-06, .output_cost_per_token = 3e-06, .supports = S_FN | S_TC | S_VIS | S_RS},
    {.key = "moonshot/moonshot-v1-8k", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-06, .supports = S_FN | S_TC | S_RS},
    {.key = "moonshot/moonshot-v1-8k-0430", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-06, .supports = S_FN | S_TC},
    {.key = "moonshot/moonshot-v1-8k-vision-preview", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 2e-07, .output_cost_per_token = 2e-06, .supports = S_FN | S_TC | S_VIS | S_RS},
    {.key = "moonshot/moonshot-v1-auto", .litellm_provider = "moonshot", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 2e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC | S_RS},
    {.key = "morph/morph-v3-fast", .litellm_provider = "morph", .mode = "chat", .max_tokens = 16000, .max_input_tokens = 16000, .max_output_tokens = 16000, .input_cost_per_token = 8e-07, .output_cost_per_token = 1.2e-06, .supports = S_SYS},
    {.key = "morph/morph-v3-large", .litellm_provider = "morph", .mode = "chat", .max_tokens = 16000, .max_input_tokens = 16000, .max_output_tokens = 16000, .input_cost_per_token = 9e-07, .output_cost_per_token = 1.9e-06, .supports = S_SYS},
    {.key = "nebius/Qwen/Qwen3-14B", .litellm_provider = "nebius", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 8e-08, .output_cost_per_token = 2.4e-07, .supports = S_FN},
    {.key = "nebius/Qwen/Qwen3-235B-A22B", .litellm_provider = "nebius", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-07, .supports = S_FN},
    {.key = "nebius/Qwen/Qwen3-30B-A3B", .litellm_provider = "nebius", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 1e-07, .output_cost_per_token = 3e-07, .supports = S_FN},
    {.key = "novita/deepseek/deepseek-ocr", .litellm_provider = "novita", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 8192, .max_output_tokens = 8192, .input_cost_per_token = 3e-08, .output_cost_per_token = 3e-08, .supports = S_TC | S_VIS | S_RS | S_SYS},
    {.key = "novita/deepseek/deepseek-prover-v2-671b", .litellm_provider = "novita", .mode = "chat", .max_tokens = 160000, .max_input_tokens = 160000, .max_output_tokens = 160000, .input_cost_per_token = 7e-07, .output_cost_per_token = 2.5e-06, .supports = S_SYS},
    {.key = "novita/deepseek/deepseek-r1-0528", .litellm_provider = "novita", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 163840, .max_output_tokens = 32768, .input_cost_per_token = 7e-07, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 3.5e-07, .supports = S_FN | S_PFN | S_TC | S_RSN | S_RS | S_SYS},
    {.key = "nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-70B", .litellm_provider = "nscale", .mode = "chat", .input_cost_per_token = 3.75e-07, .output_cost_per_token = 3.75e-07},
    {.key = "nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", .litellm_provider = "nscale", .mode = "chat", .input_cost_per_token = 2.5e-08, .output_cost_per_token = 2.5e-08},
    {.key = "o1", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 6e-05, .cache_read_input_token_cost = 7.5e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF},
    {.key = "o1-2024-12-17", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 6e-05, .cache_read_input_token_cost = 7.5e-06, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF},
    {.key = "o1-pro", .litellm_provider = "openai", .mode = "responses", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 0.00015, .output_cost_per_token = 0.0006, .supports = S_FN | S_PFN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_SYS | S_PDF},
    {.key = "o3", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB},
    {.key = "o3-2025-04-16", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .cache_read_input_token_cost = 5e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB},
    {.key = "o3-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 5.5e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_RS},
    {.key = "o3-mini-2025-01-31", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 5.5e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_RS},
    {.key = "o3-pro", .litellm_provider = "openai", .mode = "responses", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 2e-05, .output_cost_per_token = 8e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB},
    {.key = "o4-mini", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 2.75e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB},
    {.key = "o4-mini-2025-04-16", .litellm_provider = "openai", .mode = "chat", .max_tokens = 100000, .max_input_tokens = 200000, .max_output_tokens = 100000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 2.75e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_WEB},
    {.key = "omni-moderation-latest", .litellm_provider = "openai", .mode = "moderation", .max_tokens = 0, .max_input_tokens = 32768, .max_output_tokens = 0, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "openai.gpt-oss-120b-1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 1.5e-07, .output_cost_per_token = 6e-07, .supports = S_FN | S_TC | S_RSN | S_RS},
    {.key = "openai.gpt-oss-20b-1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 7e-08, .output_cost_per_token = 3e-07, .supports = S_FN | S_TC | S_RSN | S_RS},
    {.key = "openrouter/anthropic/claude-sonnet-4", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "openrouter/anthropic/claude-sonnet-4.5", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 1000000, .max_input_tokens = 1000000, .max_output_tokens = 1000000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "openrouter/anthropic/claude-sonnet-4.6", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 1000000, .max_output_tokens = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "openrouter/deepseek/deepseek-chat", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 65536, .max_output_tokens = 8192, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .supports = S_TC | S_PC},
    {.key = "openrouter/deepseek/deepseek-chat-v3-0324", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 65536, .max_output_tokens = 8192, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .supports = S_TC | S_PC},
    {.key = "openrouter/deepseek/deepseek-chat-v3.1", .litellm_provider = "openrouter", .mode = "chat", .max_tokens = 163840, .max_input_tokens = 163840, .max_output_tokens = 163840, .input_cost_per_token = 2e-07, .output_cost_per_token = 8e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_PRE},
    {.key = "ovhcloud/DeepSeek-R1-Distill-Llama-70B", .litellm_provider = "ovhcloud", .mode = "chat", .max_tokens = 131000, .max_input_tokens = 131000, .max_output_tokens = 131000, .input_cost_per_token = 6.7e-07, .output_cost_per_token = 6.7e-07, .supports = S_FN | S_TC | S_RSN | S_RS},
    {.key = "ovhcloud/Llama-3.1-8B-Instruct", .litellm_provider = "ovhcloud", .mode = "chat", .max_tokens = 131000, .max_input_tokens = 131000, .max_output_tokens = 131000, .input_cost_per_token = 1e-07, .output_cost_per_token = 1e-07, .supports = S_FN | S_TC | S_RS},
    {.key = "perplexity/sonar", .litellm_provider = "perplexity", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .input_cost_per_token = 1e-06, .output_cost_per_token = 1e-06, .supports = S_WEB},
    {.key = "perplexity/sonar-deep-research", .litellm_provider = "perplexity", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .output_cost_per_reasoning_token = 3e-06, .supports = S_RSN | S_WEB},
    {.key = "perplexity/sonar-pro", .litellm_provider = "perplexity", .mode = "chat", .max_tokens = 8000, .max_input_tokens = 200000, .max_output_tokens = 8000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_WEB},
    {.key = "perplexity/sonar-reasoning", .litellm_provider = "perplexity", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .supports = S_RSN | S_WEB},
    {.key = "perplexity/sonar-reasoning-pro", .litellm_provider = "perplexity", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .input_cost_per_token = 2e-06, .output_cost_per_token = 8e-06, .supports = S_RSN | S_WEB},
    {.key = "publicai/BSC-LT/ALIA-40b-instruct_Q8_0", .litellm_provider = "publicai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 8192, .max_output_tokens = 4096, .has = LMX_PH_INPUT | LMX_PH_OUTPUT, .supports = S_FN | S_TC},
    {.key = "publicai/BSC-LT/salamandra-7b-instruct-tools-16k", .litellm_provider = "publicai", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 16384, .max_output_tokens = 4096, .has = LMX_PH_INPUT | LMX_PH_OUTPUT, .supports = S_FN | S_TC},
    {.key = "rerank-english-v3.0", .litellm_provider = "cohere", .mode = "rerank", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_query = 0.002, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "rerank-multilingual-v3.0", .litellm_provider = "cohere", .mode = "rerank", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_query = 0.002, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "rerank-v3.5", .litellm_provider = "cohere", .mode = "rerank", .max_tokens = 4096, .max_input_tokens = 4096, .max_output_tokens = 4096, .input_cost_per_query = 0.002, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "sambanova/DeepSeek-R1", .litellm_provider = "sambanova", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 5e-06, .output_cost_per_token = 7e-06},
    {.key = "sambanova/DeepSeek-R1-Distill-Llama-70B", .litellm_provider = "sambanova", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 7e-07, .output_cost_per_token = 1.4e-06},
    {.key = "sambanova/DeepSeek-V3-0324", .litellm_provider = "sambanova", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 3e-06, .output_cost_per_token = 4.5e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "sambanova/DeepSeek-V3.1", .litellm_provider = "sambanova", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 3e-06, .output_cost_per_token = 4.5e-06, .supports = S_FN | S_TC | S_RSN},
    {.key = "sarvam/sarvam-m", .litellm_provider = "sarvam", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 8192, .max_output_tokens = 32000, .has = LMX_PH_INPUT | LMX_PH_OUTPUT | LMX_PH_CACHE_READ | LMX_PH_CACHE_WRITE | LMX_PH_CACHE_WRITE_1H, .supports = S_RSN},
    {.key = "scaleway/meta/llama-3.3-70b-instruct", .litellm_provider = "scaleway", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 128000, .max_output_tokens = 16384, .input_cost_per_token = 9e-07, .output_cost_per_token = 9e-07, .supports = S_FN},
    {.key = "scaleway/mistralai/devstral-2-123b-instruct-2512", .litellm_provider = "scaleway", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 200000, .max_output_tokens = 16384, .input_cost_per_token = 4e-07, .output_cost_per_token = 2e-06, .supports = S_FN},
    {.key = "snowflake/claude-sonnet-4-5", .litellm_provider = "snowflake", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 200000, .max_output_tokens = 16384, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .supports = S_FN | S_VIS | S_PC | S_RS | S_SYS},
    {.key = "snowflake/claude-sonnet-4-6", .litellm_provider = "snowflake", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 200000, .max_output_tokens = 16384, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .supports = S_FN | S_VIS | S_PC | S_RS | S_SYS},
    {.key = "tencent/deepseek-v4-flash", .litellm_provider = "tencent", .mode = "chat", .max_tokens = 384000, .max_input_tokens = 1000000, .max_output_tokens = 384000, .input_cost_per_token = 1.4e-07, .output_cost_per_token = 2.8e-07, .cache_read_input_token_cost = 2.8e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RSN | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "tencent/deepseek-v4-pro", .litellm_provider = "tencent", .mode = "chat", .max_tokens = 384000, .max_input_tokens = 1000000, .max_output_tokens = 384000, .input_cost_per_token = 4.35e-07, .output_cost_per_token = 8.7e-07, .cache_read_input_token_cost = 3.625e-09, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_PFN | S_TC | S_PC | S_RSN | S_RS | S_SYS | S_PRE | S_NS},
    {.key = "text-embedding-004", .litellm_provider = "vertex_ai-embedding-models", .mode = "embedding", .max_tokens = 2048, .max_input_tokens = 2048, .input_cost_per_token = 1e-07, .input_cost_per_character = 2.5e-08, .has = LMX_PH_OUTPUT},
    {.key = "text-embedding-005", .litellm_provider = "vertex_ai-embedding-models", .mode = "embedding", .max_tokens = 2048, .max_input_tokens = 2048, .input_cost_per_token = 1e-07, .input_cost_per_character = 2.5e-08, .has = LMX_PH_OUTPUT},
    {.key = "text-embedding-3-large", .litellm_provider = "openai", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 1.3e-07, .has = LMX_PH_OUTPUT},
    {.key = "text-embedding-3-small", .litellm_provider = "openai", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "text-embedding-ada-002", .litellm_provider = "openai", .mode = "embedding", .max_tokens = 8191, .max_input_tokens = 8191, .input_cost_per_token = 1e-07, .has = LMX_PH_OUTPUT},
    {.key = "text-moderation-latest", .litellm_provider = "openai", .mode = "moderation", .max_tokens = 0, .max_input_tokens = 32768, .max_output_tokens = 0, .has = LMX_PH_INPUT | LMX_PH_OUTPUT},
    {.key = "together_ai/Qwen/Qwen3-235B-A22B-Instruct-2507-tput", .litellm_provider = "together_ai", .mode = "chat", .max_input_tokens = 262000, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-06, .supports = S_FN | S_PFN | S_TC | S_RS},
    {.key = "together_ai/Qwen/Qwen3-235B-A22B-Thinking-2507", .litellm_provider = "together_ai", .mode = "chat", .max_input_tokens = 256000, .input_cost_per_token = 6.5e-07, .output_cost_per_token = 3e-06, .supports = S_FN | S_PFN | S_TC | S_RS},
    {.key = "together_ai/Qwen/Qwen3-235B-A22B-fp8-tput", .litellm_provider = "together_ai", .mode = "chat", .max_input_tokens = 40000, .input_cost_per_token = 2e-07, .output_cost_per_token = 6e-07},
    {.key = "together_ai/Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", .litellm_provider = "together_ai", .mode = "chat", .max_input_tokens = 256000, .input_cost_per_token = 2e-06, .output_cost_per_token = 2e-06, .supports = S_FN | S_PFN | S_TC | S_RS},
    {.key = "tts-1", .litellm_provider = "openai", .mode = "audio_speech", .input_cost_per_character = 1.5e-05},
    {.key = "tts-1-hd", .litellm_provider = "openai", .mode = "audio_speech", .input_cost_per_character = 3e-05},
    {.key = "us.amazon.nova-lite-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 6e-08, .output_cost_per_token = 2.4e-07, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "us.amazon.nova-micro-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 128000, .max_output_tokens = 10000, .input_cost_per_token = 3.5e-08, .output_cost_per_token = 1.4e-07, .supports = S_FN | S_PC | S_RS},
    {.key = "us.amazon.nova-premier-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 1000000, .max_output_tokens = 10000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 1.25e-05, .supports = S_FN | S_VIS | S_RS | S_PDF},
    {.key = "us.amazon.nova-pro-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 10000, .max_input_tokens = 300000, .max_output_tokens = 10000, .input_cost_per_token = 8e-07, .output_cost_per_token = 3.2e-06, .supports = S_FN | S_VIS | S_PC | S_RS | S_PDF},
    {.key = "us.anthropic.claude-3-5-haiku-20241022-v1:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 8e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 8e-08, .cache_creation_input_token_cost = 1e-06, .supports = S_FN | S_TC | S_PC | S_RS | S_PDF | S_PRE},
    {.key = "us.anthropic.claude-3-5-sonnet-20241022-v2:0", .litellm_provider = "bedrock", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "us.anthropic.claude-3-7-sonnet-20250219-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "us.anthropic.claude-haiku-4-5-20251001-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 5.5e-06, .cache_read_input_token_cost = 1.1e-07, .cache_creation_input_token_cost = 1.375e-06, .cache_creation_input_token_cost_above_1hr = 2.2e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "us.anthropic.claude-opus-4-1-20250805-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "us.anthropic.claude-opus-4-20250514-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "us.anthropic.claude-sonnet-4-20250514-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "us.anthropic.claude-sonnet-4-5-20250929-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3.3e-06, .output_cost_per_token = 1.65e-05, .cache_read_input_token_cost = 3.3e-07, .cache_creation_input_token_cost = 4.125e-06, .cache_creation_input_token_cost_above_1hr = 6.6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6.6e-06, .output_cost_per_token = 2.475e-05, .cache_read_input_token_cost = 6.6e-07, .cache_creation_input_token_cost = 8.25e-06, .cache_creation_input_token_cost_above_1hr = 1.32e-05}}},
    {.key = "us.deepseek.r1-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1.35e-06, .output_cost_per_token = 5.4e-06, .supports = S_RSN},
    {.key = "us.meta.llama3-3-70b-instruct-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 7.2e-07, .output_cost_per_token = 7.2e-07, .supports = S_FN},
    {.key = "us.meta.llama4-maverick-17b-instruct-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 2.4e-07, .output_cost_per_token = 9.7e-07, .supports = S_FN},
    {.key = "us.meta.llama4-scout-17b-instruct-v1:0", .litellm_provider = "bedrock_converse", .mode = "chat", .max_tokens = 4096, .max_input_tokens = 128000, .max_output_tokens = 4096, .input_cost_per_token = 1.7e-07, .output_cost_per_token = 6.6e-07, .supports = S_FN},
    {.key = "v0/v0-1.0-md", .litellm_provider = "v0", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_SYS},
    {.key = "v0/v0-1.5-lg", .litellm_provider = "v0", .mode = "chat", .max_tokens = 512000, .max_input_tokens = 512000, .max_output_tokens = 512000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_SYS},
    {.key = "v0/v0-1.5-md", .litellm_provider = "v0", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_PFN | S_TC | S_VIS | S_SYS},
    {.key = "vercel_ai_gateway/alibaba/qwen3-coder", .litellm_provider = "vercel_ai_gateway", .mode = "chat", .max_tokens = 66536, .max_input_tokens = 262144, .max_output_tokens = 66536, .input_cost_per_token = 4e-07, .output_cost_per_token = 1.6e-06, .supports = S_FN | S_TC},
    {.key = "vercel_ai_gateway/anthropic/claude-sonnet-4", .litellm_provider = "vercel_ai_gateway", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_CU | S_PRE},
    {.key = "vercel_ai_gateway/anthropic/claude-sonnet-4.5", .litellm_provider = "vercel_ai_gateway", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_CU | S_PRE},
    {.key = "vercel_ai_gateway/deepseek/deepseek-r1", .litellm_provider = "vercel_ai_gateway", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 128000, .max_output_tokens = 8192, .input_cost_per_token = 5.5e-07, .output_cost_per_token = 2.19e-06, .supports = S_TC},
    {.key = "vertex_ai/claude-3-5-haiku", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .supports = S_FN | S_TC | S_PDF | S_PRE},
    {.key = "vertex_ai/claude-3-5-sonnet", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_TC | S_VIS | S_PDF | S_CU | S_PRE},
    {.key = "vertex_ai/claude-3-7-sonnet@20250219", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "vertex_ai/claude-haiku-4-5@20251001", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 8192, .max_input_tokens = 200000, .max_output_tokens = 8192, .input_cost_per_token = 1e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 1e-07, .cache_creation_input_token_cost = 1.25e-06, .cache_creation_input_token_cost_above_1hr = 2e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_PRE | S_NS},
    {.key = "vertex_ai/claude-opus-4-5@20251101", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 5e-06, .output_cost_per_token = 2.5e-05, .cache_read_input_token_cost = 5e-07, .cache_creation_input_token_cost = 6.25e-06, .cache_creation_input_token_cost_above_1hr = 1e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE | S_NS},
    {.key = "vertex_ai/claude-opus-4@20250514", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 32000, .max_input_tokens = 200000, .max_output_tokens = 32000, .input_cost_per_token = 1.5e-05, .output_cost_per_token = 7.5e-05, .cache_read_input_token_cost = 1.5e-06, .cache_creation_input_token_cost = 1.875e-05, .cache_creation_input_token_cost_above_1hr = 3e-05, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE},
    {.key = "vertex_ai/claude-sonnet-4-5@20250929", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 200000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE | S_NS, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "vertex_ai/claude-sonnet-4@20250514", .litellm_provider = "vertex_ai-anthropic_models", .mode = "chat", .max_tokens = 64000, .max_input_tokens = 1000000, .max_output_tokens = 64000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 3e-07, .cache_creation_input_token_cost = 3.75e-06, .cache_creation_input_token_cost_above_1hr = 6e-06, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_PDF | S_CU | S_PRE, .tiers = {{.above = 200000, .input_cost_per_token = 6e-06, .output_cost_per_token = 2.25e-05, .cache_read_input_token_cost = 6e-07, .cache_creation_input_token_cost = 7.5e-06}}},
    {.key = "volcengine/doubao-seed-2-0-code-preview-260215", .litellm_provider = "volcengine", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 256000, .max_output_tokens = 128000, .input_cost_per_token = 4.6e-07, .output_cost_per_token = 2.3e-06, .cache_read_input_token_cost = 4.6e-07, .cache_creation_input_token_cost = 4.6e-07, .supports = S_FN | S_VIS | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 7e-07, .output_cost_per_token = 3.5e-06, .cache_read_input_token_cost = 7e-07, .cache_creation_input_token_cost = 7e-07}, {.above = 128000, .input_cost_per_token = 1.4e-06, .output_cost_per_token = 7e-06, .cache_read_input_token_cost = 1.4e-06, .cache_creation_input_token_cost = 1.4e-06}}},
    {.key = "volcengine/doubao-seed-2-0-lite-260215", .litellm_provider = "volcengine", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 256000, .max_output_tokens = 128000, .input_cost_per_token = 8.7e-08, .output_cost_per_token = 5.2e-07, .cache_read_input_token_cost = 8.7e-08, .cache_creation_input_token_cost = 8.7e-08, .supports = S_FN | S_VIS | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 1.3e-07, .output_cost_per_token = 7.8e-07, .cache_read_input_token_cost = 1.3e-07, .cache_creation_input_token_cost = 1.3e-07}, {.above = 128000, .input_cost_per_token = 2.6e-07, .output_cost_per_token = 1.6e-06, .cache_read_input_token_cost = 2.6e-07, .cache_creation_input_token_cost = 2.6e-07}}},
    {.key = "volcengine/doubao-seed-2-0-mini-260215", .litellm_provider = "volcengine", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 256000, .max_output_tokens = 128000, .input_cost_per_token = 2.9e-08, .output_cost_per_token = 2.9e-07, .cache_read_input_token_cost = 2.9e-08, .cache_creation_input_token_cost = 2.9e-08, .supports = S_FN | S_VIS | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 5.8e-08, .output_cost_per_token = 5.8e-07, .cache_read_input_token_cost = 5.8e-08, .cache_creation_input_token_cost = 5.8e-08}, {.above = 128000, .input_cost_per_token = 1.2e-07, .output_cost_per_token = 1.2e-06, .cache_read_input_token_cost = 1.2e-07, .cache_creation_input_token_cost = 1.2e-07}}},
    {.key = "volcengine/doubao-seed-2-0-pro-260215", .litellm_provider = "volcengine", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 256000, .max_output_tokens = 128000, .input_cost_per_token = 4.6e-07, .output_cost_per_token = 2.3e-06, .cache_read_input_token_cost = 4.6e-07, .cache_creation_input_token_cost = 4.6e-07, .supports = S_FN | S_VIS | S_RSN, .tiers = {{.above = 32000, .input_cost_per_token = 7e-07, .output_cost_per_token = 3.5e-06, .cache_read_input_token_cost = 7e-07, .cache_creation_input_token_cost = 7e-07}, {.above = 128000, .input_cost_per_token = 1.4e-06, .output_cost_per_token = 7e-06, .cache_read_input_token_cost = 1.4e-06, .cache_creation_input_token_cost = 1.4e-06}}},
    {.key = "voyage/rerank-2.5", .litellm_provider = "voyage", .mode = "rerank", .max_tokens = 32000, .max_input_tokens = 32000, .max_output_tokens = 32000, .input_cost_per_token = 5e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/rerank-2.5-lite", .litellm_provider = "voyage", .mode = "rerank", .max_tokens = 32000, .max_input_tokens = 32000, .max_output_tokens = 32000, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-3", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 6e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-3-large", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 1.8e-07, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-3-lite", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-3.5", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 6e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-3.5-lite", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 2e-08, .has = LMX_PH_OUTPUT},
    {.key = "voyage/voyage-code-3", .litellm_provider = "voyage", .mode = "embedding", .max_tokens = 32000, .max_input_tokens = 32000, .input_cost_per_token = 1.8e-07, .has = LMX_PH_OUTPUT},
    {.key = "wandb/Qwen/Qwen3-235B-A22B-Instruct-2507", .litellm_provider = "wandb", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 0.01, .output_cost_per_token = 0.01},
    {.key = "wandb/Qwen/Qwen3-235B-A22B-Thinking-2507", .litellm_provider = "wandb", .mode = "chat", .max_tokens = 262144, .max_input_tokens = 262144, .max_output_tokens = 262144, .input_cost_per_token = 0.01, .output_cost_per_token = 0.01},
    {.key = "watsonx/mistralai/mistral-large", .litellm_provider = "watsonx", .mode = "chat", .max_tokens = 16384, .max_input_tokens = 131072, .max_output_tokens = 16384, .input_cost_per_token = 3e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_TC | S_PC | S_RS | S_SYS},
    {.key = "watsonx/mistralai/mistral-medium-2505", .litellm_provider = "watsonx", .mode = "chat", .max_tokens = 128000, .max_input_tokens = 128000, .max_output_tokens = 128000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_PFN},
    {.key = "whisper-1", .litellm_provider = "openai", .mode = "audio_transcription", .input_cost_per_second = 0.0001, .output_cost_per_second = 0.0001},
    {.key = "xai/grok-2-vision-1212", .litellm_provider = "xai", .mode = "chat", .max_tokens = 32768, .max_input_tokens = 32768, .max_output_tokens = 32768, .input_cost_per_token = 2e-06, .output_cost_per_token = 1e-05, .supports = S_FN | S_TC | S_VIS | S_WEB},
    {.key = "xai/grok-3", .litellm_provider = "xai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 7.5e-07, .supports = S_FN | S_TC | S_PC | S_WEB},
    {.key = "xai/grok-3-latest", .litellm_provider = "xai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .cache_read_input_token_cost = 7.5e-07, .supports = S_FN | S_TC | S_PC | S_WEB},
    {.key = "xai/grok-3-mini", .litellm_provider = "xai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 3e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_TC | S_PC | S_RSN | S_WEB},
    {.key = "xai/grok-3-mini-fast", .litellm_provider = "xai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 6e-07, .output_cost_per_token = 4e-06, .cache_read_input_token_cost = 1.5e-07, .supports = S_FN | S_TC | S_PC | S_RSN | S_WEB},
    {.key = "xai/grok-3-mini-latest", .litellm_provider = "xai", .mode = "chat", .max_tokens = 131072, .max_input_tokens = 131072, .max_output_tokens = 131072, .input_cost_per_token = 3e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 7.5e-08, .supports = S_FN | S_TC | S_PC | S_RSN | S_WEB},
    {.key = "xai/grok-4", .litellm_provider = "xai", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_TC | S_PC | S_WEB},
    {.key = "xai/grok-4-0709", .litellm_provider = "xai", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_TC | S_PC | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 6e-06, .output_cost_per_token = 3e-05}}},
    {.key = "xai/grok-4-1-fast-non-reasoning", .litellm_provider = "xai", .mode = "chat", .max_tokens = 2000000, .max_input_tokens = 2000000, .max_output_tokens = 2000000, .input_cost_per_token = 2e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 5e-08, .supports = S_FN | S_TC | S_VIS | S_PC | S_RS | S_AIN | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 4e-07, .output_cost_per_token = 1e-06}}},
    {.key = "xai/grok-4-1-fast-reasoning", .litellm_provider = "xai", .mode = "chat", .max_tokens = 2000000, .max_input_tokens = 2000000, .max_output_tokens = 2000000, .input_cost_per_token = 2e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 5e-08, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_AIN | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 4e-07, .output_cost_per_token = 1e-06}}},
    {.key = "xai/grok-4-fast-non-reasoning", .litellm_provider = "xai", .mode = "chat", .max_tokens = 2000000, .max_input_tokens = 2000000, .max_output_tokens = 2000000, .input_cost_per_token = 2e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 5e-08, .supports = S_FN | S_TC | S_PC | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 4e-07, .output_cost_per_token = 1e-06}}},
    {.key = "xai/grok-4-fast-reasoning", .litellm_provider = "xai", .mode = "chat", .max_tokens = 2000000, .max_input_tokens = 2000000, .max_output_tokens = 2000000, .input_cost_per_token = 2e-07, .output_cost_per_token = 5e-07, .cache_read_input_token_cost = 5e-08, .supports = S_FN | S_TC | S_PC | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 4e-07, .output_cost_per_token = 1e-06}}},
    {.key = "xai/grok-4-latest", .litellm_provider = "xai", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 3e-06, .output_cost_per_token = 1.5e-05, .supports = S_FN | S_TC | S_PC | S_WEB, .tiers = {{.above = 128000, .input_cost_per_token = 6e-06, .output_cost_per_token = 3e-05}}},
    {.key = "xai/grok-4.3", .litellm_provider = "xai", .mode = "chat", .max_tokens = 1000000, .max_input_tokens = 1000000, .max_output_tokens = 1000000, .input_cost_per_token = 1.25e-06, .output_cost_per_token = 2.5e-06, .cache_read_input_token_cost = 2e-07, .supports = S_FN | S_TC | S_VIS | S_PC | S_RSN | S_RS | S_WEB, .tiers = {{.above = 200000, .input_cost_per_token = 2.5e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 4e-07}}},
    {.key = "xai/grok-code-fast-1", .litellm_provider = "xai", .mode = "chat", .max_tokens = 256000, .max_input_tokens = 256000, .max_output_tokens = 256000, .input_cost_per_token = 2e-07, .output_cost_per_token = 1.5e-06, .cache_read_input_token_cost = 2e-08, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-4-32b-0414-128k", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 1e-07, .output_cost_per_token = 1e-07, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.2e-06, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5-air", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 2e-07, .output_cost_per_token = 1.1e-06, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5-airx", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 1.1e-06, .output_cost_per_token = 4.5e-06, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5-flash", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .has = LMX_PH_INPUT | LMX_PH_OUTPUT, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5-x", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 2.2e-06, .output_cost_per_token = 8.9e-06, .supports = S_FN | S_TC},
    {.key = "zai/glm-4.5v", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 128000, .max_output_tokens = 32000, .input_cost_per_token = 6e-07, .output_cost_per_token = 1.8e-06, .supports = S_FN | S_TC | S_VIS},
    {.key = "zai/glm-4.6", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.2e-06, .cache_read_input_token_cost = 1.1e-07, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-4.7", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 6e-07, .output_cost_per_token = 2.2e-06, .cache_read_input_token_cost = 1.1e-07, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-4.7-flash", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .has = LMX_PH_INPUT | LMX_PH_OUTPUT | LMX_PH_CACHE_READ | LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-5", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 1e-06, .output_cost_per_token = 3.2e-06, .cache_read_input_token_cost = 2e-07, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-5-code", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 1.2e-06, .output_cost_per_token = 5e-06, .cache_read_input_token_cost = 3e-07, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
    {.key = "zai/glm-5.1", .litellm_provider = "zai", .mode = "chat", .max_input_tokens = 200000, .max_output_tokens = 128000, .input_cost_per_token = 1.4e-06, .output_cost_per_token = 4.4e-06, .cache_read_input_token_cost = 2.6e-07, .has = LMX_PH_CACHE_WRITE, .supports = S_FN | S_TC | S_PC | S_RSN},
};
/* clang-format on */

static const struct lmx_price *builtin_rows(size_t *n)
{
    *n = LMX_ARRAY_SIZE(builtin);
    return builtin;
}
