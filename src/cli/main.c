/*
 * cli/main.c - the llmux binary: command line, workers, signals.
 *
 * The only place that wires modules together. The main thread loads the
 * config, opens the listening sockets, starts one worker thread per core
 * (each with its own loop, HTTP server and upstream client) and then waits
 * for signals: SIGHUP reloads the config (an invalid one keeps the old),
 * SIGTERM/SIGINT stop accepting, let in-flight requests finish within the
 * grace period, and exit 0.
 */
#include "core/lmx.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <http_parser.h>
#include <jansson.h>
#include <uv.h>

#include "api/api.h"
#include "cli/check.h"
#include "config/config.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http.h"
#include "provider/prices.h"
#include "route/settings.h"
#include "route/shared.h"
#include "store/respstore.h"
#include "route/state.h"
#include "upstream/upstream.h"

#define MAX_WORKERS 256

struct worker {
    struct lmx_api_worker api;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t wake;
    int fd;
    struct app *app;
    atomic_bool stop;
    atomic_bool done;
    bool stopping;
    uv_timer_t grace;
};

struct app {
    const char *config_path;
    const char *host;
    int port;
    int nworkers;
    uv_mutex_t cfg_lock;
    struct lmx_config *cfg; /* current, guarded by cfg_lock */
    struct worker *workers;
    uv_signal_t sig_hup, sig_term, sig_int;
    uv_timer_t exit_poll;
    double grace;
    uint64_t t_start;
};

static struct lmx_http_limits limits_of(const struct lmx_config *cfg)
{
    struct lmx_http_limits l = {
        .max_header_bytes = cfg->max_header_bytes,
        .max_body_bytes = cfg->max_request_bytes,
        .header_timeout = cfg->header_timeout,
        .idle_timeout = cfg->idle_timeout,
        .out_high_water = 64u << 10,
    };
    return l;
}

/* ------------------------------------------------------------------------ */
/* Workers */

static void worker_closed_all(void *arg)
{
    struct worker *w = arg;

    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->grace, NULL);
}

static void upstream_closed(void *arg)
{
    worker_closed_all(arg);
}

static void http_stopped(void *arg)
{
    struct worker *w = arg;

    w->api.http = NULL;
    lmx_api_health_stop(&w->api);
    uv_timer_stop(&w->grace);
    lmx_upstream_close(w->api.up, upstream_closed, w);
    w->api.up = NULL;
}

static void on_grace_over(uv_timer_t *t)
{
    struct worker *w = t->data;

    if (w->api.http != NULL) {
        lmx_warn("worker %d: grace period over; dropping %zu connection(s)", w->api.id,
                 lmx_http_server_conns(w->api.http));
        lmx_http_server_abort_all(w->api.http);
    }
}

static void on_wake(uv_async_t *a)
{
    struct worker *w = a->data;
    struct app *app = w->app;
    struct lmx_config *cfg;

    if (atomic_load(&w->stop) && !w->stopping) {
        w->stopping = true;
        uv_timer_start(&w->grace, on_grace_over, (uint64_t)(app->grace * 1000.0), 0);
        lmx_http_server_shutdown(w->api.http, http_stopped, w);
        return;
    }
    if (w->stopping)
        return;
    uv_mutex_lock(&app->cfg_lock);
    cfg = lmx_config_ref(app->cfg);
    uv_mutex_unlock(&app->cfg_lock);
    if (cfg != w->api.cfg) {
        struct lmx_http_limits l = limits_of(cfg);

        lmx_http_server_set_limits(w->api.http, &l);
    }
    lmx_api_worker_set_config(&w->api, cfg);
    if (w->api.id == 0)
        lmx_api_health_schedule(&w->api); /* background health checks run on one worker */
}

static void worker_main(void *arg)
{
    struct worker *w = arg;

    uv_run(&w->loop, UV_RUN_DEFAULT);
    lmx_api_worker_release(&w->api);
    if (uv_loop_close(&w->loop) != 0)
        lmx_debug("worker %d: loop closed with handles left", w->api.id);
    atomic_store(&w->done, true);
}

static int worker_init(struct worker *w, struct app *app, int id, int fd)
{
    struct lmx_upstream_opts uo = {0};
    struct lmx_http_limits l;
    int err;

    w->app = app;
    w->fd = fd;
    w->api.id = id;
    w->api.started_at = lmx_wall_s();
    uv_loop_init(&w->loop);
    w->api.loop = &w->loop;
    uv_mutex_lock(&app->cfg_lock);
    w->api.cfg = lmx_config_ref(app->cfg);
    uv_mutex_unlock(&app->cfg_lock);
    uo.ca_bundle = w->api.cfg->ca_bundle;
    err = lmx_upstream_new(&w->api.up, &w->loop, &uo);
    if (err < 0)
        return err;
    l = limits_of(w->api.cfg);
    err = lmx_http_server_new(&w->api.http, &w->loop, fd, &l, lmx_api_handle, &w->api);
    if (err < 0)
        return err;
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->grace);
    w->grace.data = w;
    if (id == 0)
        lmx_api_health_schedule(&w->api);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Signals */

