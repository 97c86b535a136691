/*
 * bench/load.h - shared types of llmux-load, the benchmark load generator.
 *
 * load.c parses options, runs the workers and prints results; client.c is the
 * libuv HTTP/1.1 client engine (one worker = one loop); ready.c holds the
 * blocking readiness and cold-start helpers. Not part of lmx_core.
 */
#ifndef LMX_BENCH_LOAD_H
#define LMX_BENCH_LOAD_H

#include "core/lmx.h"

#include <http_parser.h>
#include <netinet/in.h>
#include <uv.h>

#include "hist.h"

enum lmx_load_mode { LMX_LOAD_CLOSED, LMX_LOAD_OPEN, LMX_LOAD_STREAM };

/* What one worker is asked to do; load.c splits the global options between workers. */
struct lmx_load_job {
    enum lmx_load_mode mode;
    struct sockaddr_in addr;
    const char *req; /* the prebuilt request, shared read-only by all connections */
    size_t req_len;
    int connections;     /* closed: fixed connections; stream: number of streams */
    int max_connections; /* open: pool cap */
    double rate;         /* open: requests per second */
    double duration_s;   /* closed/open: measured time after the warm-up */
    double warmup_s;     /* closed/open: time before recording starts */
    double timeout_s;    /* per request; stream mode: also caps the whole run */
};

/* Results of one worker; summed over workers by load.c. */
struct lmx_load_stats {
    uint64_t requests; /* recorded outcomes: ok + errors (warm-up successes excluded) */
    uint64_t ok;
    uint64_t err_status;  /* a non-2xx answer */
    uint64_t err_socket;  /* connect, read or write failure, early close */
    uint64_t err_timeout; /* no complete answer within --timeout, or never sent */
    uint64_t err_parse;   /* not valid HTTP/1.1 */
    uint64_t err_stream;  /* stream mode: a 2xx stream that ended without "data: [DONE]" */
    uint64_t conns_opened;
    uint64_t events_min; /* stream mode: fewest "data:" events (without [DONE]) in one stream */
    uint64_t events_sum;
    uint64_t t_first;     /* ns (uv_hrtime) when recording started */
    uint64_t t_last;      /* ns of the last recorded completion */
    struct lmx_hist lat;  /* closed: from send; open: from the scheduled time; stream: total */
    struct lmx_hist svc;  /* open: from the actual send (no queueing) */
    struct lmx_hist ttfb; /* stream: send to the first "data:" */
};

/*
 * Runs one worker to completion on its own loop (call from the thread that owns
 * the worker). Fills *st (initialised here). Returns 0, or a negative libuv error
 * when the loop or the connection array cannot be set up.
 */
int lmx_load_run(const struct lmx_load_job *job, struct lmx_load_stats *st);

/*
 * Polls url ("http://host:port/path") with GET every millisecond until it answers
 * 200 or timeout_s passes. Returns 0 and sets *ms to the time waited, or -1.
 */
int lmx_ready_wait(const char *url, double timeout_s, double *ms);

/*
 * Cold start: spawns argv (stdout and stderr read through a pipe), waits for a
 * "listening on [http://]HOST:PORT" line, then polls GET ready_path every
 * millisecond until a 200; stops the child with SIGTERM. Repeats `runs` times
 * and prints the median, min and max (JSON when json). Returns 0, or -1 when a
 * run failed (with a message on stderr).
 */
int lmx_cold_start(char **argv, const char *ready_path, int runs, double timeout_s, bool json);

#endif
