/*
 * provider/tgi.c - Predibase (Text Generation Inference's /generate) and
 * Triton (the generate extension): OpenAI chat requests become one prompt
 * and the server's parameters; the answer, or the SSE stream of tokens,
 * becomes OpenAI objects and chunks.
 *
 * As LiteLLM does: the messages' texts are joined into the prompt (one
 * message: its text as is; several: one per line); max_tokens (or
 * max_completion_tokens) is max_new_tokens for TGI and max_tokens for
 * Triton; temperature, top_p, top_k, seed and stop pass on (TGI: stop,
 * Triton: stop_words); keys that are no OpenAI parameter pass through into
 * `parameters` (adapter_id, repetition_penalty, bad_words...). Tools and
 * other OpenAI parameters these servers lack are refused unless
 * drop_params is on. TGI's finish_reason eos_token/stop_sequence -> stop,
 * length -> length; Triton's answer has none (stop). Usage: TGI's
 * generated_tokens (and the prefill count when sent); Triton reports none.
 *
 * Not here: KServe's /infer tensors, chat templates of the model's
 * tokenizer (LiteLLM fetches them from the Hub).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "provider/tgi.h"
#include "upstream/sse.h"

#define TG_EVENT_MAX      (8u << 20)
#define TG_PREDIBASE_BASE "https://serving.app.predibase.com"

enum tg_fam { TG_PREDIBASE, TG_TRITON };

struct tg_state {
    enum tg_fam fam;
    struct lmx_sse_reader sse;
    char id[96];
    long long created;
    bool include_usage, started, finished;
    long long prompt_tokens, completion_tokens;
    const char *finish;
    /* set for the duration of one feed */
    struct lmx_pcall *pc;
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

static const char *name_of(enum tg_fam f)
{
    return f == TG_PREDIBASE ? "predibase" : "triton";
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* Appends the text of an OpenAI content value (a string, or its text parts). */
static int append_text(struct lmx_buf *b, const json_t *content)
{
    json_t *part;
    size_t i;

    if (json_is_string(content))
        return lmx_buf_append(b, json_string_value(content), json_string_length(content));
    json_array_foreach(content, i, part) {
        const char *t = json_string_value(json_object_get(part, "text"));

        if (t != NULL && lmx_buf_puts(b, t) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static json_t *render_prompt(const json_t *msgs)
{
    struct lmx_buf b;
    json_t *m, *out = NULL;
    size_t i;
    int rc = 0;

    lmx_buf_init(&b, 256u << 20);
    json_array_foreach(msgs, i, m) {
        if (rc == 0 && i > 0)
            rc = lmx_buf_puts(&b, "\n");
        if (rc == 0)
            rc = append_text(&b, json_object_get(m, "content"));
    }
    if (rc == 0)
        out = json_stringn(b.data != NULL ? b.data : "", b.len);
    lmx_buf_release(&b);
    return out;
}

/* OpenAI parameters with no equivalent on these servers. */
static const char *const refused[] = {
    "tools", "tool_choice", "functions", "function_call", "logprobs", "top_logprobs",
    "logit_bias", "presence_penalty", "frequency_penalty", "parallel_tool_calls", "audio",
    "modalities", "prediction", "web_search_options",
};
/* OpenAI keys that are not parameters of the call. */
static const char *const ignored[] = {
    "model", "messages", "stream", "stream_options", "user", "n", "store", "service_tier",
    "reasoning_effort", "metadata",
};

static int params_out(struct lmx_pcall *pc, struct tg_state *st, const json_t *call, json_t *p,
                      struct lmx_perr *err)
{
    const char *k;
    json_t *v;
    int rc = 0;

    json_object_foreach((json_t *)call, k, v) {
        if (rc < 0)
            break;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)))
            continue;
        if (lmx_param_in(k, refused, LMX_ARRAY_SIZE(refused))) {
            rc = lmx_param_unsupported(pc, err, k, name_of(st->fam));
        } else if (strcmp(k, "max_tokens") == 0 || strcmp(k, "max_completion_tokens") == 0) {
            rc = json_object_set(p, st->fam == TG_PREDIBASE ? "max_new_tokens" : "max_tokens", v);
        } else if (strcmp(k, "stop") == 0) {
            json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);

            rc = json_object_set_new(p, st->fam == TG_PREDIBASE ? "stop" : "stop_words", list);
        } else if (strcmp(k, "response_format") == 0 && st->fam == TG_TRITON) {
            rc = lmx_param_unsupported(pc, err, k, name_of(st->fam));
        } else {
            rc = json_object_set(p, k, v);
        }
        if (rc == -1)
            rc = LMX_ENOMEM;
    }
    if (rc == 0 && st->fam == TG_PREDIBASE)
        rc = json_object_set_new(p, "details", json_true()) < 0 ? LMX_ENOMEM : 0;
    if (rc == 0 && st->fam == TG_TRITON && pc->stream)
        rc = json_object_set_new(p, "stream", json_true()) < 0 ? LMX_ENOMEM : 0;
    return rc;
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);

    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int url_of(struct lmx_pcall *pc, struct tg_state *st, struct lmx_buf *out,
                  struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *base = d->api_base, *gen = pc->stream ? "/generate_stream" : "/generate";
    size_t n;

    if (st->fam == TG_PREDIBASE) {
        const char *tenant = json_string_value(json_object_get(d->litellm_params, "tenant_id"));

        if (tenant == NULL || tenant[0] == '\0')
            tenant = getenv("PREDIBASE_TENANT_ID");
        if (tenant == NULL || tenant[0] == '\0') {
            lmx_perr_set(err, 400, "invalid_request_error", NULL,
                         "predibase: set tenant_id in litellm_params (or PREDIBASE_TENANT_ID) "
                         "(model=%s)",
                         pc->model);
            return LMX_EBADREQ;
        }
        if (base == NULL)
            base = TG_PREDIBASE_BASE;
        n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            n--;
        return lmx_buf_printf(out, "%.*s/%s/deployments/v2/llms/%s%s", (int)n, base, tenant,
                              pc->model, gen);
    }
    if (base == NULL) {
        lmx_perr_set(err, 400, "invalid_request_error", NULL,
                     "triton: set api_base, e.g. http://<host>:8000 (model=%s)", pc->model);
        return LMX_EBADREQ;
    }
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (has_suffix(base, n, "/infer")) {
        lmx_perr_set(err, 400, "invalid_request_error", NULL,
                     "triton: KServe /infer endpoints are not served by this build; point "
                     "api_base at the generate endpoint (model=%s)",
                     pc->model);
        return LMX_EBADREQ;
    }
    if (has_suffix(base, n, "/generate_stream"))
        n -= 16;
    else if (has_suffix(base, n, "/generate"))
        n -= 9;
    else
        return lmx_buf_printf(out, "%.*s/v2/models/%s%s", (int)n, base, pc->model, gen);
    return lmx_buf_printf(out, "%.*s%s", (int)n, base, gen);
}

