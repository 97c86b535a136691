/*
 * provider/sagemaker.c - Amazon SageMaker real-time endpoints.
 *
 * `sagemaker_chat/{endpoint}`: the OpenAI chat body goes to the container
 *         as it is (model = the endpoint name, the proxy's and LiteLLM's own
 *         keys removed); its chat.completion and chunks come back as they are.
 * `sagemaker/{endpoint}`: a Text Generation Inference body,
 *         {"inputs": <prompt>, "parameters": {max_new_tokens, temperature,
 *         top_p, stop, ..., "details": true}}. The prompt is the messages
 *         rendered with the chat template that hf_model_name (else the
 *         endpoint name) points to: Llama 2 chat, Llama 3, Mistral/Mixtral
 *         [INST], ChatML (Qwen, Yi, "chatml"), else the contents joined by
 *         spaces as LiteLLM's default. The answer [{"generated_text",
 *         "details"}] becomes a chat.completion; usage takes
 *         details.generated_tokens and estimates the prompt at ceil(chars/4).
 *
 * Both POST https://runtime.sagemaker.{region}.amazonaws.com/endpoints/
 * {name}/invocations (streams: /invocations-response-stream), SigV4-signed
 * with service "sagemaker" (provider/bedrock.h's lmx__aws_* helpers: the same
 * region and credential lookup as Bedrock). `sagemaker_base_url` replaces
 * the whole URL, as in LiteLLM; api_base replaces the scheme and host.
 * `model_id` goes in X-Amzn-SageMaker-Inference-Component.
 *
 * Streams: an AWS event stream (provider/eventstream.c) of PayloadPart
 * events whose bytes are the container's own stream, split anywhere: they
 * are joined into lines; "data:" lines (or bare JSON lines) are OpenAI
 * chunks (chat) or TGI token events (TGI). ModelStreamError and
 * InternalStreamFailure exceptions become errors.
 *
 * Not here: embeddings (sagemaker/ embedding containers), Nova and async
 * endpoints, jinja chat templates fetched from the Hub, STS.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/bedrock.h"
#include "provider/eventstream.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "provider/sagemaker.h"
#include "provider/sigv4.h"

#define ENDPOINT_FMT   "https://runtime.sagemaker.%s.amazonaws.com"
#define STREAM_MSG_MAX (16u << 20) /* one eventstream message */
#define LINE_MAX_BYTES (16u << 20) /* one line of the container's stream */
#define TEXT_MAX       (256u << 20)
#define ZERO_TEMP      0.01 /* TGI refuses temperature 0 (LiteLLM's replacement) */

/* ------------------------------------------------------------------------ */
/* Call state */

struct sm_state {
    char id[80];
    char model[256];
    long created;
    bool tgi; /* sagemaker/ (TGI body) rather than sagemaker_chat/ */
    bool include_usage;
    char *prompt; /* TGI: the rendered prompt (stripped from a full-text answer) */
    long prompt_tokens;

    /* stream */
    struct lmx_es_decoder dec;
    struct lmx_buf line; /* container bytes not yet ending a line */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
    int cb_err; /* the callback's own failure, passed up untouched */
    bool sent_role, finished, done, any;
    long out_chars;
};

/* ------------------------------------------------------------------------ */
/* Small helpers */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *lp_str(const struct lmx_deployment *d, const char *key)
{
    return lmx_json_str(d->litellm_params, key);
}

static int nomem(struct lmx_perr *err)
{
    lmx_perr_set(err, 503, "internal_server_error", NULL, "out of memory");
    return LMX_ENOMEM;
}

static bool ci_contains(const char *s, const char *needle)
{
    return s != NULL && strcasestr(s, needle) != NULL;
}

static long estimate_tokens(size_t chars)
{
    return (long)((chars + 3) / 4);
}

/* litellm_params and body keys that configure this adapter, never sent to the container. */
/* clang-format off */
static const char *const own_keys[] = {
    "model_id", "hf_model_name", "sagemaker_base_url", "aws_sagemaker_allow_zero_temp",
    "custom_prompt_dict", "model", "stream", "stream_options",
};
/* clang-format on */


/* ------------------------------------------------------------------------ */
/* The TGI prompt: a chat template chosen by name */

enum tmpl { T_DEFAULT, T_LLAMA2, T_LLAMA3, T_MISTRAL, T_CHATML };

static enum tmpl template_of(const char *name)
{
    if (ci_contains(name, "llama-3") || ci_contains(name, "llama3"))
        return T_LLAMA3;
    if (ci_contains(name, "llama-2") && ci_contains(name, "chat"))
        return T_LLAMA2;
    if (ci_contains(name, "mistral") || ci_contains(name, "mixtral"))
        return T_MISTRAL;
    if (ci_contains(name, "chatml") || ci_contains(name, "qwen") || ci_contains(name, "yi-"))
        return T_CHATML;
    return T_DEFAULT;
}

