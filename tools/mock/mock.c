/*
 * tools/mock/mock.c - llmux-mock: a fake OpenAI-format provider for tests and
 * benchmarks, built on llmux's own HTTP server (src/http).
 *
 *   llmux-mock [--host 127.0.0.1] [--port 0] [--workers 1] [--latency-ms 0] [--api-key KEY]
 *              [--seed N]
 *
 * When ready it prints one line on stdout: "listening on HOST:PORT". SIGTERM
 * and SIGINT stop it (exit status 0). Each worker is a thread with its own
 * uv loop and its own SO_REUSEPORT socket on the same port.
 *
 * Routes (also without the /v1 prefix, and in the Azure form
 * /openai/deployments/{deployment}/<route>?api-version=..., plus /openai/v1/<route>):
 *   POST /v1/chat/completions  chat.completion, or SSE chat.completion.chunk events with
 *                              stream:true ("data: {...}\n\n" ... "data: [DONE]\n\n"); with
 *                              stream_options.include_usage a last chunk with "choices":[]
 *                              and usage
 *   POST /v1/completions       text_completion (stream too)
 *   POST /v1/embeddings        one embedding per input (string, strings, tokens, token arrays),
 *                              8 deterministic floats each (a hash of the input)
 *   GET  /v1/models            a short list;  GET /v1/models/{id}: that model object
 *   GET  /mock/stats           {"requests","by_path":{path:n},"open_conns","accepted_conns",
 *                               "client_aborts","inflight"}
 *   GET  /mock/last            the last model request: {"method","path","query",
 *                               "headers":{lowercase name: value},"body": JSON or string}
 *   POST /mock/reset           zeroes the counters, forgets the last request, empties the
 *                              request log ({"reset":true})
 *   GET  /mock/log             the last 4096 model requests in arrival order, with the status
 *                              the mock answered and the fault it applied (control.c)
 *   POST|GET|DELETE /mock/fail run-time rules: make one model name answer differently (control.c)
 *
 * Content: the completion text is the first chunks*chunk_bytes bytes of
 * "mock mock mock ..." (default 10*8 = 80 bytes = 16 words), for non-stream
 * answers too; stream chunk i carries bytes [i*chunk_bytes, (i+1)*chunk_bytes)
 * of it, chunk 0 also has "role":"assistant", then a chunk with
 * finish_reason "stop". prompt_tokens = whitespace-separated words of all
 * message contents / prompts / inputs (token arrays: their length), min 1;
 * completion_tokens = words of the text. "model" echoes the request (Azure
 * without a model: the deployment). Ids: chatcmpl-mock-<n> (chat),
 * cmpl-mock-<n> (completions), n counting from 1 since start or /mock/reset.
 *
 * Controls, by header (wins) or by model name (Azure: deployment name too):
 *   x-mock-latency-ms: N      delay before the headers (default --latency-ms)  | mock-latency-N
 *   x-mock-status: CODE       that status, OpenAI-style error body (2xx/3xx: normal body)
 *                                                                              | mock-status-CODE
 *   x-mock-retry-after: S     with x-mock-status: "retry-after: S"
 *   x-mock-chunks: N          stream content chunks (default 10)
 *   x-mock-chunk-bytes: N     text bytes per chunk (default 8)
 *   x-mock-interval-ms: N     delay between chunks (default 0: the whole stream at once,
 *                             respecting backpressure)
 *   x-mock-fault: slow-headers:MS                       | mock-fault-slow-headers-MS
 *                 disconnect:K  (K content chunks, then the connection closes before the end
 *                               of the body; non-stream: half the body)  | mock-fault-disconnect-K
 *                 malformed     (non-stream: half a JSON object; stream: the chunks, then a
 *                               broken data line, then [DONE])          | mock-fault-malformed
 *                 hang          (never answers)                          | mock-fault-hang
 *                 reset         (RST before answering)                   | mock-fault-reset
 *   (model name only)          mock-context-window: 400, code "context_length_exceeded" and
 *                              OpenAI's "This model's maximum context length is 4096 tokens..."
 *                              message; mock-context-window-N: the same only when the prompt has
 *                              more than N words (else a normal answer)
 *   (model name only)          mock-content-filter: 400, code "content_filter" (Azure's message)
 *   (model name only)          mock-chaos-N: with probability N% a random fault: 500, 429 with
 *                              retry-after 1, reset, slow-headers 300 ms, disconnect (a stream:
 *                              its headers then the connection closes before any event; a
 *                              non-stream answer: cut in half); else a normal answer
 *   x-mock-chaos-faults: LIST  with mock-chaos-N: draw only among these, comma-separated
 *                              (500, 429, reset, slow, disconnect)
 *   x-mock-seed: N             with mock-chaos-N: this request's draw depends on N only
 *                              (--seed N: the worker's sequence of draws repeats run to run)
 *   Tags: in a model name, "@tag" at the end is ignored for behaviour but kept in the log, so
 *   "mock-status-500@a" and "mock-status-500@b" are two upstreams that both fail, told apart in
 *   /mock/log (and "ok@c" answers normally). Headers win over /mock/fail rules, rules over the
 *   model name; the chaos draw and the context/content errors apply only when no x-mock-status
 *   or x-mock-fault header was given.
 *
 * Additions to the interface in notes/mock-spec.md:
 *   - "api-key: KEY" (Azure) is accepted as well as "Authorization: Bearer KEY".
 *   - Model-name forms match anywhere in the name ("openai/mock-status-429" works), and
 *     mock-fault-slow-headers-MS exists too. Routes also answer under /openai/v1/.
 *   - x-mock-status below 400 answers the normal body with that status.
 *   - Non-stream answers are sized by x-mock-chunks * x-mock-chunk-bytes as well.
 *   - x-mock-error-message / x-mock-error-type / x-mock-error-code override the error body of
 *     x-mock-status; x-mock-fault: none cancels a model-name fault.
 *   - A bad x-mock-* value answers 400; a wrong method 405; an unknown path 404 (code
 *     "unknown_url"); a body that is not a JSON object 400.
 *   - Embeddings honour "dimensions" and "encoding_format":"base64" (float32 LE).
 *   - "disconnect" without K means K = 1. A disconnected stream is sent with a
 *     Content-Length (the full length it would have had) instead of chunked encoding, so the
 *     client sees the body end early; a disconnected stream sends exactly K chunks.
 *   - /mock/reset also accepts GET; it resets the id counter too.
 *   - Errors from auth, routing and parsing are immediate (no latency applied).
 *   - accepted_conns counts connections from their first model request (the http layer does
 *     not report accepts); open_conns does not count the connection asking for /mock/stats.
 *     Requests to /mock/... are not counted in requests or by_path.
 */
