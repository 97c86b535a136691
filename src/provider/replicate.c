/*
 * provider/replicate.c - Replicate's predictions API: OpenAI chat requests
 * become one prediction ({"input":{...}}, with "version" for a pinned
 * version), created in sync mode; the prediction that comes back becomes a
 * chat.completion, or the chunks of a stream.
 *
 * As LiteLLM does: the chat is flattened into `prompt` (Llama 3 instruct
 * models get the Llama 3 chat template; any other model the message texts
 * joined by spaces, LiteLLM's default template); with `supports_system_prompt:
 * true` on the deployment the first system message goes to `system_prompt`
 * instead; max_tokens (or max_completion_tokens) is max_new_tokens (max_length
 * for vicuna/flan models, max_tokens for meta/codellama-13b); temperature,
 * top_p and seed pass on; stop becomes stop_sequences (a list is joined with
 * commas, the form Replicate's language models document, where LiteLLM sends
 * the list as is); keys that are no OpenAI parameter pass into `input` (top_k,
 * min_new_tokens, prompt_template, ...). Tools and the other OpenAI parameters
 * are refused unless drop_params is on. The answer: `output` (a list of
 * pieces, joined, or a string; LiteLLM answers " " for an empty output) and
 * the token counts of `metrics` (input_token_count, output_token_count; none
 * sent: 0); finish_reason is always "stop" (a prediction does not say).
 *
 * One request per call. The adapter interface sends exactly one upstream
 * request, so this file never polls: the prediction is created with
 * `Prefer: wait` (Replicate holds the request up to 60 s) and must come back
 * finished. A prediction still "starting" or "processing" after the wait is a
 * 504 naming the prediction id and its URL; "failed", "canceled" or "aborted"
 * is a 422 with the prediction's error, as LiteLLM raises it. LiteLLM itself
 * creates the prediction asynchronously and polls `urls.get`.
 *
 * Streams are not real streams: with stream=true the same synchronous
 * request is sent, the prediction is read whole, and stream_end emits it as
 * chunks (the role, one chunk per output piece, the finish, the usage when
 * asked). Replicate's SSE at `urls.stream` would need a second request;
 * LiteLLM does not use it either (it polls `urls.get` and yields the new
 * text of each poll).
 *
 * Not here: model-specific input names beyond the above (Replicate's inputs
 * are per model: pass them as litellm_params or body keys), images and files
 * in the input, webhooks, the ReplicateConfig class defaults of LiteLLM.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "provider/replicate.h"

#define RP_DEFAULT_BASE "https://api.replicate.com"
#define RP_BODY_MAX     (64u << 20) /* a streamed prediction, read whole */
#define RP_NAME         "replicate"

struct rp_state {
    struct lmx_buf body; /* stream=true: the prediction, collected until stream_end */
    char id[96];
    long long created;
    bool include_usage;
};

/* ------------------------------------------------------------------------ */
/* Requests */

