/*
 * bench/load.c - llmux-load: the HTTP/1.1 load generator of the llmux benchmarks.
 *
 * Parses the command line, builds the one request every connection sends, runs
 * one worker per thread (client.c), merges their stats and prints them (human
 * lines, or one JSON object on stdout with --json). Exits 1 when any request
 * failed, 2 on bad usage or setup failure, so scripts notice.
 *
 * Also hosts the --wait-ready and --cold-start helpers (ready.c).
 */
#include "core/lmx.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/alloc.h"
#include "load.h"

#define LMX_MAX_HEADERS 32
#define LMX_MAX_THREADS 64

struct lmx_load_opts {
    const char *host;
    int port;
    const char *path;
    const char *model;
    const char *key;
    const char *body;
    const char *headers[LMX_MAX_HEADERS];
    int nheaders;
    const char *mock_prefix;
    bool stream;
    enum lmx_load_mode mode;
    int connections;
    int max_connections;
    double rate;
    int streams;
    int stream_chunks;
    double duration_s;
    double warmup_s;
    double timeout_s;
    int threads;
    bool json;
    const char *wait_ready;
    bool cold_start;
    const char *ready_path;
    int runs;
};

struct lmx_thread_arg {
    struct lmx_load_job job;
    struct lmx_load_stats *st;
    int rc;
};

static void usage(FILE *f)
{
    fputs("usage: llmux-load [options]\n"
          "target:\n"
          "  --url http://HOST:PORT/PATH   or --host H (127.0.0.1) --port P --path P\n"
          "                                (/v1/chat/completions)\n"
          "  --model M (bench)  --key KEY (Authorization: Bearer KEY)  -H 'Name: value' ...\n"
          "  --body JSON        replace the default chat request body\n"
          "  --stream           ask for stream:true (implied by --streams)\n"
          "modes:\n"
          "  --connections C    closed loop, C connections with one request each (default 64)\n"
          "  --rate R           open loop, R requests/s from a 1 ms timer; latency from the\n"
          "                     scheduled time; --max-connections M caps the pool (2048)\n"
          "  --streams N        N concurrent streaming requests; --stream-chunks K sends\n"
          "                     'x-mock-chunks: K' (name prefixed by --mock-header-prefix P)\n"
          "  --duration S (10)  --warmup S (0)  --timeout S (30; per request, and the cap of\n"
          "                     a stream run)  --threads N (1)  --json\n"
          "helpers:\n"
          "  --wait-ready URL   poll URL every 1 ms until 200 (--timeout caps it)\n"
          "  --cold-start [--ready-path /health/readiness] [--runs 5] -- CMD ARGS...\n"
          "                     spawn CMD, read its 'listening on' line, time fork to first 200\n",
          f);
}

static int parse_url(struct lmx_load_opts *o, const char *url)
{
    static char host[64];
    const char *p = url, *colon, *slash;
    char *end;
    long port;

    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    slash = strchr(p, '/');
    if (slash == NULL)
        slash = p + strlen(p);
    colon = memchr(p, ':', (size_t)(slash - p));
    if (colon == NULL || (size_t)(colon - p) >= sizeof(host))
        return -1;
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (end != slash || port <= 0 || port > 65535)
        return -1;
    o->host = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    o->port = (int)port;
    if (*slash)
        o->path = slash;
    return 0;
}

/* The default body: a small chat request. Returns a malloc'ed string or NULL. */
static char *default_body(const struct lmx_load_opts *o)
{
    json_t *body;
    char *s;

    body = json_pack("{s:s,s:[{s:s,s:s}]}", "model", o->model, "messages", "role", "user",
                     "content", "Say hello to the llmux benchmark.");
    if (body == NULL)
        return NULL;
    if (o->stream && json_object_set_new(body, "stream", json_true()) < 0) {
        json_decref(body);
        return NULL;
    }
    s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return s;
}

