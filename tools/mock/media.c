/*
 * tools/mock/media.c - llmux-mock: the OpenAI endpoints other than chat,
 * completions and embeddings, and the rerank APIs of Cohere, Jina and Voyage.
 *
 *   POST /v1/images/generations   {created, data:[{url, revised_prompt} | {b64_json}]}:
 *                                 n images (1..10), per response_format
 *   POST /v1/audio/speech         deterministic fake audio, 4096 + 64 * len(input)
 *                                 bytes, byte i = (i * 31 + len(input)) & 0xff, sent
 *                                 chunked in MEDIA_SPEECH_CHUNKS writes
 *                                 MEDIA_SPEECH_GAP_MS apart; Content-Type per
 *                                 response_format (mp3 audio/mpeg, wav audio/wav,
 *                                 opus audio/ogg, aac audio/aac, flac audio/flac,
 *                                 pcm audio/pcm)
 *   POST /v1/audio/transcriptions multipart/form-data with the fields model and
 *                                 file (400 without either); {"text"} naming the
 *                                 file, its byte count, its FNV-1a 32 hash and the
 *                                 model; response_format text, srt or vtt: text/plain
 *   POST /v1/moderations          {id, model, results:[{flagged, categories,
 *                                 category_scores}]}, one result per input; an
 *                                 input containing "kill" is flagged as violence
 *   POST /v2/rerank               Cohere v2: {id, results:[{index, relevance_score}], meta}
 *   POST /v1/rerank               with "top_k": Voyage, {object:"list", data:[{index,
 *                                 relevance_score, document?}], model, usage}; else the
 *                                 answer Jina and Cohere v1 share: {id, model,
 *                                 results:[{index, relevance_score, document?:{text}}],
 *                                 usage, meta}
 *
 * The OpenAI routes also answer without the /v1 prefix and in the Azure forms
 * /openai/deployments/{deployment}/<route> (the deployment stands in for a
 * missing model) and /openai/v1/<route>; /rerank is /v1/rerank.
 *
 * The rerank score of a document is the share of the query's words it
 * contains (case-insensitive), less 0.001 per position in the input, so it is
 * deterministic and never ties; results come best first, cut to top_n / top_k.
 *
 * Auth: with --api-key, "Authorization: Bearer <key>" (or Azure's "api-key")
 * else 401. Model-name controls: "mock-status-<code>" (in the JSON body or the
 * multipart model field) answers that status with the route's error body; a
 * /mock/fail rule with a status does the same. Errors are OpenAI envelopes on
 * the OpenAI routes, {"id","message"} on /v2/rerank and {"detail"} (Jina's and
 * Voyage's form) on /v1/rerank.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "mock.h"

bool mock_media_route(struct mock_worker *w, struct lmx_http_req *req);

#define MEDIA_OOM           "{\"error\":{\"message\":\"llmux-mock: out of memory\"}}"
#define MEDIA_MAX_IMAGES    10
#define MEDIA_SPEECH_BASE   4096
#define MEDIA_SPEECH_PER    64
#define MEDIA_SPEECH_MAX    (8u << 20)
#define MEDIA_SPEECH_CHUNKS 5
#define MEDIA_SPEECH_GAP_MS 40
#define MEDIA_MAX_PARTS     32
#define MEDIA_IMAGE_BYTES   64
#define MEDIA_FIELD_MAX     256

enum media_route { M_IMAGES, M_SPEECH, M_TRANSCRIBE, M_MODERATE, M_RERANK_V2, M_RERANK_V1 };

/* The OpenAI routes, after the optional /openai[/deployments/{d}] and /v1 prefixes. */
static const struct {
    const char *path;
    enum media_route r;
} media_paths[] = {
    {"/images/generations", M_IMAGES},
    {"/audio/speech", M_SPEECH},
    {"/audio/transcriptions", M_TRANSCRIBE},
    {"/moderations", M_MODERATE},
};

static const char *const media_categories[] = {
    "sexual",
    "sexual/minors",
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "violence",
    "violence/graphic",
};

/* ------------------------------------------------------------------------ */
/* Answers */

static void media_send(struct lmx_http_req *req, int status, const char *ctype, const void *p,
                       size_t n)
{
    lmx_http_res_send(req, status, NULL, 0, ctype, p, n);
}