/* True when `needle` occurs in `s`, ignoring ASCII case. */
static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s != '\0'; s++) {
        size_t i = 0;

        while (i < n && s[i] != '\0' &&
               tolower((unsigned char)s[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

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

/* Appends the content of m without leading or trailing whitespace (Jinja's `trim`). */
static int append_trimmed(struct lmx_buf *b, const json_t *m)
{
    struct lmx_buf t;
    size_t s = 0, e;
    int rc;

    lmx_buf_init(&t, 256u << 20);
    rc = append_text(&t, json_object_get(m, "content"));
    e = t.len;
    while (s < e && isspace((unsigned char)t.data[s]))
        s++;
    while (e > s && isspace((unsigned char)t.data[e - 1]))
        e--;
    if (rc == 0 && e > s)
        rc = lmx_buf_append(b, t.data + s, e - s);
    lmx_buf_release(&t);
    return rc;
}

/* LiteLLM renders Llama 3 instruct models with the model's own chat template. */
static bool llama3_instruct(const char *model)
{
    return (contains_ci(model, "meta-llama-3") || contains_ci(model, "meta-llama/llama-3")) &&
           contains_ci(model, "instruct");
}

/*
 * The prompt of the chat, without the message at index `skip` (the system
 * prompt sent apart; -1: none).
 */
static json_t *render_prompt(const char *model, const json_t *msgs, long skip)
{
    bool l3 = llama3_instruct(model), first = true;
    struct lmx_buf b;
    json_t *m, *out = NULL;
    size_t i;
    int rc = 0;

    lmx_buf_init(&b, 256u << 20);
    if (l3)
        rc = lmx_buf_puts(&b, "<|begin_of_text|>");
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (rc < 0)
            break;
        if ((long)i == skip)
            continue;
        if (l3) {
            rc = lmx_buf_printf(&b, "<|start_header_id|>%s<|end_header_id|>\n\n",
                                role != NULL ? role : "user");
            if (rc == 0)
                rc = append_trimmed(&b, m);
            if (rc == 0)
                rc = lmx_buf_puts(&b, "<|eot_id|>");
        } else {
            if (!first)
                rc = lmx_buf_puts(&b, " ");
            if (rc == 0)
                rc = append_text(&b, json_object_get(m, "content"));
        }
        first = false;
    }
    if (rc == 0 && l3)
        rc = lmx_buf_puts(&b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    if (rc == 0)
        out = json_stringn(b.data != NULL ? b.data : "", b.len);
    lmx_buf_release(&b);
    return out;
}

/* The index of the first system message, or -1. */
static long first_system(const json_t *msgs)
{
    json_t *m;
    size_t i;

    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (role != NULL && strcmp(role, "system") == 0)
            return (long)i;
    }
    return -1;
}

/* OpenAI parameters Replicate's language models have no equivalent for. */
static const char *const refused[] = {
    "tools", "tool_choice", "functions", "function_call", "logprobs", "top_logprobs",
    "logit_bias", "presence_penalty", "frequency_penalty", "parallel_tool_calls", "audio",
    "modalities", "prediction", "web_search_options", "response_format", "reasoning_effort",
};
/* OpenAI keys that are not parameters of the call, and this file's own settings. */
static const char *const ignored[] = {
    "model", "messages", "stream", "stream_options", "user", "n", "store", "service_tier",
    "metadata", "supports_system_prompt",
};

/* The input key of max_tokens, as LiteLLM names it per model. */
static const char *max_key(const char *model)
{
    if (strstr(model, "vicuna") != NULL || strstr(model, "flan") != NULL)
        return "max_length";
    if (strstr(model, "meta/codellama-13b") != NULL)
        return "max_tokens";
    return "max_new_tokens";
}

/* OpenAI's stop (a string or a list) as Replicate's comma-separated stop_sequences. */
static json_t *stop_sequences(const json_t *v)
{
    struct lmx_buf b;
    json_t *s, *out = NULL;
    size_t i;
    int rc = 0;

    if (json_is_string(v))
        return json_incref((json_t *)v);
    lmx_buf_init(&b, 1u << 20);
    json_array_foreach(v, i, s) {
        if (rc == 0 && i > 0)
            rc = lmx_buf_puts(&b, ",");
        if (rc == 0 && json_is_string(s))
            rc = lmx_buf_append(&b, json_string_value(s), json_string_length(s));
    }
    if (rc == 0)
        out = json_stringn(b.data != NULL ? b.data : "", b.len);
    lmx_buf_release(&b);
    return out;
}

static int input_of(struct lmx_pcall *pc, const json_t *call, json_t *in, struct lmx_perr *err)
{
    const char *k;
    json_t *v;
    int rc = 0;

    json_object_foreach((json_t *)call, k, v) {
        if (rc < 0)
            break;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)) ||
            json_is_null(v))
            continue;
        if (lmx_param_in(k, refused, LMX_ARRAY_SIZE(refused)))
            rc = lmx_param_unsupported(pc, err, k, RP_NAME);
        else if (strcmp(k, "max_tokens") == 0 || strcmp(k, "max_completion_tokens") == 0)
            rc = json_object_set(in, max_key(pc->model), v);
        else if (strcmp(k, "stop") == 0)
            rc = json_object_set_new(in, "stop_sequences", stop_sequences(v));
        else if (json_object_get(in, k) == NULL) /* prompt, system_prompt: ours win */
            rc = json_object_set(in, k, v);
        if (rc == -1)
            rc = LMX_ENOMEM;
    }
    return rc;
}

/* The base URL without a trailing '/' or "/v1". */
static size_t base_len(const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    if (n >= 3 && memcmp(base + n - 3, "/v1", 3) == 0)
        n -= 3;
    return n;
}