/* The text of a message's content: a string, or its text parts joined. */
static int content_text(json_t *content, struct lmx_buf *out, struct lmx_perr *err)
{
    size_t i;
    json_t *part;

    if (content == NULL || json_is_null(content))
        return 0;
    if (json_is_string(content))
        return lmx_buf_append(out, json_string_value(content), json_string_length(content));
    if (!json_is_array(content)) {
        lmx_perr_set(err, 400, "invalid_request_error", "messages",
                     "message content must be a string or an array of parts");
        return LMX_EBADREQ;
    }
    json_array_foreach(content, i, part) {
        const char *type = json_string_value(json_object_get(part, "type"));
        json_t *t = json_object_get(part, "text");

        if (type == NULL || strcmp(type, "text") != 0 || !json_is_string(t)) {
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                         "sagemaker (TGI) takes text content only, not '%.40s' parts",
                         type != NULL ? type : "untyped");
            return LMX_EBADREQ;
        }
        if (lmx_buf_append(out, json_string_value(t), json_string_length(t)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static int render_one(enum tmpl t,
                      const char *role,
                      const char *text,
                      bool first_user,
                      const char *sys,
                      struct lmx_buf *p)
{
    switch (t) {
    case T_LLAMA3:
        return lmx_buf_printf(p, "<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>", role,
                              text);
    case T_CHATML: return lmx_buf_printf(p, "<|im_start|>%s\n%s<|im_end|>\n", role, text);
    case T_LLAMA2:
        if (strcmp(role, "assistant") == 0)
            return lmx_buf_printf(p, " %s </s>", text);
        if (first_user && sys != NULL)
            return lmx_buf_printf(p, "<s>[INST] <<SYS>>\n%s\n<</SYS>>\n\n%s [/INST]", sys, text);
        return lmx_buf_printf(p, "<s>[INST] %s [/INST]", text);
    case T_MISTRAL:
        if (strcmp(role, "assistant") == 0)
            return lmx_buf_printf(p, "%s</s>", text);
        if (first_user && sys != NULL)
            return lmx_buf_printf(p, "[INST] %s\n\n%s [/INST]", sys, text);
        return lmx_buf_printf(p, "[INST] %s [/INST]", text);
    case T_DEFAULT: break;
    }
    return lmx_buf_printf(p, "%s%s", p->len > 0 ? " " : "", text);
}

/* messages → the prompt text of template t, in *p. */
static int render_prompt(struct lmx_pcall *pc, enum tmpl t, struct lmx_buf *p,
                         struct lmx_perr *err)
{
    json_t *msgs = json_object_get(pc->req, "messages"), *m;
    struct lmx_buf text, sys;
    bool first_user = true, have_sys = false;
    size_t i;
    int e = 0;

    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        lmx_perr_set(err, 400, "invalid_request_error", "messages",
                     "messages must be a non-empty array");
        return LMX_EBADREQ;
    }
    lmx_buf_init(&text, TEXT_MAX);
    lmx_buf_init(&sys, TEXT_MAX);
    if (t == T_MISTRAL)
        e = lmx_buf_puts(p, "<s>");
    else if (t == T_LLAMA3)
        e = lmx_buf_puts(p, "<|begin_of_text|>");
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        bool is_sys;

        if (e < 0)
            break;
        if (role == NULL) {
            lmx_perr_set(err, 400, "invalid_request_error", "messages", "a message has no role");
            e = LMX_EBADREQ;
            break;
        }
        is_sys = strcmp(role, "system") == 0 || strcmp(role, "developer") == 0;
        lmx_buf_reset(&text);
        if (lmx_buf_puts(&text, "") < 0) {
            e = LMX_ENOMEM;
            break;
        }
        e = content_text(json_object_get(m, "content"), &text, err);
        if (e < 0)
            break;
        if (is_sys && (t == T_LLAMA2 || t == T_MISTRAL)) {
            /* folded into the first user turn */
            if (have_sys)
                e = lmx_buf_puts(&sys, "\n");
            if (e == 0)
                e = lmx_buf_append(&sys, text.data, text.len);
            have_sys = true;
            continue;
        }
        e = render_one(t, is_sys ? "system" : role, text.data, first_user && !is_sys,
                       have_sys ? sys.data : NULL, p);
        if (strcmp(role, "user") == 0)
            first_user = false;
    }
    if (e == 0 && t == T_LLAMA3)
        e = lmx_buf_puts(p, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    else if (e == 0 && t == T_CHATML)
        e = lmx_buf_puts(p, "<|im_start|>assistant\n");
    else if (e == 0 && p->data == NULL)
        e = lmx_buf_puts(p, "");
    if (e == LMX_ENOMEM || e == LMX_ETOOBIG)
        e = nomem(err);
    lmx_buf_release(&text);
    lmx_buf_release(&sys);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Request bodies */

/* OpenAI parameters TGI has under the same name, and TGI's own. */
/* clang-format off */
static const char *const tgi_same[] = {
    "top_p", "seed", "frequency_penalty", "top_k", "repetition_penalty", "do_sample",
    "typical_p", "truncate", "watermark", "return_full_text", "decoder_input_details",
    "top_n_tokens", "best_of", "adapter_id", "grammar",
};
/* clang-format on */

static int unsupported(struct lmx_pcall *pc, struct lmx_perr *err, const char *k)
{
    if (pc->drop_params)
        return 0;
    lmx_perr_set(err, 400, "invalid_request_error", k,
                 "sagemaker (TGI) does not support parameter '%s' for endpoint '%s'. To drop it "
                 "from the call, set `drop_params: true`",
                 k, pc->model);
    return LMX_EBADPARAM;
}

static bool allow_zero_temp(const struct lmx_pcall *pc)
{
    const char *k = "aws_sagemaker_allow_zero_temp";

    return json_is_true(json_object_get(pc->dep->litellm_params, k)) ||
           json_is_true(json_object_get(pc->req, k));
}

static int tgi_param(struct lmx_pcall *pc, json_t *params, const char *k, json_t *v,
                     struct lmx_perr *err)
{
    if (strcmp(k, "max_tokens") == 0 || strcmp(k, "max_completion_tokens") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            lmx_perr_set(err, 400, "invalid_request_error", k, "%s must be a positive integer", k);
            return LMX_EBADREQ;
        }
        /* TGI refuses 0; max_completion_tokens wins over max_tokens */
        if (strcmp(k, "max_tokens") == 0 && json_object_get(pc->req, "max_completion_tokens"))
            return 0;
        return lmx_json_put(params, "max_new_tokens",
                            json_integer(LMX_MAX(json_integer_value(v), (json_int_t)1)));
    }
    if (strcmp(k, "temperature") == 0) {
        if (!json_is_number(v)) {
            lmx_perr_set(err, 400, "invalid_request_error", k, "temperature must be a number");
            return LMX_EBADREQ;
        }
        if (json_number_value(v) == 0 && !allow_zero_temp(pc))
            return lmx_json_put(params, k, json_real(ZERO_TEMP));
        return lmx_json_put(params, k, json_incref(v));
    }
    if (strcmp(k, "stop") == 0) {
        if (json_is_string(v))
            return lmx_json_put(params, k, json_pack("[O]", v));
        if (!json_is_array(v)) {
            lmx_perr_set(err, 400, "invalid_request_error", k,
                         "stop must be a string or an array of strings");
            return LMX_EBADREQ;
        }
        return lmx_json_put(params, k, json_incref(v));
    }
    if (strcmp(k, "n") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            lmx_perr_set(err, 400, "invalid_request_error", k, "n must be a positive integer");
            return LMX_EBADREQ;
        }
        if (json_integer_value(v) == 1)
            return 0;
        /* LiteLLM: best_of, which needs sampling (the answer is still one choice) */
        if (lmx_json_put(params, "best_of", json_incref(v)) < 0)
            return LMX_ENOMEM;
        return lmx_json_put(params, "do_sample", json_true());
    }
    if (lmx_param_in(k, tgi_same, LMX_ARRAY_SIZE(tgi_same)))
        return lmx_json_put(params, k, json_incref(v));
    if (strcmp(k, "user") == 0 || strcmp(k, "messages") == 0 ||
        strcmp(k, "aws_sagemaker_allow_zero_temp") == 0)
        return 0;
    return unsupported(pc, err, k);
}

static int tgi_body(struct lmx_pcall *pc, struct sm_state *st, json_t **out, struct lmx_perr *err)
{
    const char *hf = lp_str(pc->dep, "hf_model_name");
    json_t *body = NULL, *params = json_object(), *v;
    struct lmx_buf prompt;
    const char *k;
    int e;

    *out = NULL;
    lmx_buf_init(&prompt, TEXT_MAX);
    if (hf == NULL)
        hf = json_string_value(json_object_get(pc->req, "hf_model_name"));
    if (params == NULL) {
        e = nomem(err);
        goto out;
    }
    e = render_prompt(pc, template_of(hf != NULL ? hf : pc->model), &prompt, err);
    if (e < 0)
        goto out;
    json_object_foreach((json_t *)pc->req, k, v) {
        if (json_is_null(v) || lmx_param_internal(k) ||
            lmx_param_in(k, own_keys, LMX_ARRAY_SIZE(own_keys)) || lmx_param_dropped(pc->dep, k))
            continue;
        e = tgi_param(pc, params, k, v, err);
        if (e == LMX_ENOMEM)
            e = nomem(err);
        if (e < 0)
            goto out;
    }
    if (lmx_json_put(params, "details", json_true()) < 0) {
        e = nomem(err);
        goto out;
    }
    body = json_pack("{s:s%,s:O}", "inputs", prompt.data, prompt.len, "parameters", params);
    if (body == NULL || (pc->stream && lmx_json_put(body, "stream", json_true()) < 0)) {
        e = nomem(err);
        goto out;
    }
    st->prompt = lmx_buf_steal(&prompt);
    if (st->prompt == NULL) {
        e = nomem(err);
        goto out;
    }
    st->prompt_tokens = estimate_tokens(strlen(st->prompt));
    *out = body;
    body = NULL;
out:
    json_decref(body);
    json_decref(params);
    lmx_buf_release(&prompt);
    return e;
}

static int chat_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    json_t *body = json_object(), *v;
    const char *k;

    *out = NULL;
    if (body == NULL)
        return nomem(err);
    if (!json_is_array(json_object_get(pc->req, "messages"))) {
        json_decref(body);
        lmx_perr_set(err, 400, "invalid_request_error", "messages", "messages must be an array");
        return LMX_EBADREQ;
    }
    if (lmx_json_put(body, "model", json_string(pc->model)) < 0)
        goto fail;
    json_object_foreach((json_t *)pc->req, k, v) {
        if (json_is_null(v) || lmx_param_internal(k) ||
            lmx_param_in(k, own_keys, LMX_ARRAY_SIZE(own_keys)) || lmx_param_dropped(pc->dep, k))
            continue;
        if (json_object_set(body, k, v) < 0)
            goto fail;
    }
    if (pc->stream) {
        v = json_object_get(pc->req, "stream_options");
        if (lmx_json_put(body, "stream", json_true()) < 0 ||
            (json_is_object(v) && json_object_set(body, "stream_options", v) < 0))
            goto fail;
    }
    *out = body;
    return 0;
fail:
    json_decref(body);
    return nomem(err);
}

