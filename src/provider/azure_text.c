/*
 * provider/azure_text.c - Azure OpenAI legacy completions (`azure_text/`
 * deployments), as LiteLLM's AzureOpenAITextConfig calls them.
 *
 *   POST {api_base}/openai/deployments/{deployment}/completions?api-version={v}
 *   "api-key: {api_key}" (else "Authorization: Bearer {azure_ad_token}")
 *
 * {v} is api_version, else AZURE_API_VERSION (the config loader's lookup),
 * else 2024-10-21. The chat is bridged like LiteLLM's text-completion
 * transform: one message -> its text as the prompt; several -> a list of
 * their texts; the OpenAI sampling parameters go along (max_completion_tokens
 * -> max_tokens, top_logprobs -> logprobs), and completion-only ones (echo,
 * suffix, best_of) pass through. The text_completion answer becomes a
 * chat.completion (text -> message.content), its SSE chunks chat chunks; a
 * usage chunk (stream_options.include_usage) passes on. /completions
 * requests reach this file bridged to chat by the proxy, their prompt as the
 * one user message.
 *
 * Not here: tools, functions and response_format (the completions API has
 * none: refused with 400 unless drop_params), Entra ID token fetching (a
 * ready azure_ad_token is used).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/azure_text.h"
#include "provider/params.h"
#include "upstream/sse.h"

#define AT_VERSION   "2024-10-21"
#define AT_EVENT_MAX ((size_t)16 << 20)

/* pc->state of a call. */
struct at_call {
    struct lmx_sse_reader sse;
    bool sse_init;
    bool role_sent;
    /* the feed in progress */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
    const char *model;
};

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "azure_text: out of memory building the request");
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static void at_release(struct lmx_pcall *pc)
{
    struct at_call *ac = pc->state;

    if (ac == NULL)
        return;
    if (ac->sse_init)
        lmx_sse_reader_release(&ac->sse);
    lmx_free(ac);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* Sampling parameters the completions API takes as they are. */
static const char *const passed[] = {
    "temperature", "top_p", "n",    "stop",   "presence_penalty", "frequency_penalty",
    "logit_bias",  "user",  "seed", "suffix", "echo",             "best_of",
    "max_tokens",  "stream_options",
};

/* Chat-only parameters the completions API has no equivalent for. */
static const char *const unsupported[] = {
    "tools",           "tool_choice", "functions", "function_call", "response_format",
    "parallel_tool_calls", "reasoning_effort", "modalities", "audio", "prediction",
    "web_search_options",
};

/* A message's content as one string: a string, or its text parts joined; NULL: none. */
static json_t *text_of(const json_t *msg)
{
    const json_t *c = json_object_get(msg, "content"), *part;
    struct lmx_buf b;
    json_t *s = NULL;
    size_t i;

    if (json_is_string(c))
        return json_incref((json_t *)c);
    if (!json_is_array(c))
        return json_string("");
    lmx_buf_init(&b, 64u << 20);
    json_array_foreach(c, i, part) {
        const char *t = lmx_json_str(part, "text");

        if (t != NULL && lmx_buf_puts(&b, t) < 0)
            goto out;
    }
    s = json_stringn(b.data != NULL ? b.data : "", b.len);
out:
    lmx_buf_release(&b);
    return s;
}

/* LiteLLM's prompt of a chat: one message -> its text, several -> a list of texts. */
static json_t *prompt_of(const json_t *msgs)
{
    const json_t *m;
    json_t *list;
    size_t i;

    if (json_array_size(msgs) == 1)
        return text_of(json_array_get(msgs, 0));
    list = json_array();
    if (list == NULL)
        return NULL;
    json_array_foreach(msgs, i, m) {
        if (json_array_append_new(list, text_of(m)) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static int text_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v, *msgs = json_object_get(req, "messages");
    json_t *body, *prompt;
    bool bad = false;

    *out = NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported); i++) {
        v = json_object_get(req, unsupported[i]);
        if (v != NULL && !json_is_null(v) && !pc->drop_params) {
            lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                          "azure_text does not support parameters: ['%s'], for model=%s. To "
                          "drop these, set `litellm.drop_params=True` or for proxy:\n\n"
                          "`litellm_settings:\n drop_params: true`\n",
                          unsupported[i], pc->model != NULL ? pc->model : "");
            snprintf(err->param, sizeof(err->param), "%s", unsupported[i]);
            return LMX_EBADPARAM;
        }
    }
    if (json_array_size(msgs) == 0)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "azure_text: the request has no messages");
    prompt = prompt_of(msgs);
    if (prompt == NULL)
        return oom(err);
    body = json_pack("{s:s,s:o}", "model", pc->model != NULL ? pc->model : "", "prompt", prompt);
    if (body == NULL)
        return oom(err);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(passed); i++) {
        v = json_object_get(req, passed[i]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(body, passed[i], (json_t *)v) < 0;
    }
    v = json_object_get(req, "max_completion_tokens");
    if (v != NULL && !json_is_null(v))
        bad = bad || json_object_set(body, "max_tokens", (json_t *)v) < 0;
    v = json_object_get(req, "top_logprobs");
    if (json_is_integer(v))
        bad = bad || json_object_set(body, "logprobs", (json_t *)v) < 0;
    else if (json_is_integer(json_object_get(req, "logprobs")))
        bad = bad || json_object_set(body, "logprobs", json_object_get(req, "logprobs")) < 0;
    if (pc->stream)
        bad = bad || json_object_set_new(body, "stream", json_true()) < 0;
    else
        json_object_del(body, "stream_options");
    if (bad) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

static int at_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *m = pc->model != NULL ? pc->model : "", *ver, *ad;
    json_t *body = NULL;
    size_t n;
    int rc;

    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "azure_text deployments serve /completions and /chat/completions "
                             "only (model=%s)",
                             m);
    if (d->api_base == NULL || d->api_base[0] == '\0')
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "azure_text: no api_base for deployment '%s' (set api_base or "
                             "AZURE_API_BASE)",
                             d->model != NULL ? d->model : "");
    if (pc->state == NULL) {
        pc->state = lmx_calloc(1, sizeof(struct at_call));
        if (pc->state == NULL)
            return oom(err);
    }
    rc = text_body(pc, &body, err);
    if (rc < 0)
        return rc;
    ver = d->api_version != NULL && d->api_version[0] != '\0' ? d->api_version : AT_VERSION;
    n = strlen(d->api_base);
    while (n > 0 && d->api_base[n - 1] == '/')
        n--;
    out->method = "POST";
    rc = lmx_buf_append(&out->url, d->api_base, n);
    if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/openai/deployments/%s/completions?api-version=%s", m,
                            ver);
    ad = lmx_json_str(d->litellm_params, "azure_ad_token");
    if (rc == 0 && d->api_key != NULL && d->api_key[0] != '\0')
        rc = lmx_upreq_header(out, "api-key", "%s", d->api_key);
    else if (rc == 0 && ad != NULL && ad[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", ad);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider 'azure_text' is too "
                                              "large");
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* One text_completion choice -> a chat choice (message) or chunk choice (delta). */
static json_t *choice_of(const json_t *ch, size_t i, bool delta, bool role)
{
    const json_t *idx = json_object_get(ch, "index"), *lp = json_object_get(ch, "logprobs");
    const char *text = lmx_json_str(ch, "text"), *finish = lmx_json_str(ch, "finish_reason");
    json_t *c;

    if (delta)
        c = role ? json_pack("{s:{s:s,s:s}}", "delta", "role", "assistant", "content",
                             text != NULL ? text : "")
                 : json_pack("{s:{s:s}}", "delta", "content", text != NULL ? text : "");
    else
        c = json_pack("{s:{s:s,s:s}}", "message", "role", "assistant", "content",
                      text != NULL ? text : "");
    if (c == NULL ||
        json_object_set_new(c, "index", json_integer(json_is_integer(idx)
                                                         ? json_integer_value(idx)
                                                         : (json_int_t)i)) < 0 ||
        json_object_set_new(c, "finish_reason",
                            finish != NULL ? json_string(finish) : json_null()) < 0 ||
        json_object_set(c, "logprobs", lp != NULL ? (json_t *)lp : json_null()) < 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* A text_completion object -> a chat object of `object`; NULL on out of memory. */
static json_t *chat_of(const json_t *root, const char *object, const char *model, bool delta,
                       bool role)
{
    const json_t *id = json_object_get(root, "id"), *created = json_object_get(root, "created");
    const json_t *ch, *u = json_object_get(root, "usage");
    json_t *choices = json_array(), *o;
    size_t i;

    if (choices == NULL)
        return NULL;
    json_array_foreach(json_object_get(root, "choices"), i, ch) {
        if (json_array_append_new(choices, choice_of(ch, i, delta, role)) < 0) {
            json_decref(choices);
            return NULL;
        }
    }
    o = json_pack("{s:s,s:s,s:I,s:s,s:o}", "id", json_is_string(id) ? json_string_value(id) : "",
                  "object", object, "created",
                  json_is_integer(created) ? json_integer_value(created) : (json_int_t)time(NULL),
                  "model", model, "choices", choices);
    if (o != NULL && json_is_object(u) && json_object_set(o, "usage", (json_t *)u) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int at_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL), *o;

    if (!json_is_object(root) || !json_is_array(json_object_get(root, "choices"))) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "azure_text: the answer is not a text completion: %.200s",
                             body != NULL ? body : "");
    }
    o = chat_of(root, "chat.completion", pc->model != NULL ? pc->model : "", false, false);
    json_decref(root);
    if (o == NULL)
        return oom(err);
    *out = o;
    return 0;
}

/* Azure's {"error":{"code","message"}} -> out. */
static void error_from(long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const json_t *e = json_object_get(root, "error");
    const char *msg = lmx_json_str(e, "message"), *code = lmx_json_str(e, "code");

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
        snprintf(out->message, sizeof(out->message), "azure_text: %s%s%s%s", msg,
                 code != NULL ? " (" : "", code != NULL ? code : "", code != NULL ? ")" : "");
    else
        snprintf(out->message, sizeof(out->message), "azure_text returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct at_call *ac = ud;
    json_t *root, *c;
    int rc;

    (void)event;
    (void)event_len;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 0;
    root = json_loadb(data, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return lmx_perr_fail(ac->err, LMX_EUPSTREAM, 502, "internal_server_error",
                             "azure_text: a stream event is not JSON: %.200s", data);
    }
    if (json_is_object(json_object_get(root, "error"))) {
        error_from(500, data, len, ac->err);
        json_decref(root);
        return LMX_EUPSTREAM;
    }
    c = chat_of(root, "chat.completion.chunk", ac->model, true, !ac->role_sent);
    json_decref(root);
    if (c == NULL)
        return lmx_perr_fail(ac->err, LMX_ENOMEM, 503, "internal_server_error",
                             "azure_text: out of memory");
    if (json_array_size(json_object_get(c, "choices")) > 0)
        ac->role_sent = true;
    rc = ac->cb(c, ac->ud);
    json_decref(c);
    return rc;
}

static int feed(struct lmx_pcall *pc, const char *p, size_t n, bool end, lmx_chunk_cb cb,
                void *ud, struct lmx_perr *err)
{
    struct at_call *ac = pc->state;
    int rc;

    if (ac == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "azure_text: stream bytes for a call that was not built");
    if (!ac->sse_init) {
        lmx_sse_reader_init(&ac->sse, AT_EVENT_MAX);
        ac->sse_init = true;
    }
    ac->cb = cb;
    ac->ud = ud;
    ac->err = err;
    ac->model = pc->model != NULL ? pc->model : "";
    rc = end ? lmx_sse_reader_finish(&ac->sse, on_event, ac)
             : lmx_sse_reader_feed(&ac->sse, p, n, on_event, ac);
    if (rc < 0 && err->status == 0)
        lmx_perr_fail(err, rc, 502, "internal_server_error",
                      "azure_text: cannot read the stream: %s", lmx_strerror(rc));
    return rc;
}

static int at_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    return feed(pc, p, n, false, cb, ud, err);
}

static int at_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    return feed(pc, NULL, 0, true, cb, ud, err);
}

static void at_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    (void)pc;
    error_from(status, body, len, out);
}

const struct lmx_provider_ops lmx_provider_azure_text_ops = {
    .name = "azure_text",
    .build = at_build,
    .parse = at_parse,
    .stream_feed = at_stream_feed,
    .stream_end = at_stream_end,
    .map_error = at_map_error,
    .release = at_release,
};