static void state_free(struct tg_state *st)
{
    if (st == NULL)
        return;
    lmx_sse_reader_release(&st->sse);
    lmx_free(st);
}

static int tg_build(enum tg_fam fam, struct lmx_pcall *pc, struct lmx_upreq *out,
                    struct lmx_perr *err)
{
    struct tg_state *st = lmx_calloc(1, sizeof(*st));
    json_t *call = NULL, *body = NULL, *p = NULL, *prompt = NULL;
    const char *key = pc->dep->api_key;
    int rc = LMX_ENOMEM;

    if (st == NULL)
        return LMX_ENOMEM;
    st->fam = fam;
    lmx_sse_reader_init(&st->sse, TG_EVENT_MAX);
    snprintf(st->id, sizeof(st->id), "chatcmpl-%s", pc->call_id != NULL ? pc->call_id : fam == TG_PREDIBASE ? "predibase" : "triton");
    st->created = (long long)lmx_wall_s();
    st->include_usage =
        pc->stream && json_is_true(json_object_get(json_object_get(pc->req, "stream_options"),
                                                   "include_usage"));
    st->finish = "stop";
    pc->state = st;
    if (pc->ep != LMX_EP_CHAT) {
        lmx_perr_set(err, 400, "invalid_request_error", NULL,
                     "%s deployments serve chat completions only (model=%s)", name_of(fam),
                     pc->model);
        rc = LMX_EBADREQ;
        goto out;
    }
    call = lmx_param_call(pc);
    body = json_object();
    p = json_object();
    if (call == NULL || body == NULL || p == NULL)
        goto out;
    prompt = render_prompt(json_object_get(call, "messages"));
    if (prompt == NULL)
        goto out;
    rc = params_out(pc, st, call, p, err);
    if (rc < 0)
        goto out;
    rc = lmx_json_put(body, fam == TG_PREDIBASE ? "inputs" : "text_input", prompt);
    prompt = NULL;
    if (rc == 0) {
        rc = lmx_json_put(body, "parameters", p);
        p = NULL;
    }
    if (rc == 0)
        rc = url_of(pc, st, &out->url, err);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "%s",
                              pc->stream ? "text/event-stream" : "application/json");
    if (rc == 0 && key != NULL && key[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", key);
    if (rc == 0)
        rc = lmx_json_append(body, &out->body);
    out->method = "POST";
out:
    json_decref(call);
    json_decref(body);
    json_decref(p);
    json_decref(prompt);
    if (rc < 0) {
        state_free(st);
        pc->state = NULL;
    }
    return rc;
}

static int predibase_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    return tg_build(TG_PREDIBASE, pc, out, err);
}

