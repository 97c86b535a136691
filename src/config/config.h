/*
 * config/config.h - the LiteLLM config.yaml, loaded into an immutable snapshot.
 *
 * A snapshot is built once (at start or on SIGHUP), never changed afterwards,
 * and shared read-only by every worker thread. It is reference-counted: the
 * main thread holds one reference, each worker one for the snapshot it uses.
 *
 * What is and is not here: the loader (config/load.c) reads YAML with libyaml
 * using PyYAML's scalar rules, resolves `os.environ/NAME`, exports
 * `environment_variables`, validates, and fills the structs below. Lookups of
 * a model name to a group live in route/.
 */
#ifndef LMX_CONFIG_H
#define LMX_CONFIG_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "core/lmx.h"

struct lmx_dstate;
struct lmx_router_cfg;

/* One entry of model_list: a deployment of the group `model_name`. */
struct lmx_deployment {
    char *model_name;     /* group name, e.g. "gpt-4o", "*" or a provider wildcard */
    char *model;          /* litellm_params.model as written, e.g. "openai/gpt-4o" */
    char *provider;       /* "openai" when the model has no known prefix */
    char *upstream_model; /* model without the provider prefix; may contain '*' */
    char *api_base;       /* without trailing '/'; else <PROVIDER>_API_BASE-style env, else the
                             preset's default URL; NULL when none is known (native families) */
    char *api_key;        /* resolved; else the provider's key env (OPENAI_API_KEY...); NULL
                             when none is set */
    char *api_version;    /* NULL when absent (azure: AZURE_API_VERSION fills it) */
    char *organization;   /* NULL when absent */
    char *id;             /* model_info.id, else hex SHA-256 of the canonical JSON of
                             {model_name, litellm_params as written}; "-2", "-3"... are
                             appended for exact repeats of an earlier entry */
    char *region_name;    /* NULL when absent */
    double rpm, tpm;      /* 0 = unset */
    double weight;        /* 0 = unset */
    int order;            /* 0 = unset */
    double timeout;        /* seconds; 0 = unset */
    double stream_timeout; /* seconds; 0 = unset */
    int num_retries;       /* -1 = unset */
    int drop_params;       /* -1 = unset, else 0/1 */
    int max_parallel_requests; /* -1 = unset */
    bool supported;        /* this build can call the provider: OpenAI wire format (or azure)
                              and an api_base is known */
    json_t *litellm_params; /* the whole mapping, resolved (owned) */
    json_t *model_info;     /* the whole mapping incl. id (owned, never NULL) */
    struct lmx_dstate *state; /* runtime state shared by all snapshots, keyed by id; bound
                                 after load by route/ (lmx_route_bind); NULL before */
    /* numbers the router reads per pick, taken out of the JSON once by lmx_route_bind */
    double max_input_tokens; /* model_info.max_input_tokens, 0 = unknown */
    double price_per_token;  /* input + output cost per token, 0 = unknown */
    double cooldown_time;    /* litellm_params.cooldown_time, < 0 = the router's */
    unsigned quirks;         /* the provider's auth style and stream quirks (provider/quirks.h),
                                looked up once at load */
};

/* All deployments sharing a model_name, in config order. */
struct lmx_group {
    char *name;
    struct lmx_deployment **deps; /* borrowed from lmx_config.deps */
    size_t ndeps;
    bool wildcard;     /* name contains '*' */
    size_t prefix_len; /* for a wildcard: bytes before the '*' */
};

struct lmx_config {
    atomic_int refs;
    char *path;

    struct lmx_deployment *deps; /* model_list, in order */
    size_t ndeps;
    struct lmx_group *groups; /* one per distinct model_name, in first-seen order */
    size_t ngroups;

    /* general_settings */
    char *master_key; /* NULL = no auth */
    size_t max_request_bytes; /* max_request_size_mb, or llmux default */

    /* litellm_settings (router_settings wins where both have the key) */
    bool drop_params;
    bool stream_cost;       /* include_cost_in_streaming_usage: usage.cost in a stream's usage chunk */
    double request_timeout; /* seconds (6000 default) */
    int num_retries;        /* 2 when unset, as LiteLLM's Router; router_settings wins */
    json_t *model_group_alias; /* object alias -> group name or {model, hidden}; owned, may be NULL */

    /* llmux_settings: our own knobs, with defaults */
    size_t max_header_bytes;    /* 431 above this (default 64 KiB) */
    double header_timeout;      /* seconds to receive a whole request head (default 30) */
    double idle_timeout;        /* seconds a keep-alive connection may idle (default 120) */
    double shutdown_grace;      /* seconds SIGTERM waits for in-flight requests (default 30) */
    char *ca_bundle;            /* NULL = system default */

    json_t *root; /* the whole file as JSON (owned), for what is not modelled above */

    /* Router settings, built from `root` by route/ after load (lmx_route_bind). */
    struct lmx_router_cfg *router;
    void (*router_free)(struct lmx_router_cfg *r);
};

/* Diagnostics: every problem found, as "file:line:column: error|warning: reason". */
struct lmx_diag {
    char **lines;
    size_t n, cap;
    size_t errors, warnings;
};

void lmx_diag_init(struct lmx_diag *d);
void lmx_diag_release(struct lmx_diag *d);
/* Appends one formatted line; out of memory drops the line but still counts it. */
void lmx_diag_add(struct lmx_diag *d, bool is_error, const char *file, size_t line, size_t col,
                  const char *fmt, ...) LMX_PRINTF(6, 7);

/*
 * Loads and validates `path`. Returns 0 and sets *out (refs = 1) when the file
 * has no errors (warnings are fine); otherwise returns LMX_ECONFIG, leaves *out
 * untouched and `diag` says why. Every problem is reported, not just the first,
 * sorted by position. Also LMX_EIO when the file cannot be read and LMX_ENOMEM
 * (both with a line in `diag` where possible).
 * `environment_variables` are seen by `os.environ/NAME` references and provider
 * defaults as if exported first, as LiteLLM does; they are exported into the
 * process environment (setenv, only those that change) when the load succeeds,
 * so a failed load leaves the environment alone. Call it from one thread.
 */
int lmx_config_load(const char *path, struct lmx_config **out, struct lmx_diag *diag);

/* The same from a string already in memory (tests, embedded default); `name` labels diagnostics. */
int lmx_config_load_string(const char *name, const char *text, size_t len,
                           struct lmx_config **out, struct lmx_diag *diag);

/* Reference counting (thread-safe). lmx_config_unref(NULL) is a no-op; the last unref frees. */
struct lmx_config *lmx_config_ref(struct lmx_config *c);
void lmx_config_unref(struct lmx_config *c);

#endif