/* Sends o as JSON (o is consumed); 503 when it could not be built. */
static int media_send_json(struct lmx_http_req *req, int status, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

    if (text == NULL) {
        status = 503;
        media_send(req, status, "application/json", MEDIA_OOM, strlen(MEDIA_OOM));
    } else {
        media_send(req, status, "application/json", text, strlen(text));
    }
    lmx_free(text);
    json_decref(o);
    return status;
}

/* The error body of each route: OpenAI's envelope, Cohere's or Jina/Voyage's. Returns status. */
static int media_error(struct mock_worker *w, struct lmx_http_req *req, enum media_route r,
                       int status, const char *msg)
{
    const char *type = status >= 500 ? "server_error" : "invalid_request_error";

    if (r == M_RERANK_V2)
        return media_send_json(req, status,
                               json_pack("{s:s,s:s}", "id", "mock-error", "message", msg));
    if (r == M_RERANK_V1)
        return media_send_json(req, status, json_pack("{s:s}", "detail", msg));
    lmx_buf_reset(&w->scratch);
    if (mock_body_error(&w->scratch, msg, type, status == 401 ? "invalid_api_key" : NULL) < 0) {
        media_send(req, 503, "application/json", MEDIA_OOM, strlen(MEDIA_OOM));
        return 503;
    }
    media_send(req, status, "application/json", w->scratch.data, w->scratch.len);
    return status;
}

static bool media_auth_ok(const struct mock_worker *w, const struct lmx_http_req *req)
{
    const char *key = w->opts->api_key;
    size_t n;
    const char *v;

    if (mock_bearer_ok(w, req)) /* also when no key is asked for */
        return true;
    v = lmx_http_req_header(req, "api-key", &n);
    return v != NULL && lmx_ct_equal(v, n, key, strlen(key));
}

