/*
 * tools/mock/mock.h - what the files of llmux-mock share (see mock.c for the
 * routes and controls). Not a library: only the .c files of tools/mock include this.
 *
 *   mock.c     command line, workers (one uv loop + SO_REUSEPORT socket each), signals
 *   handler.c  the request callback: routing, auth, controls, faults, streaming
 *   body.c     request reading (model, flags, word counts) and response bodies
 *   stats.c    counters shared by every worker, /mock/stats, /mock/last, /mock/reset
 *   control.c  the request log (/mock/log) and run-time failure rules (/mock/fail)
 *   util.c     what the native wire families share: JSON replies, mock-status-<code>, word counts
 */
#ifndef LMX_MOCK_H
#define LMX_MOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "core/buf.h"
#include "core/lmx.h"
#include "http/http.h"

#define MOCK_DEFAULT_CHUNKS      10
#define MOCK_DEFAULT_CHUNK_BYTES 8
#define MOCK_MAX_CHUNKS          1000000
#define MOCK_MAX_CHUNK_BYTES     (1 << 20)
#define MOCK_EMBED_DIMS          8
#define MOCK_MAX_EMBED_DIMS      65536

struct mock_opts {
    const char *host;
    int port;
    int nworkers;
    int latency_ms;
    const char *api_key; /* NULL: no check */
    bool seeded;         /* --seed given: chaos draws repeat from run to run */
    uint64_t seed;
};

/* ------------------------------------------------------------------------ */
/* stats.c */

/* The last model request one worker saw; guarded by its mutex. */
struct mock_last {
    uv_mutex_t lock;
    uint64_t seq;        /* 0: nothing recorded (or forgotten by /mock/reset) */
    struct lmx_buf data; /* method\0path\0query\0(name\0value\0)* then the body */
    size_t nhdrs;
    size_t body_off;
};

/* Connections this worker has seen a model request on: conn pointer -> peer hash. */
struct mock_seen {
    uintptr_t *keys;
    uint64_t *peers;
    size_t cap, len;
};

struct mock_worker {
    int index;
    const struct mock_opts *opts;
    uv_loop_t loop;
    uv_thread_t thread;
    struct lmx_http_server *srv;
    uv_async_t stop;
    uv_prepare_t publish;    /* copies the open connection count once per loop turn */
    _Atomic uint64_t nconns; /* as published, read by /mock/stats on any worker */
    struct lmx_buf scratch;  /* immediate response bodies and stream batches */
    struct mock_seen seen;
    struct mock_last last;
    uint64_t rng; /* chaos draws (xorshift64*), never 0 */
    bool stopping;
};

/* Global counters, reset by /mock/reset (except the gauges inflight and open conns). */
struct mock_stats {
    _Atomic uint64_t requests;
    _Atomic uint64_t accepted_conns;
    _Atomic uint64_t client_aborts;
    _Atomic int64_t inflight;
    _Atomic uint64_t next_id;
};

extern struct mock_stats mock_stats;
extern struct mock_worker *mock_workers;
extern int mock_nworkers;

/* Process-wide setup of the path table; returns 0 or LMX_ENOMEM. */
int mock_stats_init(void);
void mock_stats_free(void);
/* Per-worker parts. */
void mock_worker_stats_init(struct mock_worker *w);
void mock_worker_stats_release(struct mock_worker *w);

/* Counts one model request: requests, by_path, the connection, and records it as "last". */
void mock_stats_count(struct mock_worker *w, struct lmx_http_req *req);
/* The /mock/... routes; returns false when the path is not one of them. */
bool mock_stats_route(struct mock_worker *w, struct lmx_http_req *req);