/* ------------------------------------------------------------------------ */
/* build */

/*
 * The URL: sagemaker_base_url as it is; else api_base (or the provider
 * table's "{region}" template) or runtime.sagemaker.{region}.amazonaws.com,
 * then /endpoints/{name}/invocations[-response-stream].
 */
static int url_of(struct lmx_pcall *pc, const char *region, struct lmx_buf *out)
{
    const struct lmx_deployment *d = pc->dep;
    const char *full = lp_str(d, "sagemaker_base_url"), *b = lp_str(d, "api_base"), *tmpl;
    size_t n;
    int e = 0;

    if (full == NULL)
        full = json_string_value(json_object_get(pc->req, "sagemaker_base_url"));
    if (full != NULL)
        return lmx_buf_puts(out, full);
    if (b == NULL && d->api_base != NULL && *d->api_base != '\0')
        b = d->api_base;
    if (b == NULL) {
        e = lmx_buf_printf(out, ENDPOINT_FMT, region);
    } else {
        n = strlen(b);
        while (n > 0 && b[n - 1] == '/')
            n--;
        while (e == 0 && n > 0 && (tmpl = memmem(b, n, "{region}", 8)) != NULL) {
            e = lmx_buf_append(out, b, (size_t)(tmpl - b));
            if (e == 0)
                e = lmx_buf_puts(out, region);
            n -= (size_t)(tmpl - b) + 8;
            b = tmpl + 8;
        }
        if (e == 0)
            e = lmx_buf_append(out, b, n);
    }
    if (e == 0)
        e = lmx_buf_puts(out, "/endpoints/");
    if (e == 0)
        e = lmx_sigv4_uri_encode(out, pc->model, strlen(pc->model), false);
    if (e == 0)
        e = lmx_buf_puts(out, pc->stream ? "/invocations-response-stream" : "/invocations");
    return e;
}