static int triton_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    return tg_build(TG_TRITON, pc, out, err);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static const char *finish_of(const json_t *details)
{
    const char *r = json_string_value(json_object_get(details, "finish_reason"));

    return r != NULL && strcmp(r, "length") == 0 ? "length" : "stop";
}

/* TGI's details: the generated token count and, when sent, the prompt's (prefill). */
static void counts_of(struct tg_state *st, const json_t *details)
{
    json_t *pre = json_object_get(details, "prefill");

    st->completion_tokens = lmx_json_int(json_object_get(details, "generated_tokens"));
    if (json_is_array(pre))
        st->prompt_tokens = (long long)json_array_size(pre);
}

static json_t *usage_of(const struct tg_state *st)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)st->prompt_tokens,
                     "completion_tokens", (json_int_t)st->completion_tokens, "total_tokens",
                     (json_int_t)(st->prompt_tokens + st->completion_tokens));
}

static int upstream_error(struct tg_state *st, struct lmx_perr *err, const json_t *e)
{
    const char *m =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));

    lmx_perr_set(err, 500, "internal_server_error", NULL, "%s: %s", name_of(st->fam),
                 m != NULL && m[0] != '\0' ? m : "the server reported an error");
    return LMX_EUPSTREAM;
}

static int tg_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct tg_state *st = pc->state;
    json_t *root = json_loadb(body, len, 0, NULL), *obj, *o;
    const char *text;
    int rc = 0;

    *out = NULL;
    if (st == NULL) {
        json_decref(root);
        return LMX_EINTERNAL;
    }
    /* TGI may answer a one-element list */
    obj = json_is_array(root) ? json_array_get(root, 0) : root;
    if (!json_is_object(obj)) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "%s returned a body that is not a JSON object: %.*s", name_of(st->fam),
                     (int)LMX_MIN(len, 120), body);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(obj, "error") != NULL) {
        rc = upstream_error(st, err, json_object_get(obj, "error"));
        json_decref(root);
        return rc;
    }
    text = json_string_value(
        json_object_get(obj, st->fam == TG_PREDIBASE ? "generated_text" : "text_output"));
    counts_of(st, json_object_get(obj, "details"));
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:o}", "id", st->id, "object",
                  "chat.completion", "created", (json_int_t)st->created, "model", pc->model,
                  "choices", "index", 0, "message", "role", "assistant", "content",
                  text != NULL ? text : "", "finish_reason",
                  finish_of(json_object_get(obj, "details")), "usage", usage_of(st));
    json_decref(root);
    if (o == NULL)
        return LMX_ENOMEM;
    *out = o;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Streams */

static int emit(struct tg_state *st, json_t *delta, const char *finish)
{
    json_t *c;
    int rc;

    if (delta == NULL)
        return LMX_ENOMEM;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", st->id, "object",
                  "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                  st->pc->model, "choices", "index", 0, "delta", delta, "finish_reason", finish);
    if (c == NULL)
        return LMX_ENOMEM;
    rc = st->cb(c, st->ud);
    json_decref(c);
    return rc;
}

