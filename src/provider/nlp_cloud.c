/*
 * provider/nlp_cloud.c - NLP Cloud text generation (`nlp_cloud/`
 * deployments), as LiteLLM's NLPCloudConfig calls it.
 *
 *   POST {base}/{model}/generation   "Authorization: Token {api_key}"
 *
 * {base} is api_base, else https://api.nlpcloud.io/v1/gpu. The body is
 * {"text": the messages' texts joined by spaces, max_length (max_tokens),
 * temperature, top_p, presence_penalty, frequency_penalty,
 * num_return_sequences (n), stop_sequences (stop), stream}; NLP Cloud's own
 * generation parameters (top_k, repetition_penalty, num_beams, end_sequence,
 * remove_input, bad_words, ...) pass through. The answer {"generated_text",
 * "nb_input_tokens", "nb_generated_tokens"} becomes a chat.completion; the
 * stream is raw text pieces separated by NUL bytes and ended by "[DONE]",
 * each piece a chunk.
 *
 * Not here: tools, response_format and the other chat-only parameters
 * (refused with 400 unless drop_params).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/nlp_cloud.h"
#include "provider/params.h"

#define NC_BASE       "https://api.nlpcloud.io/v1/gpu"
#define NC_PIECE_MAX  ((size_t)8 << 20)

/* pc->state of a call. */
struct nc_call {
    struct lmx_buf piece; /* stream bytes since the last NUL */
    bool role_sent;
    bool finished;
    char id[64];
    json_int_t created;
};

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "nlp_cloud: out of memory building the request");
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static void nc_release(struct lmx_pcall *pc)
{
    struct nc_call *nc = pc->state;

    if (nc == NULL)
        return;
    lmx_buf_release(&nc->piece);
    lmx_free(nc);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* OpenAI parameter -> NLP Cloud's name. */
static const char *const mapped[][2] = {
    {"max_tokens", "max_length"},
    {"max_completion_tokens", "max_length"},
    {"temperature", "temperature"},
    {"top_p", "top_p"},
    {"presence_penalty", "presence_penalty"},
    {"frequency_penalty", "frequency_penalty"},
    {"n", "num_return_sequences"},
    {"stop", "stop_sequences"},
};

/* NLP Cloud's own generation parameters, passed as they are. */
static const char *const own[] = {
    "length_no_input", "end_sequence", "remove_end_sequence", "remove_input", "bad_words",
    "top_k",           "repetition_penalty", "num_beams", "min_length",
};

static const char *const unsupported[] = {
    "tools",     "tool_choice", "functions", "function_call", "response_format",
    "logprobs",  "top_logprobs", "logit_bias", "seed", "parallel_tool_calls",
    "reasoning_effort", "modalities", "audio", "prediction", "web_search_options",
};

/* The messages' texts (string contents, text parts) joined by spaces. */
static json_t *text_of(const json_t *msgs)
{
    struct lmx_buf b;
    const json_t *m, *part;
    size_t i, k;
    json_t *s = NULL;

    lmx_buf_init(&b, 64u << 20);
    json_array_foreach(msgs, i, m) {
        const json_t *c = json_object_get(m, "content");

        if (i > 0 && lmx_buf_puts(&b, " ") < 0)
            goto out;
        if (json_is_string(c) && lmx_buf_puts(&b, json_string_value(c)) < 0)
            goto out;
        json_array_foreach(c, k, part) {
            const char *t = lmx_json_str(part, "text");

            if (t != NULL && lmx_buf_puts(&b, t) < 0)
                goto out;
        }
    }
    s = json_stringn(b.data != NULL ? b.data : "", b.len);
out:
    lmx_buf_release(&b);
    return s;
}

static int nc_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v, *msgs = json_object_get(req, "messages");
    json_t *body, *text;
    bool bad = false;

    *out = NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported); i++) {
        v = json_object_get(req, unsupported[i]);
        if (v != NULL && !json_is_null(v) && !pc->drop_params) {
            lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                          "nlp_cloud does not support parameters: ['%s'], for model=%s. To "
                          "drop these, set `litellm.drop_params=True` or for proxy:\n\n"
                          "`litellm_settings:\n drop_params: true`\n",
                          unsupported[i], pc->model != NULL ? pc->model : "");
            snprintf(err->param, sizeof(err->param), "%s", unsupported[i]);
            return LMX_EBADPARAM;
        }
    }
    if (json_array_size(msgs) == 0)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "nlp_cloud: the request has no messages");
    text = text_of(msgs);
    if (text == NULL)
        return oom(err);
    body = json_pack("{s:o}", "text", text);
    if (body == NULL)
        return oom(err);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(mapped); i++) {
        v = json_object_get(req, mapped[i][0]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(body, mapped[i][1], (json_t *)v) < 0;
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(own); i++) {
        v = json_object_get(req, own[i]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(body, own[i], (json_t *)v) < 0;
    }
    if (pc->stream)
        bad = bad || json_object_set_new(body, "stream", json_true()) < 0;
    if (bad) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

static int nc_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *m = pc->model != NULL ? pc->model : "", *base;
    struct nc_call *nc = pc->state;
    json_t *body = NULL;
    size_t n;
    int rc;

    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "nlp_cloud deployments serve /chat/completions and /completions "
                             "only (model=%s)",
                             m);
    if (nc == NULL) {
        char u[37];

        nc = lmx_calloc(1, sizeof(*nc));
        if (nc == NULL)
            return oom(err);
        lmx_buf_init(&nc->piece, NC_PIECE_MAX);
        lmx_uuid4(u);
        snprintf(nc->id, sizeof(nc->id), "chatcmpl-%s", u);
        nc->created = (json_int_t)time(NULL);
        pc->state = nc;
    }
    rc = nc_body(pc, &body, err);
    if (rc < 0)
        return rc;
    base = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : NC_BASE;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    out->method = "POST";
    rc = lmx_buf_append(&out->url, base, n);
    if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/%s/generation", m);
    if (rc == 0 && d->api_key != NULL && d->api_key[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Token %s", d->api_key);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "application/json");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider 'nlp_cloud' is too large");
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

static int nc_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct nc_call *nc = pc->state;
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL), *o;
    const json_t *t = json_object_get(root, "generated_text");
    json_int_t in = json_integer_value(json_object_get(root, "nb_input_tokens"));
    json_int_t gen = json_integer_value(json_object_get(root, "nb_generated_tokens"));
    char u[37], id[48];

    if (!json_is_string(t)) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "nlp_cloud: the answer has no generated_text: %.200s",
                             body != NULL ? body : "");
    }
    lmx_uuid4(u);
    snprintf(id, sizeof(id), "chatcmpl-%s", u);
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:O},s:s}],s:{s:I,s:I,s:I}}", "id",
                  nc != NULL ? nc->id : id, "object", "chat.completion", "created",
                  nc != NULL ? nc->created : (json_int_t)time(NULL), "model",
                  pc->model != NULL ? pc->model : "", "choices", "index", 0, "message", "role",
                  "assistant", "content", t, "finish_reason", "stop", "usage", "prompt_tokens",
                  in, "completion_tokens", gen, "total_tokens", in + gen);
    json_decref(root);
    if (o == NULL)
        return oom(err);
    *out = o;
    return 0;
}