static void state_free(struct sm_state *st)
{
    if (st == NULL)
        return;
    lmx_es_decoder_release(&st->dec);
    lmx_buf_release(&st->line);
    lmx_free(st->prompt);
    lmx_free(st);
}

static void sm_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

static int sm_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct sm_state *st = NULL;
    json_t *body = NULL;
    const char *region, *host, *path, *ic;
    char region_buf[72], hostz[512], *text = NULL;
    size_t host_len;
    int e;

    if (pc->ep != LMX_EP_CHAT) {
        lmx_perr_set(err, 501, "not_implemented", NULL,
                     "%s: only /chat/completions is served by this llmux build",
                     pc->dep->provider);
        return LMX_ENOTIMPL;
    }
    if (pc->model == NULL || *pc->model == '\0') {
        lmx_perr_set(err, 400, "invalid_request_error", "model",
                     "a sagemaker deployment needs an endpoint name: sagemaker/<endpoint>");
        return LMX_EBADMODEL;
    }
    region = lmx__aws_region(pc->dep, NULL, region_buf, sizeof(region_buf));
    if (region == NULL) {
        lmx_perr_set(err, 500, "internal_server_error", NULL, "invalid AWS region for '%.64s'",
                     pc->dep->id != NULL ? pc->dep->id : pc->dep->model);
        return LMX_ECONFIG;
    }
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return nomem(err);
    lmx_es_decoder_init(&st->dec, STREAM_MSG_MAX);
    lmx_buf_init(&st->line, LINE_MAX_BYTES);
    st->tgi = strcmp(pc->dep->provider, "sagemaker") == 0;
    if (pc->call_id != NULL && *pc->call_id != '\0') {
        snprintf(st->id, sizeof(st->id), "chatcmpl-%.60s", pc->call_id);
    } else {
        char uuid[37];

        lmx_uuid4(uuid);
        snprintf(st->id, sizeof(st->id), "chatcmpl-%s", uuid);
    }
    snprintf(st->model, sizeof(st->model), "%s", pc->model);
    st->created = (long)lmx_wall_s();
    st->include_usage =
        json_is_true(json_object_get(json_object_get(pc->req, "stream_options"), "include_usage"));

    e = st->tgi ? tgi_body(pc, st, &body, err) : chat_body(pc, &body, err);
    if (e < 0)
        goto out;
    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL || lmx_buf_puts(&out->body, text) < 0) {
        e = nomem(err);
        goto out;
    }
    e = url_of(pc, region, &out->url);
    if (e < 0 || !lmx__aws_split_url(out->url.data, &host, &host_len, &path)) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "sagemaker URL '%.200s' is not an http(s) URL",
                     out->url.data != NULL ? out->url.data : "");
        e = e < 0 ? e : LMX_ECONFIG;
        goto out;
    }
    snprintf(hostz, sizeof(hostz), "%.*s", (int)LMX_MIN(host_len, sizeof(hostz) - 1), host);
    out->method = "POST";
    e = lmx_upreq_header(out, "Content-Type", "application/json");
    if (e == 0)
        e = lmx_upreq_header(out, "Host", "%s", hostz);
    ic = lp_str(pc->dep, "model_id");
    if (ic == NULL)
        ic = json_string_value(json_object_get(pc->req, "model_id"));
    if (e == 0 && ic != NULL)
        e = lmx_upreq_header(out, "X-Amzn-SageMaker-Inference-Component", "%s", ic);
    if (e < 0) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "sagemaker request headers too large");
        goto out;
    }
    {
        /* the signed path is the URL's, without a query */
        char *q = strchr(path, '?');
        char *p = lmx_strdup(path);

        if (p == NULL) {
            e = nomem(err);
            goto out;
        }
        if (q != NULL)
            p[q - path] = '\0';
        e = lmx__aws_sign(pc->dep, out, "sagemaker", region, hostz, *p != '\0' ? p : "/", err);
        lmx_free(p);
    }
    if (e < 0)
        goto out;
    sm_release(pc);
    pc->state = st;
    st = NULL;