/* Builds the request bytes into *out (lmx_malloc'ed). Returns 0 or -1. */
static int build_request(const struct lmx_load_opts *o, char **out, size_t *out_len)
{
    char *body = NULL, *buf = NULL;
    size_t len = 0, blen;
    FILE *f = NULL;
    int i, rc = -1;

    body = o->body ? strdup(o->body) : default_body(o);
    if (body == NULL)
        goto out;
    blen = strlen(body);
    f = open_memstream(&buf, &len);
    if (f == NULL)
        goto out;
    fprintf(f, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: llmux-load\r\n", o->path, o->host,
            o->port);
    fprintf(f, "Content-Type: application/json\r\n");
    if (o->key)
        fprintf(f, "Authorization: Bearer %s\r\n", o->key);
    if (o->stream_chunks > 0)
        fprintf(f, "%sx-mock-chunks: %d\r\n", o->mock_prefix, o->stream_chunks);
    for (i = 0; i < o->nheaders; i++)
        fprintf(f, "%s\r\n", o->headers[i]);
    fprintf(f, "Content-Length: %zu\r\n\r\n", blen);
    fwrite(body, 1, blen, f);
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    *out = lmx_malloc(len);
    if (*out == NULL)
        goto out;
    memcpy(*out, buf, len);
    *out_len = len;
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    free(body);
    return rc;
}

static void thread_main(void *arg)
{
    struct lmx_thread_arg *t = arg;

    t->rc = lmx_load_run(&t->job, t->st);
}

/* Share n among `threads` workers: worker i gets its part (at least 1 when n > 0). */
static int share(int n, int threads, int i)
{
    int part = n / threads + (i < n % threads ? 1 : 0);

    return part > 0 ? part : (n > 0 ? 1 : 0);
}