/*
 * The URL for pc->model, and *version when it pins one ("owner/name:version").
 * Returns 0, LMX_EBADREQ with *err filled, or a buffer error.
 */
static int url_of(struct lmx_pcall *pc, struct lmx_buf *out, const char **version,
                  struct lmx_perr *err)
{
    const char *base = pc->dep->api_base, *m = pc->model, *colon;
    size_t n;

    *version = NULL;
    if (base == NULL || base[0] == '\0')
        base = RP_DEFAULT_BASE;
    n = base_len(base);
    if (strncmp(m, "deployments/", 12) == 0) {
        if (strchr(m + 12, '/') == NULL || strchr(m + 12, ':') != NULL)
            goto bad;
        return lmx_buf_printf(out, "%.*s/v1/deployments/%s/predictions", (int)n, base, m + 12);
    }
    colon = strchr(m, ':');
    if (colon != NULL) {
        if (colon[1] == '\0' || colon == m)
            goto bad;
        *version = colon + 1;
        return lmx_buf_printf(out, "%.*s/v1/predictions", (int)n, base);
    }
    if (strchr(m, '/') == NULL || m[0] == '/' || m[strlen(m) - 1] == '/')
        goto bad;
    return lmx_buf_printf(out, "%.*s/v1/models/%s/predictions", (int)n, base, m);
bad:
    lmx_perr_set(err, 400, "invalid_request_error", "model",
                 "replicate: the model must be replicate/{owner}/{name}, "
                 "replicate/{owner}/{name}:{version} or replicate/deployments/{owner}/{name} "
                 "(model=%s)",
                 m);
    return LMX_EBADREQ;
}

static void state_free(struct rp_state *st)
{
    if (st == NULL)
        return;
    lmx_buf_release(&st->body);
    lmx_free(st);
}