#include "core/lmx.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <http_parser.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "mock.h"

#define MAX_WORKERS  256
#define EXIT_GRACE_S 3

struct mock_worker *mock_workers;
int mock_nworkers;

static void usage(FILE *f)
{
    fprintf(f, "usage: llmux-mock [--host 127.0.0.1] [--port 0] [--workers 1] [--latency-ms 0]\n"
               "                  [--api-key KEY] [--seed N]\n"
               "A fake OpenAI-format provider; see tools/mock/mock.c for routes and controls.\n");
}

static int parse_int(const char *s, long lo, long hi, int *out)
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

/* ------------------------------------------------------------------------ */
/* Workers */

static void on_publish(uv_prepare_t *p)
{
    struct mock_worker *w = p->data;

    atomic_store_explicit(&w->nconns, lmx_http_server_conns(w->srv), memory_order_relaxed);
}

static void on_server_down(void *arg)
{
    struct mock_worker *w = arg;

    w->srv = NULL;
    uv_close((uv_handle_t *)&w->publish, NULL);
    uv_close((uv_handle_t *)&w->stop, NULL);
}

static void on_stop(uv_async_t *a)
{
    struct mock_worker *w = a->data;

    if (w->stopping)
        return;
    w->stopping = true;
    uv_prepare_stop(&w->publish);
    lmx_http_server_shutdown(w->srv, on_server_down, w);
    lmx_http_server_abort_all(w->srv);
}

static void worker_main(void *arg)
{
    struct mock_worker *w = arg;

    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&w->loop) != 0)
        lmx_warn("worker %d: handles still open at exit", w->index);
}