out:
    state_free(st);
    lmx_free(text);
    json_decref(body);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Answers */

static const char *tgi_finish(const char *r)
{
    if (r != NULL && strcmp(r, "length") == 0)
        return "length";
    return "stop"; /* eos_token, stop_sequence */
}

/* TGI's generated text, without the prompt when the container echoed it (return_full_text). */
static const char *tgi_text(const struct sm_state *st, const char *text)
{
    size_t n = st->prompt != NULL ? strlen(st->prompt) : 0;

    if (n > 0 && strncmp(text, st->prompt, n) == 0)
        return text + n;
    return text;
}

static int parse_tgi(struct sm_state *st, json_t *root, json_t **out, struct lmx_perr *err)
{
    json_t *first = json_is_array(root) ? json_array_get(root, 0) : root;
    json_t *details = json_object_get(first, "details");
    json_t *gt = json_object_get(details, "generated_tokens");
    const char *text = json_string_value(json_object_get(first, "generated_text"));
    long completion;

    if (text == NULL)
        text = json_string_value(json_object_get(first, "generation"));
    if (text == NULL) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "sagemaker answered without generated_text");
        return LMX_EUPSTREAM;
    }
    text = tgi_text(st, text);
    completion = json_is_integer(gt) ? (long)json_integer_value(gt) : estimate_tokens(strlen(text));
    *out = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id", st->id,
                     "object", "chat.completion", "created", (json_int_t)st->created, "model",
                     st->model, "choices", "index", 0, "message", "role", "assistant", "content",
                     text, "finish_reason",
                     tgi_finish(json_string_value(json_object_get(details, "finish_reason"))),
                     "usage", "prompt_tokens", (json_int_t)st->prompt_tokens,
                     "completion_tokens", (json_int_t)completion, "total_tokens",
                     (json_int_t)(st->prompt_tokens + completion));
    return *out != NULL ? 0 : nomem(err);
}