/* A chunk with `text` (may be empty) and, when finish, finish_reason "stop". */
static int emit(struct nc_call *nc, const char *model, const char *text, size_t n, bool finish,
                lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    json_t *delta = json_object(), *c;
    int rc;

    if (delta == NULL || json_object_set_new(delta, "content", json_stringn(text, n)) < 0 ||
        (!nc->role_sent && json_object_set_new(delta, "role", json_string("assistant")) < 0)) {
        json_decref(delta);
        return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error",
                             "nlp_cloud: out of memory");
    }
    nc->role_sent = true;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o}]}", "id", nc->id, "object",
                  "chat.completion.chunk", "created", nc->created, "model", model, "choices",
                  "index", 0, "delta", delta, "finish_reason",
                  finish ? json_string("stop") : json_null());
    if (c == NULL)
        return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error",
                             "nlp_cloud: out of memory");
    rc = cb(c, ud);
    json_decref(c);
    return rc;
}

/* One NUL-delimited piece: text, or text ending in "[DONE]" (the end). */
static int piece(struct nc_call *nc, const char *model, const char *p, size_t n,
                 lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    const char *done = NULL;

    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(p + i, "[DONE]", 6) == 0) {
            done = p + i;
            break;
        }
    if (nc->finished)
        return 0;
    if (done != NULL) {
        nc->finished = true;
        return emit(nc, model, p, (size_t)(done - p), true, cb, ud, err);
    }
    return n > 0 ? emit(nc, model, p, n, false, cb, ud, err) : 0;
}

static int nc_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    struct nc_call *nc = pc->state;
    const char *model = pc->model != NULL ? pc->model : "";
    int rc = 0;

    if (nc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "nlp_cloud: stream bytes for a call that was not built");
    while (rc == 0 && n > 0) {
        const char *nul = memchr(p, '\0', n);
        size_t k = nul != NULL ? (size_t)(nul - p) : n;

        if (lmx_buf_append(&nc->piece, p, k) < 0)
            return lmx_perr_fail(err, LMX_ETOOBIG, 502, "internal_server_error",
                                 "nlp_cloud: a stream piece is too large");
        if (nul == NULL)
            break;
        rc = piece(nc, model, nc->piece.data != NULL ? nc->piece.data : "", nc->piece.len, cb,
                   ud, err);
        lmx_buf_reset(&nc->piece);
        p += k + 1;
        n -= k + 1;
    }
    return rc;
}

static int nc_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct nc_call *nc = pc->state;
    const char *model = pc->model != NULL ? pc->model : "";
    int rc;

    if (nc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "nlp_cloud: stream end for a call that was not built");
    rc = piece(nc, model, nc->piece.data != NULL ? nc->piece.data : "", nc->piece.len, cb, ud,
               err);
    lmx_buf_reset(&nc->piece);
    if (rc == 0 && !nc->finished) {
        nc->finished = true;
        rc = emit(nc, model, "", 0, true, cb, ud, err);
    }
    return rc;
}

/* {"detail": "..."} (or {"error": ...}) -> out. */
static void nc_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const char *msg = lmx_json_str(root, "detail");

    (void)pc;
    if (msg == NULL)
        msg = lmx_json_str(root, "error");
    if (status <= 0)
        status = 500;
    out->status = (int)status;
    snprintf(out->type, sizeof(out->type), "%s",
             status == 401 || status == 403 ? "auth_error"
             : status == 404               ? "not_found_error"
             : status == 429               ? "rate_limit_error"
             : status >= 500               ? "internal_server_error"
                                           : "invalid_request_error");
    out->param[0] = '\0';
    if (msg != NULL)
        snprintf(out->message, sizeof(out->message), "nlp_cloud: %s", msg);
    else
        snprintf(out->message, sizeof(out->message), "nlp_cloud returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

const struct lmx_provider_ops lmx_provider_nlp_cloud_ops = {
    .name = "nlp_cloud",
    .build = nc_build,
    .parse = nc_parse,
    .stream_feed = nc_stream_feed,
    .stream_end = nc_stream_end,
    .map_error = nc_map_error,
    .release = nc_release,
};