static int rp_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct rp_state *st = lmx_calloc(1, sizeof(*st));
    json_t *call = NULL, *body = NULL, *in = NULL, *prompt = NULL, *msgs;
    const char *key = pc->dep->api_key, *version = NULL;
    long sys = -1;
    int rc = LMX_ENOMEM;

    if (st == NULL)
        return LMX_ENOMEM;
    lmx_buf_init(&st->body, RP_BODY_MAX);
    snprintf(st->id, sizeof(st->id), "chatcmpl-%s", pc->call_id != NULL ? pc->call_id : RP_NAME);
    st->created = (long long)lmx_wall_s();
    st->include_usage =
        pc->stream && json_is_true(json_object_get(json_object_get(pc->req, "stream_options"),
                                                   "include_usage"));
    pc->state = st;
    if (pc->ep != LMX_EP_CHAT) {
        lmx_perr_set(err, 400, "invalid_request_error", NULL,
                     "replicate deployments serve chat completions only (model=%s)", pc->model);
        rc = LMX_EBADREQ;
        goto out;
    }
    call = lmx_param_call(pc);
    body = json_object();
    in = json_object();
    if (call == NULL || body == NULL || in == NULL)
        goto out;
    msgs = json_object_get(call, "messages");
    if (json_is_true(json_object_get(call, "supports_system_prompt")))
        sys = first_system(msgs);
    prompt = render_prompt(pc->model, msgs, sys);
    if (prompt == NULL)
        goto out;
    rc = lmx_json_put(in, "prompt", prompt);
    prompt = NULL;
    if (rc == 0 && sys >= 0) {
        struct lmx_buf t;

        lmx_buf_init(&t, 256u << 20);
        rc = append_text(&t, json_object_get(json_array_get(msgs, (size_t)sys), "content"));
        if (rc == 0)
            rc = lmx_json_put(in, "system_prompt", json_stringn(t.data != NULL ? t.data : "",
                                                                t.len));
        lmx_buf_release(&t);
    }
    if (rc == 0)
        rc = input_of(pc, call, in, err);
    if (rc < 0)
        goto out;
    rc = url_of(pc, &out->url, &version, err);
    if (rc == 0 && version != NULL)
        rc = lmx_json_put(body, "version", json_string(version));
    if (rc == 0) {
        rc = lmx_json_put(body, "input", in);
        in = NULL;
    }
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Prefer", "wait");
    if (rc == 0 && key != NULL && key[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", key);
    if (rc == 0)
        rc = lmx_json_append(body, &out->body);
    out->method = "POST";
out:
    json_decref(call);
    json_decref(body);
    json_decref(in);
    json_decref(prompt);
    if (rc < 0) {
        state_free(st);
        pc->state = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* What a finished prediction says, read from its JSON. */
struct rp_answer {
    json_t *root;
    json_t *pieces; /* the output as a list of strings (new reference) */
    long long prompt_tokens, completion_tokens;
};

/* The output as pieces: a list of strings as is, a string as one piece, else its JSON text. */
static json_t *pieces_of(const json_t *output)
{
    json_t *arr = json_array(), *v;
    size_t i;
    int rc = 0;

    if (arr == NULL)
        return NULL;
    if (json_is_string(output)) {
        rc = json_array_append(arr, (json_t *)output);
    } else if (json_is_array(output)) {
        json_array_foreach(output, i, v) {
            if (rc < 0)
                break;
            if (json_is_string(v)) {
                rc = json_array_append(arr, v);
            } else if (!json_is_null(v)) {
                char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

                rc = d != NULL ? json_array_append_new(arr, json_string(d)) : -1;
                free(d);
            }
        }
    } else if (output != NULL && !json_is_null(output)) {
        char *d = json_dumps(output, JSON_COMPACT | JSON_ENCODE_ANY);

        rc = d != NULL ? json_array_append_new(arr, json_string(d)) : -1;
        free(d);
    }
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* Reads a prediction: 0 when it succeeded, else a negative code with *err filled. */
static int answer_of(const char *body, size_t len, struct rp_answer *a, struct lmx_perr *err)
{
    const char *status, *id, *e;
    json_t *metrics;

    memset(a, 0, sizeof(*a));
    a->root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(a->root)) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "replicate returned a body that is not a prediction: %.*s",
                     (int)LMX_MIN(len, 120), body);
        return LMX_EUPSTREAM;
    }
    status = json_string_value(json_object_get(a->root, "status"));
    id = json_string_value(json_object_get(a->root, "id"));
    if (id == NULL)
        id = "(no id)";
    if (status == NULL) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "replicate returned a prediction without a status (id %s)", id);
        return LMX_EUPSTREAM;
    }
    if (strcmp(status, "starting") == 0 || strcmp(status, "processing") == 0) {
        const char *get = json_string_value(json_object_get(json_object_get(a->root, "urls"), "get"));

        lmx_perr_set(err, 504, "timeout", NULL,
                     "replicate: prediction %s is still %s after the synchronous wait "
                     "(Prefer: wait); llmux makes one request per call and does not poll%s%s",
                     id, status, get != NULL ? "; its result will be at " : "",
                     get != NULL ? get : "");
        return LMX_EUPSTREAM;
    }
    if (strcmp(status, "succeeded") != 0) {
        e = json_string_value(json_object_get(a->root, "error"));
        if (e == NULL || e[0] == '\0')
            e = NULL;
        if (strcmp(status, "failed") == 0)
            lmx_perr_set(err, 422, "invalid_request_error", NULL,
                         "replicate: prediction %s failed%s%s", id, e != NULL ? ": " : "",
                         e != NULL ? e : "");
        else
            lmx_perr_set(err, 422, "invalid_request_error", NULL,
                         "replicate: prediction %s ended as %s%s%s", id, status,
                         e != NULL ? ": " : "", e != NULL ? e : "");
        return LMX_EUPSTREAM;
    }
    a->pieces = pieces_of(json_object_get(a->root, "output"));
    if (a->pieces == NULL)
        return LMX_ENOMEM;
    metrics = json_object_get(a->root, "metrics");
    a->prompt_tokens = lmx_json_int(json_object_get(metrics, "input_token_count"));
    a->completion_tokens = lmx_json_int(json_object_get(metrics, "output_token_count"));
    return 0;
}

static void answer_release(struct rp_answer *a)
{
    json_decref(a->root);
    json_decref(a->pieces);
    memset(a, 0, sizeof(*a));
}

/* The pieces joined; " " when they are empty, as LiteLLM answers. */
static json_t *joined(const json_t *pieces)
{
    struct lmx_buf b;
    json_t *v, *out = NULL;
    size_t i;
    int rc = 0;

    lmx_buf_init(&b, 256u << 20);
    json_array_foreach(pieces, i, v) {
        if (rc == 0)
            rc = lmx_buf_append(&b, json_string_value(v), json_string_length(v));
    }
    if (rc == 0)
        out = b.len > 0 ? json_stringn(b.data, b.len) : json_string(" ");
    lmx_buf_release(&b);
    return out;
}