static int sm_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct sm_state *st = pc->state;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    int e;

    *out = NULL;
    if (st == NULL) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL, "sagemaker answer without a request");
        return LMX_EINTERNAL;
    }
    if (!json_is_object(root) && !json_is_array(root)) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "sagemaker answered with a body that is not JSON: %.*s",
                     (int)LMX_MIN(len, 80), body != NULL ? body : "");
        return LMX_EUPSTREAM;
    }
    if (st->tgi) {
        e = parse_tgi(st, root, out, err);
    } else if (!json_is_object(root) || !json_is_array(json_object_get(root, "choices"))) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "sagemaker endpoint '%s' answered without choices: %.*s", st->model,
                     (int)LMX_MIN(len, 120), body);
        e = LMX_EUPSTREAM;
    } else {
        /* the container's own chat.completion; model and object filled in when missing */
        const char *m = json_string_value(json_object_get(root, "model"));

        e = 0;
        if ((m == NULL || *m == '\0') && lmx_json_put(root, "model", json_string(st->model)) < 0)
            e = nomem(err);
        if (e == 0 && json_object_get(root, "object") == NULL &&
            lmx_json_put(root, "object", json_string("chat.completion")) < 0)
            e = nomem(err);
        if (e == 0)
            *out = json_incref(root);
    }
    json_decref(root);
    return e;
}

/* ------------------------------------------------------------------------ */
/* Errors */

static const char *type_of_status(int status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401 || status == 403)
        return "auth_error";
    if (status == 404)
        return "not_found_error";
    if (status >= 500)
        return "internal_server_error";
    return "invalid_request_error";
}

/*
 * {"message"} or {"Message"} of SageMaker's own errors; a ModelError (424)
 * carries the container's answer in OriginalStatusCode and OriginalMessage
 * (a TGI {"error": ...} body, read when it is one): that status and message
 * are the client's.
 */
static void sm_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *oc = json_object_get(root, "OriginalStatusCode"), *inner = NULL;
    const char *msg = json_string_value(json_object_get(root, "OriginalMessage"));
    int st = (int)status;

    LMX_UNUSED(pc);
    if (msg != NULL) {
        inner = json_loads(msg, 0, NULL);
        if (json_is_string(json_object_get(inner, "error")))
            msg = json_string_value(json_object_get(inner, "error"));
        if (json_is_integer(oc) && json_integer_value(oc) >= 400 && json_integer_value(oc) <= 599)
            st = (int)json_integer_value(oc);
    }
    if (msg == NULL)
        msg = json_string_value(json_object_get(root, "message"));
    if (msg == NULL)
        msg = json_string_value(json_object_get(root, "Message"));
    if (msg != NULL)
        lmx_perr_set(out, st, type_of_status(st), NULL, "%s", msg);
    else
        lmx_perr_set(out, st, type_of_status(st), NULL, "sagemaker returned HTTP %ld: %.*s",
                     status, (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(inner);
    json_decref(root);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static int deliver(struct sm_state *st, json_t *chunk)
{
    int e;

    if (chunk == NULL)
        return LMX_ENOMEM;
    st->any = true;
    e = st->cb(chunk, st->ud);
    json_decref(chunk);
    if (e < 0)
        st->cb_err = e;
    return e;
}

/* One chunk with `delta` (stolen) and finish_reason (NULL: null), role on the first. */
static int emit(struct sm_state *st, json_t *delta, const char *fr)
{
    if (delta == NULL)
        return LMX_ENOMEM;
    if (!st->sent_role && json_object_set_new(delta, "role", json_string("assistant")) < 0) {
        json_decref(delta);
        return LMX_ENOMEM;
    }
    st->sent_role = true;
    return deliver(st, json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o}]}", "id", st->id, "object",
                                 "chat.completion.chunk", "created", (json_int_t)st->created,
                                 "model", st->model, "choices", "index", 0, "delta", delta,
                                 "finish_reason", fr != NULL ? json_string(fr) : json_null()));
}

static int emit_usage(struct sm_state *st, long completion)
{
    if (!st->include_usage)
        return 0;
    return deliver(st, json_pack("{s:s,s:s,s:I,s:s,s:[],s:{s:I,s:I,s:I}}", "id", st->id, "object",
                                 "chat.completion.chunk", "created", (json_int_t)st->created,
                                 "model", st->model, "choices", "usage", "prompt_tokens",
                                 (json_int_t)st->prompt_tokens, "completion_tokens",
                                 (json_int_t)completion, "total_tokens",
                                 (json_int_t)(st->prompt_tokens + completion)));
}

static int stream_fail(struct sm_state *st, int status, const char *fmt, ...) LMX_PRINTF(3, 4);