/* The status a "mock-status-<code>" model asks for, or 0. */
static int media_model_status(const char *m, size_t n)
{
    const char *p = m != NULL ? memmem(m, n, "mock-status-", 12) : NULL;
    const char *end = m + n;
    long v = 0;

    if (p == NULL)
        return 0;
    for (p += 12; p < end && *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    return v >= 100 && v <= 999 ? (int)v : 0;
}

static uint32_t media_fnv1a(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint64_t media_next_id(void)
{
    return atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
}

/* ------------------------------------------------------------------------ */
/* Images */

/* base64 of deterministic bytes standing in for image i of this prompt; NULL on ENOMEM. */
static char *media_image_b64(const char *prompt, int i)
{
    static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char raw[MEDIA_IMAGE_BYTES];
    uint32_t h = media_fnv1a((const unsigned char *)prompt, strlen(prompt)) ^ (uint32_t)i;
    char *out = lmx_malloc(4 * ((sizeof(raw) + 2) / 3) + 1);

    if (out == NULL)
        return NULL;
    memcpy(raw, magic, sizeof(magic));
    for (size_t k = sizeof(magic); k < sizeof(raw); k++) {
        h = h * 1103515245u + 12345u;
        raw[k] = (unsigned char)(h >> 16);
    }
    EVP_EncodeBlock((unsigned char *)out, raw, (int)sizeof(raw));
    return out;
}

static int media_images(struct lmx_http_req *req, const json_t *body, uint64_t id, char *err,
                        size_t cap)
{
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    const char *fmt = json_string_value(json_object_get(body, "response_format"));
    json_t *nv = json_object_get(body, "n"), *data;
    json_int_t n = nv != NULL && !json_is_null(nv) ? json_integer_value(nv) : 1;
    bool b64;

    if (prompt == NULL || *prompt == '\0') {
        snprintf(err, cap, "prompt is required");
        return 400;
    }
    if (!(nv == NULL || json_is_null(nv) || json_is_integer(nv)) || n < 1 || n > MEDIA_MAX_IMAGES) {
        snprintf(err, cap, "n must be an integer from 1 to %d", MEDIA_MAX_IMAGES);
        return 400;
    }
    if (fmt != NULL && strcmp(fmt, "url") != 0 && strcmp(fmt, "b64_json") != 0) {
        snprintf(err, cap, "response_format must be \"url\" or \"b64_json\"");
        return 400;
    }
    b64 = fmt != NULL && strcmp(fmt, "b64_json") == 0;
    data = json_array();
    for (int i = 0; data != NULL && i < (int)n; i++) {
        json_t *item;

        if (b64) {
            char *enc = media_image_b64(prompt, i);

            item = enc != NULL ? json_pack("{s:s}", "b64_json", enc) : NULL;
            lmx_free(enc);
        } else {
            char url[128];

            snprintf(url, sizeof(url), "https://images.mock.invalid/img-%llu-%d.png",
                     (unsigned long long)id, i);
            item = json_pack("{s:s,s:s}", "url", url, "revised_prompt", prompt);
        }
        if (json_array_append_new(data, item) < 0) {
            json_decref(data);
            data = NULL;
        }
    }
    return media_send_json(
        req, 200,
        data != NULL ? json_pack("{s:I,s:o}", "created", (json_int_t)time(NULL), "data", data)
                     : NULL);
}

/* ------------------------------------------------------------------------ */
/* Speech: a chunked answer, one write per tick */

struct media_speech {
    struct lmx_http_req *req; /* NULL once over */
    uv_timer_t timer;
    unsigned char *audio;
    size_t len, off, step;
    bool waiting; /* no room: resume in on_drain */
};

static void speech_closed(uv_handle_t *h)
{
    struct media_speech *s = h->data;

    lmx_free(s->audio);
    lmx_free(s);
}

static void speech_done(struct media_speech *s)
{
    s->req = NULL;
    uv_close((uv_handle_t *)&s->timer, speech_closed);
}

static void speech_abort(struct lmx_http_req *req, void *ud)
{
    LMX_UNUSED(req);
    mock_inc(&mock_stats.client_aborts);
    speech_done(ud);
}

static void speech_pump(struct media_speech *s);

static void speech_drain(struct lmx_http_req *req, void *ud)
{
    struct media_speech *s = ud;

    LMX_UNUSED(req);
    if (s->req == NULL || !s->waiting)
        return;
    s->waiting = false;
    speech_pump(s);
}

static void speech_tick(uv_timer_t *t)
{
    speech_pump(t->data);
}

/* Writes the next chunk, then waits a tick; ends after the last one. */
static void speech_pump(struct media_speech *s)
{
    struct lmx_http_req *req = s->req;
    size_t n = LMX_MIN(s->step, s->len - s->off);
    int err;

    if (s->off < s->len) {
        if (lmx_http_res_room(req) == 0) {
            s->waiting = true;
            return;
        }
        err = lmx_http_res_write(req, s->audio + s->off, n);
        if (err == LMX_ECLIENT)
            return; /* speech_abort ends it */
        if (err < 0) {
            lmx_http_res_end(req, false);
            speech_done(s);
            return;
        }
        s->off += n;
        if (s->off < s->len) {
            uv_timer_start(&s->timer, speech_tick, MEDIA_SPEECH_GAP_MS, 0);
            return;
        }
    }
    if (lmx_http_res_write(req, "", 0) == LMX_ECLIENT)
        return;
    lmx_http_res_end(req, true);
    speech_done(s);
}

static const char *speech_ctype(const char *fmt)
{
    static const char *const map[][2] = {
        {"mp3", "audio/mpeg"}, {"wav", "audio/wav"},   {"opus", "audio/ogg"},
        {"aac", "audio/aac"},  {"flac", "audio/flac"}, {"pcm", "audio/pcm"},
    };

    if (fmt == NULL)
        return map[0][1];
    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strcmp(fmt, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

static int media_speech(struct mock_worker *w, struct lmx_http_req *req, const json_t *body,
                        char *err, size_t cap)
{
    const char *input = json_string_value(json_object_get(body, "input"));
    const char *voice = json_string_value(json_object_get(body, "voice"));
    const char *ctype = speech_ctype(json_string_value(json_object_get(body, "response_format")));
    struct lmx_http_hdr hdr;
    struct media_speech *s;
    size_t in_len, len;

    if (input == NULL || *input == '\0' || voice == NULL) {
        snprintf(err, cap, "input and voice are required");
        return 400;
    }
    if (ctype == NULL) {
        snprintf(err, cap, "response_format must be one of mp3, opus, aac, flac, wav, pcm");
        return 400;
    }
    in_len = strlen(input);
    len = LMX_MIN(MEDIA_SPEECH_BASE + MEDIA_SPEECH_PER * in_len, (size_t)MEDIA_SPEECH_MAX);
    s = lmx_calloc(1, sizeof(*s));
    if (s != NULL)
        s->audio = lmx_malloc(len);
    if (s == NULL || s->audio == NULL) {
        lmx_free(s);
        snprintf(err, cap, "llmux-mock: out of memory");
        return 503;
    }
    for (size_t i = 0; i < len; i++)
        s->audio[i] = (unsigned char)((i * 31 + in_len) & 0xff);
    s->req = req;
    s->len = len;
    s->step = (len + MEDIA_SPEECH_CHUNKS - 1) / MEDIA_SPEECH_CHUNKS;
    uv_timer_init(&w->loop, &s->timer);
    s->timer.data = s;
    req->ud = s;
    req->on_abort = speech_abort;
    req->on_drain = speech_drain;
    hdr = (struct lmx_http_hdr){"Content-Type", 12, ctype, strlen(ctype)};
    if (lmx_http_res_begin(req, 200, &hdr, 1, -1) < 0) {
        /* no memory, or the client is gone (then res_end ends it without on_abort) */
        lmx_http_res_end(req, false);
        speech_done(s);
        return 200;
    }
    speech_pump(s);
    return 200;
}

/* ------------------------------------------------------------------------ */
/* Transcriptions: multipart/form-data */

struct media_part {
    const char *name, *filename, *data;
    size_t name_len, filename_len, len;
};

/* A parameter of a header value: boundary=..., name="...". Quotes are dropped. */
static const char *header_param(const char *v, size_t n, const char *key, size_t *out_len)
{
    size_t kl = strlen(key);
    const char *end = v + n;

    for (const char *p = v; p + kl < end; p++) {
        const char *q;

        if (!((p == v || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t') &&
              strncasecmp(p, key, kl) == 0 && p[kl] == '='))
            continue;
        p += kl + 1;
        if (p < end && *p == '"') {
            q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (q == NULL)
                return NULL;
            *out_len = (size_t)(q - p - 1);
            return p + 1;
        }
        for (q = p; q < end && *q != ';' && *q != ' ' && *q != '\t'; q++)
            ;
        *out_len = (size_t)(q - p);
        return p;
    }
    return NULL;
}

/* Splits a multipart body; returns the number of parts, or -1 when it is malformed. */
static int multipart_parse(const char *body, size_t len, const char *bnd, size_t bnd_len,
                           struct media_part *parts, int max)
{
    char delim[96];
    size_t dl;
    const char *p, *end = body + len;
    int n = 0;

    if (bnd_len == 0 || bnd_len > 70)
        return -1;
    dl = (size_t)snprintf(delim, sizeof(delim), "--%.*s", (int)bnd_len, bnd);
    p = memmem(body, len, delim, dl);
    if (p == NULL)
        return -1;
    for (;;) {
        const char *head, *head_end, *next, *line;
        struct media_part *pt;

        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return n; /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n' || n == max)
            return -1;
        head = p + 2;
        head_end = memmem(head, (size_t)(end - head), "\r\n\r\n", 4);
        if (head_end == NULL)
            return -1;
        pt = &parts[n++];
        memset(pt, 0, sizeof(*pt));
        for (line = head; line < head_end;) {
            const char *eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
            size_t ll = (size_t)(eol - line);

            if (ll > 20 && strncasecmp(line, "content-disposition:", 20) == 0) {
                pt->name = header_param(line + 20, ll - 20, "name", &pt->name_len);
                pt->filename = header_param(line + 20, ll - 20, "filename", &pt->filename_len);
            }
            line = eol + 2;
        }
        if (pt->name == NULL)
            return -1;
        pt->data = head_end + 4;
        /* the part ends at CRLF + delimiter */
        next = pt->data;
        for (;;) {
            next = memmem(next, (size_t)(end - next), delim, dl);
            if (next == NULL)
                return -1;
            if (next - pt->data >= 2 && next[-2] == '\r' && next[-1] == '\n')
                break;
            next += 1;
        }
        pt->len = (size_t)(next - 2 - pt->data);
        p = next;
    }
}

static const struct media_part *part_get(const struct media_part *parts, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (parts[i].name_len == strlen(name) &&
            memcmp(parts[i].name, name, parts[i].name_len) == 0)
            return &parts[i];
    return NULL;
}

/* A text field as a C string in out (cut to cap - 1 bytes), "" when absent. */
static void part_text(const struct media_part *p, char *out, size_t cap)
{
    size_t n = p != NULL ? LMX_MIN(p->len, cap - 1) : 0;

    if (n > 0)
        memcpy(out, p->data, n);
    out[n] = '\0';
}

/*
 * Reads the form; fills model (the field, else the Azure deployment dep) or
 * err. Returns 0 or the error status.
 */
static int transcribe_read(const struct lmx_http_req *req, const char *dep,
                           struct media_part *parts, int *nparts, char *model, size_t mcap,
                           char *err, size_t cap)
{
    size_t ctl = 0, bl = 0;
    const char *ct = lmx_http_req_header(req, "content-type", &ctl);
    const char *bnd = ct != NULL ? header_param(ct, ctl, "boundary", &bl) : NULL;
    const struct media_part *m, *f;

    if (ct == NULL || !lmx_has_prefix(ct, ctl, "multipart/form-data") || bnd == NULL) {
        snprintf(err, cap, "the body must be multipart/form-data with a boundary");
        return 400;
    }
    *nparts = multipart_parse(req->body.data != NULL ? req->body.data : "", req->body.len, bnd, bl,
                              parts, MEDIA_MAX_PARTS);
    if (*nparts < 0) {
        snprintf(err, cap, "malformed multipart/form-data body");
        return 400;
    }
    m = part_get(parts, *nparts, "model");
    f = part_get(parts, *nparts, "file");
    part_text(m, model, mcap);
    if (model[0] == '\0')
        snprintf(model, mcap, "%s", dep);
    if (model[0] == '\0') {
        snprintf(err, cap, "you must provide a model parameter");
        return 400;
    }
    if (f == NULL || f->filename == NULL) {
        snprintf(err, cap, "you must provide a file (a form field \"file\" with a filename)");
        return 400;
    }
    return 0;
}

static int media_transcribe(struct lmx_http_req *req, const struct media_part *parts, int n,
                            const char *model, char *err, size_t cap)
{
    const struct media_part *f = part_get(parts, n, "file");
    char fmt[32], lang[16], text[512];
    uint32_t h = media_fnv1a((const unsigned char *)f->data, f->len);

    part_text(part_get(parts, n, "response_format"), fmt, sizeof(fmt));
    part_text(part_get(parts, n, "language"), lang, sizeof(lang));
    snprintf(text, sizeof(text), "llmux-mock transcript of %.*s: %zu bytes, fnv1a %08x, model %s",
             (int)LMX_MIN(f->filename_len, 100), f->filename, f->len, (unsigned)h, model);
    if (fmt[0] == '\0' || strcmp(fmt, "json") == 0)
        return media_send_json(req, 200, json_pack("{s:s}", "text", text));
    if (strcmp(fmt, "verbose_json") == 0)
        return media_send_json(req, 200,
                               json_pack("{s:s,s:s,s:f,s:s,s:[]}", "task", "transcribe", "language",
                                         lang[0] != '\0' ? lang : "english", "duration",
                                         (double)f->len / 16000.0, "text", text, "segments"));
    if (strcmp(fmt, "text") == 0 || strcmp(fmt, "srt") == 0 || strcmp(fmt, "vtt") == 0) {
        char out[640];
        int len;

        if (strcmp(fmt, "text") == 0)
            len = snprintf(out, sizeof(out), "%s\n", text);
        else if (strcmp(fmt, "srt") == 0)
            len = snprintf(out, sizeof(out), "1\n00:00:00,000 --> 00:00:01,000\n%s\n\n", text);
        else
            len =
                snprintf(out, sizeof(out), "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n%s\n\n", text);
        media_send(req, 200, "text/plain; charset=utf-8", out,
                   (size_t)LMX_MIN(len, (int)sizeof(out) - 1));
        return 200;
    }
    snprintf(err, cap, "response_format must be one of json, text, srt, verbose_json, vtt");
    return 400;
}

/* ------------------------------------------------------------------------ */
/* Moderations */

static bool contains_ci(const char *s, const char *word)
{
    size_t wl = strlen(word);

    for (; s != NULL && *s; s++)
        if (strncasecmp(s, word, wl) == 0)
            return true;
    return false;
}

static json_t *moderation_result(const char *text)
{
    bool bad = contains_ci(text, "kill");
    json_t *cats = json_object(), *scores = json_object(), *r;
    uint32_t h = media_fnv1a((const unsigned char *)text, strlen(text));

    for (size_t i = 0; cats != NULL && scores != NULL && i < LMX_ARRAY_SIZE(media_categories);
         i++) {
        const char *c = media_categories[i];
        bool hit = bad && strcmp(c, "violence") == 0;
        double score = hit ? 0.91 : (double)((h >> (i % 24)) & 0xff) / 100000.0;

        if (json_object_set_new(cats, c, json_boolean(hit)) < 0 ||
            json_object_set_new(scores, c, json_real(score)) < 0) {
            json_decref(cats);
            json_decref(scores);
            return NULL;
        }
    }
    r = json_pack("{s:b,s:o,s:o}", "flagged", bad, "categories", cats, "category_scores", scores);
    return r;
}

static int media_moderate(struct lmx_http_req *req, const json_t *body, uint64_t id,
                          const char *model, char *err, size_t cap)
{
    json_t *input = json_object_get(body, "input"), *results = json_array(), *v;
    char ids[48];
    size_t i;

    if (json_is_string(input)) {
        if (json_array_append_new(results, moderation_result(json_string_value(input))) < 0)
            goto oom;
    } else if (json_is_array(input) && json_array_size(input) > 0) {
        json_array_foreach (input, i, v) {
            const char *t = json_is_string(v) ? json_string_value(v)
                                              : json_string_value(json_object_get(v, "text"));

            if (t == NULL && json_is_object(v) && json_object_get(v, "image_url") != NULL)
                t = "";
            if (t == NULL) {
                json_decref(results);
                snprintf(err, cap, "input[%zu] must be a string or a text or image_url part", i);
                return 400;
            }
            if (json_array_append_new(results, moderation_result(t)) < 0)
                goto oom;
        }
    } else {
        json_decref(results);
        snprintf(err, cap, "input must be a string or a non-empty array");
        return 400;
    }
    snprintf(ids, sizeof(ids), "modr-mock-%llu", (unsigned long long)id);
    return media_send_json(req, 200,
                           json_pack("{s:s,s:s,s:o}", "id", ids, "model",
                                     model != NULL ? model : "omni-moderation-latest", "results",
                                     results));
oom:
    json_decref(results);
    return media_send_json(req, 503, NULL);
}

/* ------------------------------------------------------------------------ */
/* Rerank */

/* The share of the query's words found in doc, case-insensitive. */
static double rerank_match(const char *query, const char *doc)
{
    char word[64];
    int words = 0, hits = 0;
    const char *p = query;

    while (*p) {
        size_t n = 0;

        while (*p && !isalnum((unsigned char)*p))
            p++;
        while (*p && isalnum((unsigned char)*p)) {
            if (n < sizeof(word) - 1)
                word[n++] = *p;
            p++;
        }
        if (n == 0)
            break;
        word[n] = '\0';
        words++;
        hits += contains_ci(doc, word);
    }
    return words > 0 ? (double)hits / words : 0.0;
}

struct rerank_item {
    size_t index;
    double score;
};

static int rerank_cmp(const void *a, const void *b)
{
    const struct rerank_item *x = a, *y = b;

    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

static const char *doc_text(const json_t *d)
{
    return json_is_string(d) ? json_string_value(d) : json_string_value(json_object_get(d, "text"));
}

static int media_rerank(struct lmx_http_req *req, enum media_route r, const json_t *body,
                        uint64_t id, const char *model, char *err, size_t cap)
{
    const char *query = json_string_value(json_object_get(body, "query"));
    json_t *docs = json_object_get(body, "documents"), *topv, *list, *d;
    bool voyage = r == M_RERANK_V1 && json_object_get(body, "top_k") != NULL;
    bool ret_docs = json_is_true(json_object_get(body, "return_documents"));
    struct rerank_item *items;
    size_t nd = json_array_size(docs), top = nd, i;
    long tokens;
    char ids[48];

    topv = json_object_get(body, voyage ? "top_k" : "top_n");
    if (query == NULL || !json_is_array(docs) || nd == 0) {
        snprintf(err, cap, "query and a non-empty documents array are required");
        return 400;
    }
    if (topv != NULL && !json_is_null(topv)) {
        if (!json_is_integer(topv) || json_integer_value(topv) < 1) {
            snprintf(err, cap, "%s must be a positive integer", voyage ? "top_k" : "top_n");
            return 400;
        }
        top = LMX_MIN(nd, (size_t)json_integer_value(topv));
    }
    items = lmx_calloc(nd, sizeof(*items));
    if (items == NULL)
        return media_send_json(req, 503, NULL);
    tokens = (long)strlen(query) / 4 + 1;
    json_array_foreach (docs, i, d) {
        const char *t = doc_text(d);

        if (t == NULL) {
            lmx_free(items);
            snprintf(err, cap, "documents[%zu] must be a string or an object with \"text\"", i);
            return 400;
        }
        items[i].index = i;
        items[i].score = rerank_match(query, t) - 0.001 * (double)i;
        if (items[i].score < 0)
            items[i].score = 0;
        tokens += (long)strlen(t) / 4 + 1;
    }
    qsort(items, nd, sizeof(*items), rerank_cmp);
    list = json_array();
    for (i = 0; list != NULL && i < top; i++) {
        json_t *o = json_pack("{s:I,s:f}", "index", (json_int_t)items[i].index, "relevance_score",
                              items[i].score);
        const char *t = doc_text(json_array_get(docs, items[i].index));

        if (o != NULL && ret_docs && r == M_RERANK_V1)
            json_object_set_new(o, "document",
                                voyage ? json_string(t) : json_pack("{s:s}", "text", t));
        if (json_array_append_new(list, o) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    lmx_free(items);
    if (list == NULL)
        return media_send_json(req, 503, NULL);
    snprintf(ids, sizeof(ids), "rerank-mock-%llu", (unsigned long long)id);
    if (model == NULL)
        model = "";
    if (voyage)
        return media_send_json(req, 200,
                               json_pack("{s:s,s:o,s:s,s:{s:I}}", "object", "list", "data", list,
                                         "model", model, "usage", "total_tokens",
                                         (json_int_t)tokens));
    if (r == M_RERANK_V2)
        return media_send_json(req, 200,
                               json_pack("{s:s,s:o,s:{s:{s:s},s:{s:i}}}", "id", ids, "results",
                                         list, "meta", "api_version", "version", "2",
                                         "billed_units", "search_units", 1));
    return media_send_json(req, 200,
                           json_pack("{s:s,s:s,s:o,s:{s:I},s:{s:{s:s},s:{s:i}}}", "id", ids,
                                     "model", model, "results", list, "usage", "total_tokens",
                                     (json_int_t)tokens, "meta", "api_version", "version", "1",
                                     "billed_units", "search_units", 1));
}

/* ------------------------------------------------------------------------ */
/* The route */

/*
 * Which route a path is; dep gets the Azure deployment name (NUL-terminated,
 * "" when none). Rerank is only on /v2/rerank, /v1/rerank and /rerank.
 */
static bool media_route_of(const char *path, size_t n, enum media_route *r, char *dep, size_t cap)
{
    const char *p = path, *end = path + n;

    dep[0] = '\0';
    if (strcmp(path, "/v2/rerank") == 0 || strcmp(path, "/v1/rerank") == 0 ||
        strcmp(path, "/rerank") == 0) {
        *r = path[2] == '2' ? M_RERANK_V2 : M_RERANK_V1;
        return true;
    }
    if (lmx_has_prefix(p, n, "/openai/deployments/")) {
        const char *slash;

        p += strlen("/openai/deployments/");
        slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL || slash == p || (size_t)(slash - p) >= cap)
            return false;
        memcpy(dep, p, (size_t)(slash - p));
        dep[slash - p] = '\0';
        p = slash;
    } else if (lmx_has_prefix(p, n, "/openai/")) {
        p += strlen("/openai");
    }
    if (lmx_has_prefix(p, (size_t)(end - p), "/v1/"))
        p += 3;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(media_paths); i++) {
        if (strcmp(p, media_paths[i].path) == 0) {
            *r = media_paths[i].r;
            return true;
        }
    }
    return false;
}

/*
 * Reads the request, logs it (*seq) and answers it, unless it fills err: then
 * the caller sends the error. Returns the status.
 */
static int media_dispatch(struct mock_worker *w, struct lmx_http_req *req, enum media_route r,
                          const char *dep, struct mock_log_in *li, uint64_t *seq, char *err,
                          size_t cap)
{
    struct media_part parts[MEDIA_MAX_PARTS];
    char mbuf[MEDIA_FIELD_MAX];
    struct mock_rule rule;
    const char *model = NULL;
    json_t *body = NULL;
    int nparts = 0, status;
    uint64_t id;

    if (r == M_TRANSCRIBE) {
        status = transcribe_read(req, dep, parts, &nparts, mbuf, sizeof(mbuf), err, cap);
        if (status != 0) {
            *seq = mock_log_add(li);
            return status;
        }
        model = mbuf;
    } else {
        body = json_loadb(req->body.data != NULL ? req->body.data : "", req->body.len, 0, NULL);
        if (!json_is_object(body)) {
            json_decref(body);
            *seq = mock_log_add(li);
            snprintf(err, cap, "We could not parse the JSON body of your request. (llmux-mock)");
            return 400;
        }
        model = json_string_value(json_object_get(body, "model"));
        if (model == NULL && dep[0] != '\0')
            model = dep;
    }
    li->model = model;
    li->model_len = model != NULL ? strlen(model) : 0;
    status = media_model_status(model, li->model_len);
    if (model != NULL && mock_rule_take(model, li->model_len, &rule)) {
        li->rule = true;
        status = rule.status >= 400 ? (int)rule.status : 0;
    }
    *seq = mock_log_add(li);
    id = media_next_id();
    if (status >= 400) {
        snprintf(err, cap, "llmux-mock: simulated error %d (mock-status-%d)", status, status);
    } else {
        switch (r) {
        case M_IMAGES:
            status = media_images(req, body, id, err, cap);
            break;
        case M_SPEECH:
            status = media_speech(w, req, body, err, cap);
            break;
        case M_TRANSCRIBE:
            status = media_transcribe(req, parts, nparts, model, err, cap);
            break;
        case M_MODERATE:
            status = media_moderate(req, body, id, model, err, cap);
            break;
        case M_RERANK_V1:
        case M_RERANK_V2:
            status = media_rerank(req, r, body, id, model, err, cap);
            break;
        }
    }
    json_decref(body);
    return status;
}

bool mock_media_route(struct mock_worker *w, struct lmx_http_req *req)
{
    struct mock_log_in li;
    enum media_route r = M_IMAGES;
    char err[256], dep[MEDIA_FIELD_MAX];
    uint64_t seq;
    int status;

    if (!media_route_of(req->path, req->path_len, &r, dep, sizeof(dep)))
        return false;
    mock_stats_count(w, req);
    memset(&li, 0, sizeof(li));
    li.path = req->path;
    li.path_len = req->path_len;
    li.fault = "";
    li.arrival_ns = req->start_ns;
    err[0] = '\0';
    if (req->method != LMX_HTTP_POST) {
        seq = mock_log_add(&li);
        mock_log_status(seq, media_error(w, req, r, 405, "method not allowed"));
        return true;
    }
    if (!media_auth_ok(w, req)) {
        seq = mock_log_add(&li);
        mock_log_status(seq, media_error(w, req, r, 401, "Incorrect API key provided"));
        return true;
    }
    status = media_dispatch(w, req, r, dep, &li, &seq, err, sizeof(err));
    if (err[0] != '\0')
        status = media_error(w, req, r, status, err);
    mock_log_status(seq, status);
    return true;
}