static int text_delta(struct tg_state *st, const char *text)
{
    int rc = 0;

    if (!st->started) {
        st->started = true;
        rc = emit(st, json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
    }
    if (rc == 0 && text != NULL && text[0] != '\0')
        rc = emit(st, json_pack("{s:s}", "content", text), NULL);
    return rc;
}

static int finish_stream(struct tg_state *st)
{
    json_t *c;
    int rc;

    if (st->finished)
        return 0;
    st->finished = true;
    rc = text_delta(st, NULL);
    if (rc == 0)
        rc = emit(st, json_object(), st->finish);
    if (rc < 0 || !st->include_usage)
        return rc;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object", "chat.completion.chunk",
                  "created", (json_int_t)st->created, "model", st->pc->model, "choices", "usage",
                  usage_of(st));
    if (c == NULL)
        return LMX_ENOMEM;
    rc = st->cb(c, st->ud);
    json_decref(c);
    return rc;
}

static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct tg_state *st = ud;
    json_t *o, *tok, *details;
    int rc = 0;

    LMX_UNUSED(event);
    LMX_UNUSED(event_len);
    if (st->finished || (len == 6 && memcmp(data, "[DONE]", 6) == 0))
        return 0;
    o = json_loadb(data, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                     "%s sent a malformed stream event: %.*s", name_of(st->fam),
                     (int)LMX_MIN(len, 120), data);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(o, "error") != NULL) {
        rc = upstream_error(st, st->err, json_object_get(o, "error"));
        json_decref(o);
        return rc;
    }
    if (st->fam == TG_TRITON) {
        rc = text_delta(st, json_string_value(json_object_get(o, "text_output")));
    } else {
        tok = json_object_get(o, "token");
        if (!json_is_true(json_object_get(tok, "special")))
            rc = text_delta(st, json_string_value(json_object_get(tok, "text")));
        details = json_object_get(o, "details");
        if (rc == 0 && json_is_object(details)) {
            counts_of(st, details);
            st->finish = finish_of(details);
            rc = finish_stream(st);
        }
    }
    json_decref(o);
    return rc;
}

static void bind(struct tg_state *st, struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud,
                 struct lmx_perr *err)
{
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
}

static int tg_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud,
                          struct lmx_perr *err)
{
    struct tg_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    bind(st, pc, cb, ud, err);
    rc = lmx_sse_reader_feed(&st->sse, p, n, on_event, st);
    if (rc == LMX_ETOOBIG)
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "%s sent a stream event longer than %u bytes", name_of(st->fam),
                     TG_EVENT_MAX);
    return rc;
}

static int tg_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct tg_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    bind(st, pc, cb, ud, err);
    rc = lmx_sse_reader_finish(&st->sse, on_event, st);
    if (rc < 0)
        return rc;
    if (st->fam == TG_PREDIBASE && !st->finished) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "the stream of provider 'predibase' ended before its details event");
        return LMX_EUPSTREAM;
    }
    if (st->fam == TG_TRITON && !st->started) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "the stream of provider 'triton' ended without any event");
        return LMX_EUPSTREAM;
    }
    return finish_stream(st); /* Triton: its stream simply ends */
}

/* ------------------------------------------------------------------------ */
/* Errors */

static const char *error_type(int status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401 || status == 403)
        return "authentication_error";
    if (status == 404)
        return "not_found_error";
    return status >= 500 ? "internal_server_error" : "invalid_request_error";
}

static void tg_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    struct tg_state *st = pc->state;
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *e = json_object_get(root, "error");
    const char *m =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    int s = status > 0 && status < 1000 ? (int)status : 500;

    if (m == NULL)
        m = json_string_value(json_object_get(root, "message"));
    if (m == NULL)
        m = json_string_value(json_object_get(root, "detail"));
    if (m != NULL && m[0] != '\0')
        lmx_perr_set(out, s, error_type(s), NULL, "%s", m);
    else
        lmx_perr_set(out, s, error_type(s), NULL, "%s returned HTTP %d: %.*s",
                     st != NULL ? name_of(st->fam) : pc->dep->provider, s, (int)LMX_MIN(len, 300),
                     body != NULL ? body : "");
    json_decref(root);
}

static void tg_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

const struct lmx_provider_ops lmx_provider_predibase_ops = {
    .name = "predibase",
    .build = predibase_build,
    .parse = tg_parse,
    .stream_feed = tg_stream_feed,
    .stream_end = tg_stream_end,
    .map_error = tg_map_error,
    .release = tg_release,
};

const struct lmx_provider_ops lmx_provider_triton_ops = {
    .name = "triton",
    .build = triton_build,
    .parse = tg_parse,
    .stream_feed = tg_stream_feed,
    .stream_end = tg_stream_end,
    .map_error = tg_map_error,
    .release = tg_release,
};