static void merge(struct lmx_load_stats *dst, const struct lmx_load_stats *src, bool first)
{
    if (first) {
        memcpy(dst, src, offsetof(struct lmx_load_stats, lat));
        lmx_hist_init(&dst->lat);
        lmx_hist_init(&dst->svc);
        lmx_hist_init(&dst->ttfb);
        dst->events_min = src->ok ? src->events_min : UINT64_MAX;
    } else {
        dst->requests += src->requests;
        dst->ok += src->ok;
        dst->err_status += src->err_status;
        dst->err_socket += src->err_socket;
        dst->err_timeout += src->err_timeout;
        dst->err_parse += src->err_parse;
        dst->err_stream += src->err_stream;
        dst->conns_opened += src->conns_opened;
        dst->events_sum += src->events_sum;
        if (src->ok && src->events_min < dst->events_min)
            dst->events_min = src->events_min;
        dst->t_first = LMX_MIN(dst->t_first, src->t_first);
        dst->t_last = LMX_MAX(dst->t_last, src->t_last);
    }
    lmx_hist_merge(&dst->lat, &src->lat);
    lmx_hist_merge(&dst->svc, &src->svc);
    lmx_hist_merge(&dst->ttfb, &src->ttfb);
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static const char *mode_name(enum lmx_load_mode m)
{
    return m == LMX_LOAD_OPEN ? "open" : m == LMX_LOAD_STREAM ? "stream" : "closed";
}

static void report(const struct lmx_load_opts *o, const struct lmx_load_stats *s)
{
    uint64_t errors = s->err_status + s->err_socket + s->err_timeout + s->err_parse + s->err_stream;
    double elapsed = (double)(s->t_last - s->t_first) / 1e9;
    double rps = elapsed > 0 ? (double)s->ok / elapsed : 0.0;
    const struct lmx_hist *h = &s->lat;
    uint64_t ev_min = s->events_min == UINT64_MAX ? 0 : s->events_min;
    double ev_mean = s->ok ? (double)s->events_sum / (double)s->ok : 0.0;
    FILE *f = o->json ? stderr : stdout;

    if (o->json) {
        printf("{\"mode\":\"%s\",\"threads\":%d,\"connections\":%d,\"rate\":%.0f,"
               "\"streams\":%d,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"elapsed_s\":%.3f,"
               "\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,\"errors_status\":%llu,"
               "\"errors_socket\":%llu,\"errors_timeout\":%llu,\"errors_parse\":%llu,"
               "\"errors_stream\":%llu,\"conns_opened\":%llu,\"rps\":%.1f,"
               "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
               "\"max_us\":%.1f,\"mean_us\":%.1f",
               mode_name(o->mode), o->threads, o->mode == LMX_LOAD_CLOSED ? o->connections : 0,
               o->rate, o->mode == LMX_LOAD_STREAM ? o->streams : 0, o->duration_s, o->warmup_s,
               elapsed, (unsigned long long)s->requests, (unsigned long long)s->ok,
               (unsigned long long)errors, (unsigned long long)s->err_status,
               (unsigned long long)s->err_socket, (unsigned long long)s->err_timeout,
               (unsigned long long)s->err_parse, (unsigned long long)s->err_stream,
               (unsigned long long)s->conns_opened, rps, us(lmx_hist_percentile(h, 50)),
               us(lmx_hist_percentile(h, 90)), us(lmx_hist_percentile(h, 99)),
               us(lmx_hist_percentile(h, 99.9)), us(h->count ? h->max : 0),
               lmx_hist_mean(h) / 1000.0);
        if (o->mode == LMX_LOAD_OPEN)
            printf(",\"send_p50_us\":%.1f,\"send_p99_us\":%.1f",
                   us(lmx_hist_percentile(&s->svc, 50)), us(lmx_hist_percentile(&s->svc, 99)));
        if (o->mode == LMX_LOAD_STREAM)
            printf(",\"ttfb_p50_us\":%.1f,\"ttfb_p99_us\":%.1f,\"ttfb_max_us\":%.1f,"
                   "\"total_p50_us\":%.1f,\"total_p99_us\":%.1f,\"events_min\":%llu,"
                   "\"events_mean\":%.1f",
                   us(lmx_hist_percentile(&s->ttfb, 50)), us(lmx_hist_percentile(&s->ttfb, 99)),
                   us(s->ttfb.count ? s->ttfb.max : 0), us(lmx_hist_percentile(h, 50)),
                   us(lmx_hist_percentile(h, 99)), (unsigned long long)ev_min, ev_mean);
        printf("}\n");
        fflush(stdout);
    }

    fprintf(f, "%s loop: http://%s:%d%s", mode_name(o->mode), o->host, o->port, o->path);
    if (o->mode == LMX_LOAD_CLOSED)
        fprintf(f, ", %d connections, %.1f s", o->connections, o->duration_s);
    else if (o->mode == LMX_LOAD_OPEN)
        fprintf(f, ", %.0f req/s, %.1f s, up to %d connections", o->rate, o->duration_s,
                o->max_connections);
    else
        fprintf(f, ", %d streams", o->streams);
    fprintf(f, ", %d thread(s)\n", o->threads);
    fprintf(f,
            "  requests %llu  ok %llu  errors %llu (status %llu, socket %llu, timeout %llu, "
            "parse %llu, stream %llu)  connections opened %llu\n",
            (unsigned long long)s->requests, (unsigned long long)s->ok, (unsigned long long)errors,
            (unsigned long long)s->err_status, (unsigned long long)s->err_socket,
            (unsigned long long)s->err_timeout, (unsigned long long)s->err_parse,
            (unsigned long long)s->err_stream, (unsigned long long)s->conns_opened);
    fprintf(f, "  %.1f req/s over %.3f s\n", rps, elapsed);
    fprintf(f, "  %s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
            o->mode == LMX_LOAD_OPEN     ? "latency (from schedule)"
            : o->mode == LMX_LOAD_STREAM ? "total"
                                         : "latency",
            us(lmx_hist_percentile(h, 50)) / 1000, us(lmx_hist_percentile(h, 90)) / 1000,
            us(lmx_hist_percentile(h, 99)) / 1000, us(lmx_hist_percentile(h, 99.9)) / 1000,
            us(h->count ? h->max : 0) / 1000);
    if (o->mode == LMX_LOAD_OPEN)
        fprintf(f, "  latency (from send)  p50 %.3f ms  p99 %.3f ms\n",
                us(lmx_hist_percentile(&s->svc, 50)) / 1000,
                us(lmx_hist_percentile(&s->svc, 99)) / 1000);
    if (o->mode == LMX_LOAD_STREAM) {
        fprintf(f, "  first chunk  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                us(lmx_hist_percentile(&s->ttfb, 50)) / 1000,
                us(lmx_hist_percentile(&s->ttfb, 99)) / 1000,
                us(s->ttfb.count ? s->ttfb.max : 0) / 1000);
        fprintf(f, "  data events per stream: min %llu, mean %.1f\n", (unsigned long long)ev_min,
                ev_mean);
        if (o->stream_chunks > 0 && ev_min < (uint64_t)o->stream_chunks)
            fprintf(f, "  warning: fewer data events (%llu) than --stream-chunks %d\n",
                    (unsigned long long)ev_min, o->stream_chunks);
    }
    fflush(f);
}

static int run_load(struct lmx_load_opts *o)
{
    struct lmx_thread_arg *args = NULL;
    struct lmx_load_stats *stats = NULL, *total = NULL;
    uv_thread_t tids[LMX_MAX_THREADS];
    struct lmx_load_job base;
    char *req = NULL;
    size_t req_len = 0;
    int i, rc = 2;
    uint64_t errors;

    memset(&base, 0, sizeof(base));
    if (build_request(o, &req, &req_len) < 0) {
        fprintf(stderr, "llmux-load: cannot build the request\n");
        goto out;
    }
    base.mode = o->mode;
    base.addr.sin_family = AF_INET;
    base.addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host, &base.addr.sin_addr) != 1) {
        fprintf(stderr, "llmux-load: host '%s' is not an IPv4 address\n", o->host);
        goto out;
    }
    base.req = req;
    base.req_len = req_len;
    base.duration_s = o->duration_s;
    base.warmup_s = o->warmup_s;
    base.timeout_s = o->timeout_s;

    args = lmx_calloc((size_t)o->threads, sizeof(*args));
    stats = lmx_calloc((size_t)o->threads, sizeof(*stats));
    total = lmx_calloc(1, sizeof(*total));
    if (args == NULL || stats == NULL || total == NULL) {
        fprintf(stderr, "llmux-load: out of memory\n");
        goto out;
    }
    for (i = 0; i < o->threads; i++) {
        args[i].job = base;
        args[i].st = &stats[i];
        args[i].job.connections =
            share(o->mode == LMX_LOAD_STREAM ? o->streams : o->connections, o->threads, i);
        args[i].job.max_connections = share(o->max_connections, o->threads, i);
        args[i].job.rate = o->rate / o->threads;
    }
    if (o->threads == 1) {
        thread_main(&args[0]);
    } else {
        for (i = 0; i < o->threads; i++) {
            if (uv_thread_create(&tids[i], thread_main, &args[i]) < 0) {
                fprintf(stderr, "llmux-load: cannot start thread %d\n", i);
                o->threads = i;
                break;
            }
        }
        for (i = 0; i < o->threads; i++)
            uv_thread_join(&tids[i]);
    }
    for (i = 0; i < o->threads; i++) {
        if (args[i].rc < 0) {
            fprintf(stderr, "llmux-load: worker %d failed: %s\n", i, uv_strerror(args[i].rc));
            goto out;
        }
        merge(total, &stats[i], i == 0);
    }
    report(o, total);
    errors = total->requests - total->ok;
    rc = errors > 0 || total->ok == 0 ? 1 : 0;