static int stream_fail(struct sm_state *st, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lmx_perr_set(st->err, status, type_of_status(status), NULL, "%s", msg);
    return LMX_EUPSTREAM;
}

/* A TGI token event: {"token":{"text","special"},"generated_text","details"}. */
static int on_tgi(struct sm_state *st, json_t *ev)
{
    json_t *tok = json_object_get(ev, "token");
    json_t *text = json_object_get(tok, "text");
    json_t *details = json_object_get(ev, "details");
    json_t *gt = json_object_get(details, "generated_tokens");
    int e = 0;

    if (st->finished)
        return 0;
    if (json_is_string(text) && json_string_length(text) > 0 &&
        !json_is_true(json_object_get(tok, "special"))) {
        st->out_chars += (long)json_string_length(text);
        e = emit(st, json_pack("{s:O}", "content", text), NULL);
    } else if (!st->sent_role) {
        e = emit(st, json_pack("{s:s}", "content", ""), NULL);
    }
    if (e < 0)
        return e;
    if (json_is_object(details) || json_is_string(json_object_get(ev, "generated_text"))) {
        long completion = json_is_integer(gt) ? (long)json_integer_value(gt)
                                              : estimate_tokens((size_t)st->out_chars);

        st->finished = true;
        e = emit(st, json_object(),
                 tgi_finish(json_string_value(json_object_get(details, "finish_reason"))));
        return e < 0 ? e : emit_usage(st, completion);
    }
    return 0;
}

/* A container's OpenAI chunk (or a whole chat.completion) → the client's chunk(s). */
static int on_chat(struct sm_state *st, json_t *ev)
{
    const char *obj = json_string_value(json_object_get(ev, "object"));
    const char *m = json_string_value(json_object_get(ev, "model"));
    json_t *chunk, *choices, *c;
    size_t i;
    int e;

    if (obj != NULL && strcmp(obj, "chat.completion") == 0) {
        /* a container that does not stream: its answer as one chunk, then its usage */
        json_t *u = json_object_get(ev, "usage");

        chunk = json_deep_copy(ev);
        if (chunk == NULL)
            return LMX_ENOMEM;
        choices = json_object_get(chunk, "choices");
        json_array_foreach(choices, i, c) {
            json_t *msg = json_object_get(c, "message");
            json_t *calls = json_object_get(msg, "tool_calls");
            size_t k;
            json_t *tc;

            json_array_foreach(calls, k, tc) {
                if (json_object_get(tc, "index") == NULL)
                    json_object_set_new(tc, "index", json_integer((json_int_t)k));
            }
            if (msg != NULL && json_object_set(c, "delta", msg) < 0) {
                json_decref(chunk);
                return LMX_ENOMEM;
            }
            json_object_del(c, "message");
        }
        json_object_del(chunk, "usage");
        if (lmx_json_put(chunk, "object", json_string("chat.completion.chunk")) < 0 ||
            ((m == NULL || *m == '\0') &&
             lmx_json_put(chunk, "model", json_string(st->model)) < 0)) {
            json_decref(chunk);
            return LMX_ENOMEM;
        }
        st->finished = true;
        e = deliver(st, chunk);
        if (e < 0 || !json_is_object(u) || !st->include_usage)
            return e;
        chunk = json_pack("{s:s,s:s,s:I,s:s,s:[],s:O}", "id", st->id, "object",
                          "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                          m != NULL && *m != '\0' ? m : st->model, "choices", "usage", u);
        return deliver(st, chunk);
    }
    if (json_object_get(ev, "choices") == NULL && json_object_get(ev, "usage") == NULL)
        return 0; /* a keep-alive or an event of the container's own */
    chunk = json_deep_copy(ev);
    if (chunk == NULL)
        return LMX_ENOMEM;
    if (((m == NULL || *m == '\0') && lmx_json_put(chunk, "model", json_string(st->model)) < 0) ||
        (obj == NULL && lmx_json_put(chunk, "object", json_string("chat.completion.chunk")) < 0) ||
        (json_object_get(chunk, "id") == NULL &&
         lmx_json_put(chunk, "id", json_string(st->id)) < 0)) {
        json_decref(chunk);
        return LMX_ENOMEM;
    }
    json_array_foreach(json_object_get(chunk, "choices"), i, c) {
        json_t *fr = json_object_get(c, "finish_reason");

        if (json_is_string(fr))
            st->finished = true;
    }
    return deliver(st, chunk);
}

/* One line of the container's stream (without its end of line). */
static int on_line(struct sm_state *st, const char *p, size_t n)
{
    json_t *ev, *er;
    int e;

    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    if (n == 0 || p[0] == ':' || has_prefix(p, "event:") || has_prefix(p, "id:") ||
        has_prefix(p, "retry:"))
        return 0;
    if (n >= 5 && memcmp(p, "data:", 5) == 0) {
        p += 5;
        n -= 5;
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
    }
    if (n == 6 && memcmp(p, "[DONE]", 6) == 0) {
        st->done = true;
        return 0;
    }
    ev = json_loadb(p, n, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return stream_fail(st, 500,
                           "sagemaker endpoint '%s' streamed a line that is not JSON: %.*s",
                           st->model, (int)LMX_MIN(n, 120), p);
    }
    er = json_object_get(ev, "error");
    if (er != NULL && !json_is_null(er)) {
        const char *msg = json_is_string(er) ? json_string_value(er)
                                             : json_string_value(json_object_get(er, "message"));

        e = stream_fail(st, 500, "sagemaker endpoint '%s' failed mid-stream: %s", st->model,
                        msg != NULL ? msg : "unknown error");
        json_decref(ev);
        return e;
    }
    e = st->tgi ? on_tgi(st, ev) : on_chat(st, ev);
    json_decref(ev);
    if (e == LMX_ENOMEM && st->cb_err != e)
        lmx_perr_set(st->err, 503, "internal_server_error", NULL, "out of memory");
    return e;
}

/* PayloadPart bytes: complete lines are handled, the rest waits for the next part. */
static int on_bytes(struct sm_state *st, const uint8_t *p, size_t n)
{
    const char *nl;
    int e;

    if (lmx_buf_append(&st->line, p, n) < 0)
        return stream_fail(st, 500, "sagemaker endpoint '%s' streamed a line longer than %u bytes",
                           st->model, LINE_MAX_BYTES);
    while (st->line.len > 0 && (nl = memchr(st->line.data, '\n', st->line.len)) != NULL) {
        size_t k = (size_t)(nl - st->line.data);

        e = on_line(st, st->line.data, k);
        if (e < 0)
            return e;
        lmx_buf_consume(&st->line, k + 1);
    }
    return 0;
}

static int on_message(const struct lmx_es_msg *m, void *ud)
{
    struct sm_state *st = ud;

    if (lmx_es_str_is(m, ":message-type", "exception") ||
        lmx_es_str_is(m, ":message-type", "error")) {
        const struct lmx_es_header *t = lmx_es_find(m, ":exception-type");
        json_t *root = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
        const char *msg = json_string_value(json_object_get(root, "Message"));
        char name[64] = "error";
        int e;

        if (t == NULL)
            t = lmx_es_find(m, ":error-code");
        if (t != NULL && t->type == LMX_ES_STRING)
            snprintf(name, sizeof(name), "%.*s", (int)LMX_MIN(t->v_len, 63), (const char *)t->v);
        if (msg == NULL)
            msg = json_string_value(json_object_get(root, "message"));
        e = stream_fail(st, strcmp(name, "ModelStreamError") == 0 ? 424 : 500,
                        "sagemaker stream error %s: %s", name, msg != NULL ? msg : "(no message)");
        json_decref(root);
        return e;
    }
    if (!lmx_es_str_is(m, ":event-type", "PayloadPart"))
        return 0;
    return on_bytes(st, m->payload, m->payload_len);
}

static int sm_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud,
                          struct lmx_perr *err)
{
    struct sm_state *st = pc->state;