static json_t *usage_of(const struct rp_answer *a)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)a->prompt_tokens,
                     "completion_tokens", (json_int_t)a->completion_tokens, "total_tokens",
                     (json_int_t)(a->prompt_tokens + a->completion_tokens));
}

static int rp_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct rp_state *st = pc->state;
    struct rp_answer a;
    json_t *text;
    int rc;

    *out = NULL;
    if (st == NULL)
        return LMX_EINTERNAL;
    rc = answer_of(body, len, &a, err);
    if (rc < 0) {
        answer_release(&a);
        return rc;
    }
    text = joined(a.pieces);
    if (text != NULL)
        *out = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:o},s:s}],s:o}", "id", st->id, "object",
                         "chat.completion", "created", (json_int_t)st->created, "model",
                         pc->model, "choices", "index", 0, "message", "role", "assistant",
                         "content", text, "finish_reason", "stop", "usage", usage_of(&a));
    answer_release(&a);
    return *out != NULL ? 0 : LMX_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* Streams: the prediction read whole, then told as chunks */

static int emit(struct rp_state *st, struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud,
                json_t *delta, const char *finish)
{
    json_t *c;
    int rc;

    if (delta == NULL)
        return LMX_ENOMEM;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", st->id, "object",
                  "chat.completion.chunk", "created", (json_int_t)st->created, "model", pc->model,
                  "choices", "index", 0, "delta", delta, "finish_reason", finish);
    if (c == NULL)
        return LMX_ENOMEM;
    rc = cb(c, ud);
    json_decref(c);
    return rc;
}

static int rp_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    struct rp_state *st = pc->state;
    int rc;

    LMX_UNUSED(cb);
    LMX_UNUSED(ud);
    if (st == NULL)
        return LMX_EINTERNAL;
    rc = lmx_buf_append(&st->body, p, n);
    if (rc == LMX_ETOOBIG)
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "replicate returned a prediction longer than %u bytes", RP_BODY_MAX);
    return rc;
}

static int rp_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct rp_state *st = pc->state;
    struct rp_answer a;
    json_t *v, *c;
    size_t i;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    rc = answer_of(st->body.data != NULL ? st->body.data : "", st->body.len, &a, err);
    if (rc == 0)
        rc = emit(st, pc, cb, ud, json_pack("{s:s,s:s}", "role", "assistant", "content", ""),
                  NULL);
    json_array_foreach(a.pieces, i, v) {
        if (rc < 0)
            break;
        if (json_string_length(v) > 0)
            rc = emit(st, pc, cb, ud, json_pack("{s:O}", "content", v), NULL);
    }
    if (rc == 0)
        rc = emit(st, pc, cb, ud, json_object(), "stop");
    if (rc == 0 && st->include_usage) {
        c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object",
                      "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                      pc->model, "choices", "usage", usage_of(&a));
        rc = c != NULL ? cb(c, ud) : LMX_ENOMEM;
        json_decref(c);
    }
    answer_release(&a);
    return rc;
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

/* Replicate's errors are problem details: {"title","detail","status"}. */
static void rp_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    const char *detail = json_string_value(json_object_get(root, "detail"));
    const char *title = json_string_value(json_object_get(root, "title"));
    int s = status > 0 && status < 1000 ? (int)status : 500;

    if (detail == NULL)
        detail = json_string_value(json_object_get(root, "error"));
    if (detail != NULL && detail[0] != '\0')
        lmx_perr_set(out, s, error_type(s), NULL, "replicate: %s%s%s", title != NULL ? title : "",
                     title != NULL ? ": " : "", detail);
    else
        lmx_perr_set(out, s, error_type(s), NULL, "replicate returned HTTP %d (model=%s): %.*s",
                     s, pc->model, (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static void rp_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

const struct lmx_provider_ops lmx_provider_replicate_ops = {
    .name = "replicate",
    .build = rp_build,
    .parse = rp_parse,
    .stream_feed = rp_stream_feed,
    .stream_end = rp_stream_end,
    .map_error = rp_map_error,
    .release = rp_release,
};