static void wake_all(struct app *app)
{
    for (int i = 0; i < app->nworkers; i++)
        uv_async_send(&app->workers[i].wake);
}

static void print_diag(const struct lmx_diag *d, enum lmx_log_level errlvl)
{
    for (size_t i = 0; i < d->n; i++)
        lmx_log(strstr(d->lines[i], ": error: ") != NULL ? errlvl : LMX_LOG_WARN, "%s",
                d->lines[i]);
}

static void on_sighup(uv_signal_t *s, int sig)
{
    struct app *app = s->data;
    struct lmx_config *cfg = NULL, *old;
    struct lmx_diag d;
    int err;

    LMX_UNUSED(sig);
    if (app->config_path == NULL) {
        lmx_info("SIGHUP: no config file to reload");
        return;
    }
    lmx_diag_init(&d);
    err = lmx_config_load(app->config_path, &cfg, &d);
    print_diag(&d, LMX_LOG_ERROR);
    lmx_diag_release(&d);
    if (err == 0 && lmx_route_bind(cfg) < 0) {
        lmx_config_unref(cfg);
        err = LMX_ENOMEM;
    }
    if (err < 0) {
        lmx_error("reload of '%s' failed; keeping the running config", app->config_path);
        return;
    }
    uv_mutex_lock(&app->cfg_lock);
    old = app->cfg;
    app->cfg = cfg;
    uv_mutex_unlock(&app->cfg_lock);
    lmx_config_unref(old);
    lmx_shared_reconfigure(cfg->router);
    lmx_prices_configure(cfg);
    wake_all(app);
    lmx_info("reloaded '%s': %zu deployment(s) in %zu group(s)", app->config_path, cfg->ndeps,
             cfg->ngroups);
}

static void on_exit_poll(uv_timer_t *t)
{
    struct app *app = t->data;

    for (int i = 0; i < app->nworkers; i++)
        if (!atomic_load(&app->workers[i].done))
            return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)&app->sig_hup, NULL);
    uv_close((uv_handle_t *)&app->sig_term, NULL);
    uv_close((uv_handle_t *)&app->sig_int, NULL);
    uv_close((uv_handle_t *)t, NULL);
}

static void on_sigterm(uv_signal_t *s, int sig)
{
    struct app *app = s->data;
    static bool once;

    if (once) {
        lmx_warn("second signal %d: exiting now", sig);
        _exit(0);
    }
    once = true;
    lmx_info("signal %d: draining (grace %.0f s)", sig, app->grace);
    for (int i = 0; i < app->nworkers; i++)
        atomic_store(&app->workers[i].stop, true);
    wake_all(app);
    uv_timer_start(&app->exit_poll, on_exit_poll, 10, 10);
}

/* ------------------------------------------------------------------------ */
/* Command line */

static const char embedded_config[] =
    "# llmux embedded default: used when no --config is given and no config.yaml exists.\n"
    "model_list:\n"
    "  - model_name: \"*\"\n"
    "    litellm_params:\n"
    "      model: openai/*\n"
    "      api_key: os.environ/OPENAI_API_KEY\n";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmux [--config FILE] [--host HOST] [--port PORT] [--num_workers N]\n"
            "             [--detailed_debug] [--debug] [--version]\n"
            "       llmux check [--config] FILE\n"
            "\n"
            "Serves the OpenAI API (LiteLLM proxy compatible) on HOST:PORT (default "
            "0.0.0.0:4000).\n"
            "Environment: PORT, HOST, LITELLM_LOG (DEBUG|INFO|WARNING|ERROR).\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/*
 * The embedded store (stored Responses): SQLite `llmux.db` next to the config
 * file, or the file $LLMUX_DB names; memory only without a config, or when
 * LLMUX_DB is empty.
 */
static void open_store(const char *config_path)
{
    const char *env = getenv("LLMUX_DB");
    char path[4096];
    const char *slash;

    if (env != NULL) {
        if (*env != '\0')
            lmx_respstore_open(env);
        return;
    }
    if (config_path == NULL)
        return;
    slash = strrchr(config_path, '/');
    if (slash == NULL)
        snprintf(path, sizeof(path), "llmux.db");
    else
        snprintf(path, sizeof(path), "%.*s/llmux.db", (int)(slash - config_path), config_path);
    lmx_respstore_open(path); /* logs its own failure; then memory only */
}