    if (st == NULL) {
        lmx_perr_set(err, 500, "internal_server_error", NULL, "sagemaker stream without a request");
        return LMX_EINTERNAL;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_err = 0;
    return lmx__aws_es_feed(&st->dec, p, n, on_message, st, &st->cb_err, "sagemaker",
                            STREAM_MSG_MAX, err);
}

static int sm_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct sm_state *st = pc->state;
    int e;

    if (st == NULL) {
        lmx_perr_set(err, 500, "internal_server_error", NULL, "sagemaker stream without a request");
        return LMX_EINTERNAL;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_err = 0;
    e = lmx__aws_es_end(&st->dec, "sagemaker", err);
    if (e < 0)
        return e;
    if (st->line.len > 0) {
        /* a last line without its end of line */
        e = on_line(st, st->line.data, st->line.len);
        lmx_buf_reset(&st->line);
        if (e < 0)
            return e;
    }
    if (st->tgi && !st->finished) {
        if (!st->any) {
            lmx_perr_set(err, 500, "internal_server_error", NULL,
                         "sagemaker stream ended before any token");
            return LMX_EUPSTREAM;
        }
        st->finished = true;
        e = emit(st, json_object(), "stop");
        return e < 0 ? e : emit_usage(st, estimate_tokens((size_t)st->out_chars));
    }
    return 0;
}

const struct lmx_provider_ops lmx_provider_sagemaker_ops = {
    .name = "sagemaker",
    .build = sm_build,
    .parse = sm_parse,
    .stream_feed = sm_stream_feed,
    .stream_end = sm_stream_end,
    .map_error = sm_map_error,
    .release = sm_release,
};