static inline void mock_inc(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* control.c */

#define MOCK_LOG_CAP   4096 /* requests kept by /mock/log */
#define MOCK_LOG_MODEL 128  /* bytes of a model name kept (longer ones are cut) */
#define MOCK_MAX_RULES 64

/* One model request for the log. Strings are copied. */
struct mock_log_in {
    const char *model; /* may be NULL (request rejected before its body was read) */
    size_t model_len;
    const char *path;
    size_t path_len;
    const char *fault; /* "" or NULL: none */
    uint64_t arrival_ns;
    bool stream, chaos, rule;
};

/* A /mock/fail rule: how requests for one model name are answered instead. */
struct mock_rule {
    char model[MOCK_LOG_MODEL];
    long status;     /* -1: none */
    long latency_ms; /* -1: none */
    long count;      /* requests left; 0: until deleted */
    char fault[32];
    char retry_after[24];
    char err_msg[256];
    char err_code[64];
};

/* Rules defined now (a cheap check before mock_rule_take). */
extern _Atomic size_t mock_nrules;

/* Process-wide setup; returns 0 or LMX_ENOMEM. */
int mock_control_init(void);
void mock_control_free(void);
/* Records a request; returns its seq (>= 1). Never fails (the ring overwrites the oldest). */
uint64_t mock_log_add(const struct mock_log_in *in);
/* Records the status the mock answered for request `seq` (the first call wins; 0 is ignored). */
void mock_log_status(uint64_t seq, int status);
/* Empties the log (seq keeps growing). */
void mock_log_clear(void);
/* Copies the rule for this exact model name into *out and counts one use; false when none. */
bool mock_rule_take(const char *model, size_t len, struct mock_rule *out);
/* The /mock/log and /mock/fail routes; returns false when the path is neither. */
bool mock_control_route(struct mock_worker *w, struct lmx_http_req *req);

/* handler.c: whether an x-mock-fault value is valid. */
bool mock_fault_valid(const char *v, size_t n);

/* ------------------------------------------------------------------------ */
/* body.c */

enum mock_api { MOCK_CHAT, MOCK_COMPLETION, MOCK_EMBEDDING };

/* What the response needs from a request body. Strings are borrowed from `root`. */
struct mock_in {
    json_t *root; /* owned: json_decref when done */
    const char *model;
    size_t model_len;
    bool stream;
    bool include_usage;
    long prompt_words; /* >= 1 */
    /* embeddings */
    size_t ninputs;
    uint64_t *input_hash; /* lmx_malloc'd, ninputs entries */
    int dims;
    bool base64;
};

/*
 * Reads a request body. Returns 0, LMX_EBADJSON (not a JSON object) or
 * LMX_ENOMEM; on failure `in` holds nothing to release. `fallback_model` is
 * used when the body has no "model" (Azure deployments).
 */
int mock_in_parse(struct mock_in *in,
                  enum mock_api api,
                  const char *body,
                  size_t len,
                  const char *fallback_model,
                  size_t fallback_len);
void mock_in_release(struct mock_in *in);

/* Bytes of the generated completion text: the first n bytes of "mock mock mock ...". */
void mock_text(char *out, size_t off, size_t n);
/* Words in the first n bytes of the generated text. */
long mock_text_words(size_t n);

/* Response bodies, appended to `out`; each returns 0 or an lmx_buf error. */
int mock_body_chat(struct lmx_buf *out, const struct mock_in *in, uint64_t id, size_t text_len);
int mock_body_completion(struct lmx_buf *out,
                         const struct mock_in *in,
                         uint64_t id,
                         size_t text_len);
int mock_body_embeddings(struct lmx_buf *out, const struct mock_in *in);
int mock_body_models(struct lmx_buf *out, const char *one, size_t one_len);
int mock_body_error(struct lmx_buf *out, const char *msg, const char *type, const char *code);

/*
 * Stream events. The events of a stream are prebuilt once into `ev`:
 * content chunk 0 (with the role), the distinct later content chunks (the
 * text repeats every 5 bytes, so at most 5), and the tail (finish chunk,
 * usage chunk when asked, [DONE]).
 */
struct mock_events {
    struct lmx_buf ev;
    size_t first_off, first_len;
    size_t var_off[5], var_len[5];
    size_t tail_off, tail_len;
    int nchunks;
    int chunk_bytes;
};

/*
 * Builds the events of a chat or completion stream with nchunks content
 * chunks of chunk_bytes each. `malformed` makes the tail a broken data line
 * then [DONE]. Returns 0 or an lmx_buf error.
 */
int mock_events_build(struct mock_events *e,
                      enum mock_api api,
                      const struct mock_in *in,
                      uint64_t id,
                      int nchunks,
                      int chunk_bytes,
                      bool malformed);
/* The bytes of content chunk i (0 <= i < nchunks). */
void mock_events_chunk(const struct mock_events *e, int i, const char **p, size_t *len);

/* ------------------------------------------------------------------------ */
/* handler.c */

/* The lmx_http request callback; ud is the struct mock_worker. */
void mock_handle(struct lmx_http_req *req, void *ud);

/* ------------------------------------------------------------------------ */
/* family.c: the native provider wire formats, each in tools/mock/<family>.c */

bool mock_family_route(struct mock_worker *w, struct lmx_http_req *req);

/* ------------------------------------------------------------------------ */
/* util.c: shared by the families */

/*
 * Answers `status` with the compact JSON text of o (stolen); 503 with `oom`
 * (the family's own out-of-memory JSON text) when o is NULL or cannot be dumped.
 */
void mock_send_json(struct lmx_http_req *req, int status, json_t *o, const char *oom);
/* The status (100-999) a "mock-status-<code>" model name asks for, or 0; m may be NULL. */
int mock_model_status(const char *m);
/* Whitespace-separated words in s (NULL: 0). */
long mock_count_words(const char *s);
/* A model request's log entry (no fault, no rule) for mock_log_add; model may be NULL. */
void mock_log_in_init(struct mock_log_in *li,
                      const struct lmx_http_req *req,
                      const char *model,
                      bool stream);
/* Logs a model request (no fault, no rule) for /mock/log; returns its seq. */
uint64_t mock_log_model(const struct lmx_http_req *req, const char *model, bool stream);
/* p..end with %XX escapes decoded into out (cap bytes, NUL-terminated, cut to fit). */
void mock_url_decode(char *out, size_t cap, const char *p, const char *end);
/*
 * An AWS SigV4 Authorization value v (n bytes): "AWS4-HMAC-SHA256
 * Credential=.../<service>/aws4_request, SignedHeaders=...host...x-amz-date...,
 * Signature=<64 hex>", with has_date (an X-Amz-Date header) required too.
 */
bool mock_sigv4_form(const char *v, size_t n, bool has_date, const char *service);
/* With --api-key, "Authorization: Bearer <key>" (compared in constant time); true without. */
bool mock_bearer_ok(const struct mock_worker *w, const struct lmx_http_req *req);
/*
 * Answers 200 with the eventstream messages in msgs, one write per message
 * as the AWS services send them, then ends the response.
 */
void mock_es_send(struct lmx_http_req *req,
                  const struct lmx_http_hdr *h,
                  size_t nh,
                  const struct lmx_buf *msgs);
/*
 * Appends one eventstream message: an event (":event-type" type) or an
 * exception (":exception-type" type), content type ctype, payload p[0..n).
 * Returns 0 or an lmx_buf error.
 */
int mock_es_message(struct lmx_buf *b,
                    bool exception,
                    const char *type,
                    const char *ctype,
                    const void *p,
                    size_t n);

#endif