int main(int argc, char **argv)
{
    struct app app;
    struct lmx_diag d;
    const char *env;
    int port_fd, bound = 0, rc = 1, err;
    long cores;

    if (argc > 1 && strcmp(argv[1], "check") == 0) {
        lmx_alloc_install();
        return lmx_check_main(argc - 1, argv + 1);
    }
    memset(&app, 0, sizeof(app));
    app.t_start = lmx_now_ns();
    app.host = "0.0.0.0";
    app.port = 4000;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    app.nworkers = cores > 0 ? (int)LMX_MIN(cores, MAX_WORKERS) : 1;
    env = getenv("HOST");
    if (env != NULL && *env)
        app.host = env;
    env = getenv("PORT");
    if (env != NULL && *env && parse_int(env, 0, 65535, &app.port) < 0) {
        fprintf(stderr, "llmux: invalid PORT '%s'\n", env);
        return 2;
    }
    env = getenv("LITELLM_LOG");
    if (env != NULL && lmx_log_parse_level(env) >= 0)
        lmx_log_set_level((enum lmx_log_level)lmx_log_parse_level(env));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
            printf("llmux %s\n", LMX_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--detailed_debug") == 0 || strcmp(a, "--debug") == 0) {
            lmx_log_set_level(LMX_LOG_DEBUG);
        } else if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
            if (v == NULL)
                goto bad_usage;
            app.config_path = v;
            i++;
        } else if (strcmp(a, "--port") == 0) {
            if (v == NULL || parse_int(v, 0, 65535, &app.port) < 0)
                goto bad_usage;
            i++;
        } else if (strcmp(a, "--host") == 0) {
            if (v == NULL)
                goto bad_usage;
            app.host = v;
            i++;
        } else if (strcmp(a, "--num_workers") == 0) {
            if (v == NULL || parse_int(v, 1, MAX_WORKERS, &app.nworkers) < 0)
                goto bad_usage;
            i++;
        } else {
            fprintf(stderr, "llmux: unknown argument '%s'\n", a);
            goto bad_usage;
        }
    }

    lmx_alloc_install();
    json_object_seed(0);
    http_parser_set_max_header_size(1u << 20); /* our own limit (431) applies first */
    signal(SIGPIPE, SIG_IGN);

    lmx_diag_init(&d);
    if (app.config_path != NULL)
        err = lmx_config_load(app.config_path, &app.cfg, &d);
    else
        err = lmx_config_load_string("<embedded default>", embedded_config,
                                     sizeof(embedded_config) - 1, &app.cfg, &d);
    print_diag(&d, LMX_LOG_ERROR);
    lmx_diag_release(&d);
    if (err < 0) {
        lmx_error("cannot start: the config has errors (run 'llmux check --config %s')",
                  app.config_path ? app.config_path : "FILE");
        return 1;
    }
    if (lmx_route_bind(app.cfg) < 0) {
        lmx_error("cannot start: out of memory");
        lmx_config_unref(app.cfg);
        return 1;
    }
    lmx_shared_start(app.cfg->router); /* logs its own failure; then no fleet sharing */
    lmx_prices_configure(app.cfg);       /* the built-in table, extended by a configured file */
    open_store(app.config_path);
    if (app.cfg->master_key == NULL)
        lmx_warn("no master_key configured: every caller is admin and no key is checked");
    app.grace = app.cfg->shutdown_grace;
    uv_mutex_init(&app.cfg_lock);

    port_fd = lmx_http_listen(app.host, app.port, 1024, &bound);
    if (port_fd < 0)
        goto out;
    app.workers = lmx_calloc((size_t)app.nworkers, sizeof(*app.workers));
    if (app.workers == NULL)
        goto out;
    for (int i = 0; i < app.nworkers; i++) {
        int fd = i == 0 ? port_fd : lmx_http_listen(app.host, bound, 1024, NULL);

        if (fd < 0 || worker_init(&app.workers[i], &app, i, fd) < 0) {
            lmx_error("cannot start worker %d", i);
            goto out;
        }
    }
    for (int i = 0; i < app.nworkers; i++)
        uv_thread_create(&app.workers[i].thread, worker_main, &app.workers[i]);

    uv_signal_init(uv_default_loop(), &app.sig_hup);
    uv_signal_init(uv_default_loop(), &app.sig_term);
    uv_signal_init(uv_default_loop(), &app.sig_int);
    app.sig_hup.data = app.sig_term.data = app.sig_int.data = &app;
    uv_signal_start(&app.sig_hup, on_sighup, SIGHUP);
    uv_signal_start(&app.sig_term, on_sigterm, SIGTERM);
    uv_signal_start(&app.sig_int, on_sigterm, SIGINT);
    uv_timer_init(uv_default_loop(), &app.exit_poll);
    app.exit_poll.data = &app;

    lmx_info("llmux %s listening on http://%s:%d (%d worker%s, %zu deployment(s), started in "
             "%.1f ms)",
             LMX_VERSION, app.host, bound, app.nworkers, app.nworkers == 1 ? "" : "s",
             app.cfg->ndeps, (double)(lmx_now_ns() - app.t_start) / 1e6);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    for (int i = 0; i < app.nworkers; i++)
        uv_thread_join(&app.workers[i].thread);
    lmx_info("stopped");
    rc = 0;
out:
    if (rc != 0)
        lmx_error("cannot start llmux");
    lmx_shared_stop(); /* before the states it updates are freed */
    lmx_respstore_close(); /* writes what is queued */
    lmx_prices_reset();
    lmx_config_unref(app.cfg);
    lmx_dstate_registry_free();
    lmx_free(app.workers);
    uv_loop_close(uv_default_loop());
    curl_global_cleanup();
    return rc;
bad_usage:
    usage(stderr);
    return 2;
}