static int worker_init(struct mock_worker *w, const struct mock_opts *o, int index, int fd)
{
    struct lmx_http_limits limits = {
        .max_header_bytes = 256u << 10,
        .max_body_bytes = 64u << 20,
        .header_timeout = 60,
        .idle_timeout = 300, /* keep llmux's pooled upstream connections */
        .out_high_water = 256u << 10,
    };
    int err;

    w->index = index;
    w->opts = o;
    if (o->seeded)
        w->rng = o->seed + 0x9e3779b97f4a7c15ull * (uint64_t)(index + 1);
    else if (lmx_random(&w->rng, sizeof(w->rng)) < 0)
        w->rng = lmx_now_ns() + (uint64_t)index;
    if (w->rng == 0)
        w->rng = 1;
    lmx_buf_init(&w->scratch, SIZE_MAX / 2);
    mock_worker_stats_init(w);
    if (uv_loop_init(&w->loop) != 0) {
        close(fd);
        return LMX_EINTERNAL;
    }
    err = lmx_http_server_new(&w->srv, &w->loop, fd, &limits, mock_handle, w);
    if (err < 0)
        return err;
    uv_async_init(&w->loop, &w->stop, on_stop);
    w->stop.data = w;
    uv_prepare_init(&w->loop, &w->publish);
    w->publish.data = w;
    uv_prepare_start(&w->publish, on_publish);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Signals */

static void on_signal(uv_signal_t *s, int sig)
{
    LMX_UNUSED(sig);
    uv_stop(s->loop);
}

static void watchdog(void *arg)
{
    LMX_UNUSED(arg);
    sleep(EXIT_GRACE_S);
    _exit(0); /* a worker did not stop in time: exiting is what was asked */
}

int main(int argc, char **argv)
{
    struct mock_opts o = {.host = "127.0.0.1", .port = 0, .nworkers = 1, .latency_ms = 0};
    uv_signal_t sig_term, sig_int;
    uv_thread_t dog;
    int fd, bound = 0, started = 0, rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL, *eq = strchr(a, '=');
        char name[32];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            goto bad_usage;
        if (eq != NULL) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
            v = eq + 1;
        } else {
            snprintf(name, sizeof(name), "%s", a);
            if (i + 1 < argc)
                v = argv[++i];
        }
        if (v == NULL)
            goto bad_usage;
        if (strcmp(name, "--host") == 0) {
            o.host = v;
        } else if (strcmp(name, "--port") == 0) {
            if (parse_int(v, 0, 65535, &o.port) < 0)
                goto bad_usage;
        } else if (strcmp(name, "--workers") == 0) {
            if (parse_int(v, 1, MAX_WORKERS, &o.nworkers) < 0)
                goto bad_usage;
        } else if (strcmp(name, "--latency-ms") == 0) {
            if (parse_int(v, 0, 86400000, &o.latency_ms) < 0)
                goto bad_usage;
        } else if (strcmp(name, "--api-key") == 0) {
            o.api_key = v;
        } else if (strcmp(name, "--seed") == 0) {
            char *end;

            errno = 0;
            o.seed = strtoull(v, &end, 10);
            if (errno != 0 || *end != '\0' || end == v)
                goto bad_usage;
            o.seeded = true;
        } else {
            fprintf(stderr, "llmux-mock: unknown option '%s'\n", name);
            goto bad_usage;
        }
    }

    lmx_alloc_install();
    json_object_seed(0);
    http_parser_set_max_header_size(1u << 20);
    signal(SIGPIPE, SIG_IGN);
    if (mock_stats_init() < 0 || mock_control_init() < 0)
        return 1;

    fd = lmx_http_listen(o.host, o.port, 4096, &bound);
    if (fd < 0)
        goto out;
    mock_workers = lmx_calloc((size_t)o.nworkers, sizeof(*mock_workers));
    if (mock_workers == NULL) {
        close(fd);
        goto out;
    }
    for (int i = 0; i < o.nworkers; i++) {
        if (i > 0)
            fd = lmx_http_listen(o.host, bound, 4096, NULL);
        if (fd < 0 || worker_init(&mock_workers[i], &o, i, fd) < 0) {
            lmx_error("cannot start worker %d", i);
            goto out;
        }
        mock_nworkers = i + 1;
    }

    uv_signal_init(uv_default_loop(), &sig_term);
    uv_signal_init(uv_default_loop(), &sig_int);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);

    for (; started < o.nworkers; started++) {
        if (uv_thread_create(&mock_workers[started].thread, worker_main, &mock_workers[started]) !=
            0) {
            lmx_error("cannot start worker thread %d", started);
            goto out;
        }
    }
    printf("listening on %s:%d\n", o.host, bound);
    fflush(stdout);

    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    rc = 0;
out:
    if (started > 0 && uv_thread_create(&dog, watchdog, NULL) != 0)
        _exit(rc);
    for (int i = 0; i < started; i++)
        uv_async_send(&mock_workers[i].stop);
    for (int i = 0; i < started; i++)
        uv_thread_join(&mock_workers[i].thread);
    if (rc != 0)
        lmx_error("cannot start llmux-mock");
    /* workers that never ran still own their loops and servers: exit without tidying them */
    if (started < mock_nworkers)
        _exit(rc);
    for (int i = 0; i < mock_nworkers; i++) {
        lmx_buf_release(&mock_workers[i].scratch);
        mock_worker_stats_release(&mock_workers[i]);
    }
    lmx_free(mock_workers);
    mock_stats_free();
    mock_control_free();
    return rc;
bad_usage:
    usage(stderr);
    return 2;
}