out:
    lmx_free(req);
    lmx_free(args);
    lmx_free(stats);
    lmx_free(total);
    return rc;
}

static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

enum {
    OPT_URL = 256,
    OPT_HOST,
    OPT_PORT,
    OPT_PATH,
    OPT_MODEL,
    OPT_KEY,
    OPT_BODY,
    OPT_STREAM,
    OPT_CONNECTIONS,
    OPT_MAX_CONNECTIONS,
    OPT_RATE,
    OPT_STREAMS,
    OPT_STREAM_CHUNKS,
    OPT_MOCK_PREFIX,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_TIMEOUT,
    OPT_THREADS,
    OPT_JSON,
    OPT_WAIT_READY,
    OPT_COLD_START,
    OPT_READY_PATH,
    OPT_RUNS,
    OPT_HELP,
};

static const struct option lmx_long_opts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"path", required_argument, NULL, OPT_PATH},
    {"model", required_argument, NULL, OPT_MODEL},
    {"key", required_argument, NULL, OPT_KEY},
    {"body", required_argument, NULL, OPT_BODY},
    {"stream", no_argument, NULL, OPT_STREAM},
    {"header", required_argument, NULL, 'H'},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"streams", required_argument, NULL, OPT_STREAMS},
    {"stream-chunks", required_argument, NULL, OPT_STREAM_CHUNKS},
    {"mock-header-prefix", required_argument, NULL, OPT_MOCK_PREFIX},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"json", no_argument, NULL, OPT_JSON},
    {"wait-ready", required_argument, NULL, OPT_WAIT_READY},
    {"cold-start", no_argument, NULL, OPT_COLD_START},
    {"ready-path", required_argument, NULL, OPT_READY_PATH},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_num(const char *name, const char *s, double min, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "llmux-load: bad value for --%s: '%s'\n", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(struct lmx_load_opts *o, int argc, char **argv)
{
    double v = 0;
    int c, idx = 0;

    while ((c = getopt_long(argc, argv, "+H:h", lmx_long_opts, &idx)) != -1) {
        const char *name = c >= OPT_URL ? lmx_long_opts[idx].name : "header";
        int bad = 0;

        switch (c) {
        case OPT_URL:
            if (parse_url(o, optarg) < 0) {
                fprintf(stderr, "llmux-load: bad --url '%s' (want http://HOST:PORT/PATH)\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_HOST:
            o->host = strcmp(optarg, "localhost") == 0 ? "127.0.0.1" : optarg;
            break;
        case OPT_PORT:
            bad = parse_num(name, optarg, 1, 65535, &v);
            o->port = (int)v;
            break;
        case OPT_PATH:
            o->path = optarg;
            break;
        case OPT_MODEL:
            o->model = optarg;
            break;
        case OPT_KEY:
            o->key = optarg;
            break;
        case OPT_BODY:
            o->body = optarg;
            break;
        case OPT_STREAM:
            o->stream = true;
            break;
        case 'H':
            if (o->nheaders >= LMX_MAX_HEADERS || strchr(optarg, ':') == NULL ||
                strpbrk(optarg, "\r\n") != NULL) {
                fprintf(stderr, "llmux-load: bad or too many -H '%s'\n", optarg);
                return -1;
            }
            o->headers[o->nheaders++] = optarg;
            break;
        case OPT_CONNECTIONS:
            bad = parse_num(name, optarg, 1, 1000000, &v);
            o->connections = (int)v;
            break;
        case OPT_MAX_CONNECTIONS:
            bad = parse_num(name, optarg, 1, 1000000, &v);
            o->max_connections = (int)v;
            break;
        case OPT_RATE:
            bad = parse_num(name, optarg, 0.001, 1e7, &o->rate);
            o->mode = LMX_LOAD_OPEN;
            break;
        case OPT_STREAMS:
            bad = parse_num(name, optarg, 1, 1000000, &v);
            o->streams = (int)v;
            o->mode = LMX_LOAD_STREAM;
            o->stream = true;
            break;
        case OPT_STREAM_CHUNKS:
            bad = parse_num(name, optarg, 1, 1e9, &v);
            o->stream_chunks = (int)v;
            break;
        case OPT_MOCK_PREFIX:
            o->mock_prefix = optarg;
            break;
        case OPT_DURATION:
            bad = parse_num(name, optarg, 0.001, 86400, &o->duration_s);
            break;
        case OPT_WARMUP:
            bad = parse_num(name, optarg, 0, 86400, &o->warmup_s);
            break;
        case OPT_TIMEOUT:
            bad = parse_num(name, optarg, 0.001, 86400, &o->timeout_s);
            break;
        case OPT_THREADS:
            bad = parse_num(name, optarg, 1, LMX_MAX_THREADS, &v);
            o->threads = (int)v;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_WAIT_READY:
            o->wait_ready = optarg;
            break;
        case OPT_COLD_START:
            o->cold_start = true;
            break;
        case OPT_READY_PATH:
            o->ready_path = optarg;
            break;
        case OPT_RUNS:
            bad = parse_num(name, optarg, 1, 64, &v);
            o->runs = (int)v;
            break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
        if (bad)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct lmx_load_opts o = {
        .host = "127.0.0.1",
        .path = "/v1/chat/completions",
        .model = "bench",
        .mock_prefix = "",
        .mode = LMX_LOAD_CLOSED,
        .connections = 64,
        .max_connections = 2048,
        .duration_s = 10,
        .timeout_s = 30,
        .threads = 1,
        .ready_path = "/health/readiness",
        .runs = 5,
    };
    double ms;

    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    if (parse_opts(&o, argc, argv) < 0) {
        usage(stderr);
        return 2;
    }
    if (o.cold_start) {
        if (optind >= argc) {
            fprintf(stderr, "llmux-load: --cold-start needs '-- CMD ARGS...'\n");
            return 2;
        }
        return lmx_cold_start(argv + optind, o.ready_path, o.runs, o.timeout_s, o.json) < 0 ? 1 : 0;
    }
    if (optind < argc) {
        fprintf(stderr, "llmux-load: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (o.wait_ready) {
        if (lmx_ready_wait(o.wait_ready, o.timeout_s, &ms) < 0) {
            fprintf(stderr, "llmux-load: '%s' not ready after %.1f s\n", o.wait_ready, o.timeout_s);
            return 1;
        }
        if (o.json)
            printf("{\"mode\":\"wait_ready\",\"ms\":%.2f}\n", ms);
        else
            printf("ready after %.2f ms\n", ms);
        return 0;
    }
    if (o.port == 0) {
        fprintf(stderr, "llmux-load: --port or --url is required\n");
        usage(stderr);
        return 2;
    }
    if (o.threads > o.connections && o.mode == LMX_LOAD_CLOSED)
        o.threads = o.connections;
    if (o.threads > o.streams && o.mode == LMX_LOAD_STREAM)
        o.threads = o.streams;
    if (o.max_connections < o.threads)
        o.max_connections = o.threads;
    return run_load(&o);
}
