/*
 * provider/watsonx.c - IBM watsonx.ai chat (`watsonx/` deployments) and text
 * generation (`watsonx_text/` deployments).
 *
 *   chat          POST {url}/ml/v1/text/chat?version={v}
 *   chat stream   POST {url}/ml/v1/text/chat_stream?version={v}
 *   deployment    POST {url}/ml/v1/deployments/{id}/text/chat(_stream)?version={v}
 *                 for `watsonx/deployment/{id}` (no model_id / project_id in the body)
 *
 * {url} is api_base, else WATSONX_URL (the config loader's lookup), else
 * WATSONX_API_BASE / WX_URL / WML_URL; {v} is api_version, else
 * WATSONX_API_VERSION, else 2024-03-13. The body is the OpenAI one made
 * watsonx's: {model_id, project_id | space_id, messages, tools, tool_choice
 * (an object) or tool_choice_option (a string), max_tokens, temperature,
 * top_p, frequency_penalty, presence_penalty, stop, seed, n,
 * response_format, logprobs, top_logprobs, time_limit}. project_id: the
 * param, else WATSONX_PROJECT_ID / WX_PROJECT_ID / PROJECT_ID; space_id: the
 * param, else WATSONX_DEPLOYMENT_SPACE_ID / WATSONX_SPACE_ID / WX_SPACE_ID /
 * SPACE_ID. The answer and the stream chunks are OpenAI-like already
 * (model_id, created_at and model_version are extra); the stream's usage
 * rides on its last chunk and goes out as a usage chunk when
 * stream_options.include_usage asks for it.
 *
 * Credentials, first found wins: litellm_params.token / WATSONX_TOKEN (a
 * ready bearer token); zen_api_key / WATSONX_ZENAPIKEY (Cloud Pak for Data:
 * "Authorization: ZenApiKey <key>"); else the API key (api_key, WATSONX_APIKEY,
 * WATSONX_API_KEY, WX_API_KEY) exchanged by the token step at WATSONX_IAM_URL
 * (default https://iam.cloud.ibm.com/identity/token) with the
 * urn:ibm:params:oauth:grant-type:apikey grant; the IAM token is cached by
 * provider/token.c under SHA-256(IAM URL, API key) until 5 minutes before it
 * expires.
 *
 * `watsonx_text/` (same URL, version and credentials, same token step):
 *
 *   generation    POST {url}/ml/v1/text/generation(_stream)?version={v}
 *   deployment    POST {url}/ml/v1/deployments/{id}/text/generation(_stream)?version={v}
 *
 * with {input, model_id, project_id | space_id, moderations, parameters:
 * {decoding_method ("sample" unless given), max_new_tokens (max_tokens),
 * temperature, top_p, repetition_penalty (frequency_penalty), random_seed
 * (seed), stop_sequences (stop), min_new_tokens (min_tokens), top_k,
 * length_penalty, truncate_input_tokens, time_limit, return_options,
 * include_stop_sequences}}. The input is the messages made one prompt as
 * LiteLLM does (text_prompt: Granite chat, Llama 3 instruct, else the
 * contents joined by spaces). The answer {results:[{generated_text,
 * generated_token_count, input_token_count, stop_reason}]} becomes a chat
 * completion; the stream's events (the same shape, one piece of text each)
 * become chunks, and a usage chunk when stream_options.include_usage asks.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/params.h"
#include "provider/token.h"
#include "provider/watsonx.h"
#include "upstream/sse.h"

#define DEFAULT_IAM_URL "https://iam.cloud.ibm.com/identity/token"
#define DEFAULT_VERSION "2024-03-13"
#define SSE_EVENT_MAX   ((size_t)16 << 20)
#define PROMPT_MAX      ((size_t)64 << 20)

enum wx_auth { WA_IAM, WA_TOKEN, WA_ZEN };

/* pc->state of a call. */
struct wx_call {
    char key[LMX_TOKEN_KEY_LEN + 1]; /* token cache key (WA_IAM) */
    char *token;                     /* lmx_malloc'd bearer token, NULL until known */
    struct lmx_sse_reader sse;
    bool sse_init;
    bool include_usage;
    bool usage_sent;
    json_t *usage; /* the last usage seen in the stream (owned) */
    char id[128];
    json_int_t created;
    /* watsonx_text: token counts seen so far, and whether a chunk went out */
    json_int_t in_tokens;
    json_int_t out_tokens;
    bool sent;
    /* the feed in progress */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "watsonx: out of memory building the request");
}

/* The first set variable of a space-separated list, or NULL. */
static const char *env_first(const char *names)
{
    char name[64];

    while (*names != '\0') {
        size_t n = strcspn(names, " ");
        const char *v;

        snprintf(name, sizeof(name), "%.*s", (int)LMX_MIN(n, sizeof(name) - 1), names);
        v = getenv(name);
        if (v != NULL && *v != '\0')
            return v;
        names += n;
        while (*names == ' ')
            names++;
    }
    return NULL;
}

/* A litellm_params string (or number: project ids may be written unquoted) into buf. */
static const char *param(const struct lmx_deployment *d, const char *k, char *buf, size_t cap)
{
    const json_t *v = json_object_get(d->litellm_params, k);

    if (json_is_string(v) && json_string_length(v) > 0)
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    return NULL;
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static struct wx_call *call_get(struct lmx_pcall *pc)
{
    struct wx_call *wc = pc->state;

    if (wc == NULL) {
        wc = lmx_calloc(1, sizeof(*wc));
        pc->state = wc;
    }
    return wc;
}

static void wx_release(struct lmx_pcall *pc)
{
    struct wx_call *wc = pc->state;

    if (wc == NULL)
        return;
    if (wc->sse_init)
        lmx_sse_reader_release(&wc->sse);
    json_decref(wc->usage);
    lmx_free(wc->token);
    lmx_free(wc);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Credentials and the token step */

static const char *iam_url(void)
{
    const char *u = env_first("WATSONX_IAM_URL");

    return u != NULL ? u : DEFAULT_IAM_URL;
}

static const char *api_key_of(const struct lmx_deployment *d)
{
    if (d->api_key != NULL && *d->api_key != '\0')
        return d->api_key;
    return env_first("WATSONX_APIKEY WATSONX_API_KEY WX_API_KEY");
}

/* How the deployment authenticates; *value is the token, Zen key or API key (NULL: none). */
static enum wx_auth auth_of(const struct lmx_deployment *d, const char **value)
{
    const char *t = lmx_json_str(d->litellm_params, "token");

    if (t == NULL)
        t = env_first("WATSONX_TOKEN WX_TOKEN");
    if (t != NULL) {
        *value = t;
        return WA_TOKEN;
    }
    t = lmx_json_str(d->litellm_params, "zen_api_key");
    if (t == NULL)
        t = env_first("WATSONX_ZENAPIKEY");
    if (t != NULL) {
        *value = t;
        return WA_ZEN;
    }
    *value = api_key_of(d);
    return WA_IAM;
}

static int no_key(const struct lmx_deployment *d, struct lmx_perr *err)
{
    return lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                         "watsonx: no credentials for deployment '%s' (set api_key or "
                         "WATSONX_APIKEY, or token / WATSONX_TOKEN)",
                         d->model != NULL ? d->model : "");
}

static int wx_token_prepare(struct lmx_pcall *pc, struct lmx_upreq *tok, struct lmx_perr *err)
{
    struct wx_call *wc = call_get(pc);
    const char *key, *parts[3];
    int rc;

    if (wc == NULL)
        return oom(err);
    if (auth_of(pc->dep, &key) != WA_IAM)
        return 0; /* a ready token or a Zen key: nothing to fetch */
    if (key == NULL)
        return no_key(pc->dep, err);
    parts[0] = "ibm-iam";
    parts[1] = iam_url();
    parts[2] = key;
    lmx_token_key(parts, 3, wc->key);
    rc = lmx_token_take(wc->key, &wc->token);
    if (rc != 0)
        return rc < 0 ? oom(err) : 0;
    rc = lmx_token_request(tok, iam_url());
    if (rc == 0)
        rc = lmx_buf_puts(&tok->body, "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3A"
                                      "apikey&apikey=");
    if (rc == 0)
        rc = lmx_token_form_escape(&tok->body, key);
    return rc < 0 ? oom(err) : 1;
}

static int wx_token_done(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *err)
{
    static const char *const reasons[] = {"errorMessage", "errorCode", "errors.0.message", NULL};
    static const struct lmx_token_words words = {
        reasons, "watsonx: IBM Cloud IAM refused the API key", "watsonx: IBM Cloud IAM answered",
        "",      "watsonx: IAM: ",                              "",
    };
    struct wx_call *wc = pc->state;
    int rc;

    if (wc == NULL || wc->key[0] == '\0')
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "watsonx: a token answer without a token request");
    rc = lmx_token_answer(wc->key, status, body, len, &words, &wc->token, err);
    return rc == LMX_ENOMEM ? oom(err) : rc;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static const char *const passed[] = {
    "messages",          "tools",           "max_tokens",     "temperature",
    "top_p",             "frequency_penalty", "presence_penalty", "stop",
    "seed",              "n",               "response_format", "logprobs",
    "top_logprobs",      "time_limit",
};

/* OpenAI parameters watsonx chat has no equivalent for. */
static const char *const unsupported[] = {
    "logit_bias", "parallel_tool_calls", "reasoning_effort", "modalities", "audio",
    "prediction", "web_search_options", "functions", "function_call",
};

static int chat_body(struct lmx_pcall *pc, const char *deployment, json_t **out,
                     struct lmx_perr *err)
{
    const json_t *req = pc->req, *v;
    json_t *body = json_object();
    bool bad = body == NULL;
    char buf[2][64];
    const char *project = param(pc->dep, "project_id", buf[0], sizeof(buf[0]));
    const char *space = param(pc->dep, "space_id", buf[1], sizeof(buf[1]));

    *out = NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported); i++) {
        v = json_object_get(req, unsupported[i]);
        if (v != NULL && !json_is_null(v) && !pc->drop_params) {
            json_decref(body);
            lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                          "watsonx does not support parameters: ['%s'], for model=%s. To "
                          "drop these, set `litellm.drop_params=True` or for proxy:\n\n"
                          "`litellm_settings:\n "
                          "drop_params: true`\n",
                          unsupported[i], pc->model != NULL ? pc->model : "");
            snprintf(err->param, sizeof(err->param), "%s", unsupported[i]);
            return LMX_EBADPARAM;
        }
    }
    if (!json_is_array(json_object_get(req, "messages"))) {
        json_decref(body);
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx: the request has no 'messages' array");
    }
    if (deployment == NULL) {
        if (project == NULL)
            project = env_first("WATSONX_PROJECT_ID WX_PROJECT_ID PROJECT_ID");
        if (space == NULL)
            space = env_first("WATSONX_DEPLOYMENT_SPACE_ID WATSONX_SPACE_ID WX_SPACE_ID SPACE_ID");
        if (project == NULL && space == NULL) {
            json_decref(body);
            return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                                 "watsonx: set project_id (or WATSONX_PROJECT_ID) or space_id for "
                                 "model '%s'",
                                 pc->model != NULL ? pc->model : "");
        }
        bad = bad || json_object_set_new(body, "model_id", json_string(pc->model)) < 0;
        if (project != NULL)
            bad = bad || json_object_set_new(body, "project_id", json_string(project)) < 0;
        else
            bad = bad || json_object_set_new(body, "space_id", json_string(space)) < 0;
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(passed); i++) {
        v = json_object_get(req, passed[i]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(body, passed[i], (json_t *)v) < 0;
    }
    v = json_object_get(req, "max_completion_tokens");
    if (v != NULL && !json_is_null(v))
        bad = bad || json_object_set(body, "max_tokens", (json_t *)v) < 0;
    v = json_object_get(req, "tool_choice");
    if (json_is_string(v))
        bad = bad || json_object_set(body, "tool_choice_option", (json_t *)v) < 0;
    else if (json_is_object(v))
        bad = bad || json_object_set(body, "tool_choice", (json_t *)v) < 0;
    if (bad) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

/* Where and how a call goes: the base URL (trailing slashes cut), version and credentials. */
struct wx_target {
    const char *base;
    size_t base_len;
    const char *ver;
    enum wx_auth how;
    const char *cred;
};

static int target_of(struct lmx_pcall *pc, struct wx_call *wc, struct wx_target *t,
                     struct lmx_perr *err)
{
    const char *base = pc->dep->api_base;
    int rc;

    if (base == NULL || *base == '\0')
        base = env_first("WATSONX_URL WATSONX_API_BASE WX_URL WML_URL");
    if (base == NULL)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx: no URL for deployment '%s' (set api_base or WATSONX_URL)",
                             pc->dep->model != NULL ? pc->dep->model : "");
    t->how = auth_of(pc->dep, &t->cred);
    if (t->how == WA_IAM && wc->token == NULL) {
        const char *parts[3] = {"ibm-iam", iam_url(), t->cred};

        if (t->cred == NULL)
            return no_key(pc->dep, err);
        lmx_token_key(parts, 3, wc->key);
        rc = lmx_token_take(wc->key, &wc->token);
        if (rc <= 0)
            return rc < 0 ? oom(err)
                          : lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                                          "watsonx: no IAM token (the token step did not run)");
    }
    t->ver = pc->dep->api_version != NULL && *pc->dep->api_version != '\0'
                 ? pc->dep->api_version
                 : env_first("WATSONX_API_VERSION");
    if (t->ver == NULL)
        t->ver = DEFAULT_VERSION;
    t->base = base;
    t->base_len = strlen(base);
    while (t->base_len > 0 && base[t->base_len - 1] == '/')
        t->base_len--;
    if (pc->stream) {
        const json_t *so = json_object_get(pc->req, "stream_options");

        wc->include_usage = json_is_true(json_object_get(so, "include_usage"));
    }
    return 0;
}

/* Method, Authorization, Content-Type, Accept and the JSON body of the request. */
static int finish_request(struct lmx_pcall *pc, struct wx_call *wc, const struct wx_target *t,
                          const json_t *body, struct lmx_upreq *out, struct lmx_perr *err)
{
    int rc;

    out->method = "POST";
    rc = t->how == WA_ZEN ? lmx_upreq_header(out, "Authorization", "ZenApiKey %s", t->cred)
                          : lmx_upreq_header(out, "Authorization", "Bearer %s",
                                             t->how == WA_TOKEN ? t->cred : wc->token);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept",
                              pc->stream ? "text/event-stream" : "application/json");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider '%s' is too large",
                                              pc->dep->provider != NULL ? pc->dep->provider
                                                                        : "watsonx");
    return rc;
}

static int wx_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct wx_call *wc = call_get(pc);
    const char *m = pc->model != NULL ? pc->model : "", *deployment = NULL;
    struct wx_target t;
    json_t *body = NULL;
    int rc;

    if (wc == NULL)
        return oom(err);
    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx deployments serve /chat/completions only (model=%s)", m);
    if (strncmp(m, "deployment/", 11) == 0)
        deployment = m + 11;
    rc = target_of(pc, wc, &t, err);
    if (rc < 0)
        return rc;
    rc = chat_body(pc, deployment, &body, err);
    if (rc < 0)
        return rc;
    rc = lmx_buf_append(&out->url, t.base, t.base_len);
    if (rc == 0 && deployment != NULL)
        rc = lmx_buf_printf(&out->url, "/ml/v1/deployments/%s/text/%s?version=%s", deployment,
                            pc->stream ? "chat_stream" : "chat", t.ver);
    else if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/ml/v1/text/%s?version=%s",
                            pc->stream ? "chat_stream" : "chat", t.ver);
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider 'watsonx' is too large");
    else
        rc = finish_request(pc, wc, &t, body, out, err);
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* watsonx's extra fields dropped, object and model set: an OpenAI object. */
static void canonical(json_t *o, const char *object, const char *model)
{
    json_object_del(o, "model_id");
    json_object_del(o, "model_version");
    json_object_del(o, "created_at");
    json_object_del(o, "system");
    json_object_set_new(o, "object", json_string(object));
    json_object_set_new(o, "model", json_string(model != NULL ? model : ""));
}

static int wx_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);

    if (!json_is_object(root) || !json_is_array(json_object_get(root, "choices"))) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "watsonx: the answer is not a chat completion: %.200s",
                             body != NULL ? body : "");
    }
    canonical(root, "chat.completion", pc->model);
    *out = root;
    return 0;
}

/* {"errors":[{"code","message"}],"status_code":n} (or a bare message) -> out. */
static void error_from(long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const json_t *e0 = json_array_get(json_object_get(root, "errors"), 0);
    const char *msg = lmx_json_str(e0, "message"), *code = lmx_json_str(e0, "code");

    if (msg == NULL)
        msg = lmx_json_str(json_object_get(root, "error"), "message");
    if (msg == NULL)
        msg = lmx_json_str(root, "errorMessage");
    if (status <= 0 && json_is_integer(json_object_get(root, "status_code")))
        status = (long)json_integer_value(json_object_get(root, "status_code"));
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
        snprintf(out->message, sizeof(out->message), "watsonx: %s%s%s%s", msg,
                 code != NULL ? " (" : "", code != NULL ? code : "", code != NULL ? ")" : "");
    else
        snprintf(out->message, sizeof(out->message), "watsonx returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static int usage_chunk(struct wx_call *wc, const char *model)
{
    json_t *c;
    int rc;

    if (!wc->include_usage || wc->usage_sent || wc->usage == NULL)
        return 0;
    wc->usage_sent = true;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:O}", "id", wc->id, "object", "chat.completion.chunk",
                  "created", wc->created, "model", model != NULL ? model : "", "choices", "usage",
                  wc->usage);
    if (c == NULL)
        return lmx_perr_fail(wc->err, LMX_ENOMEM, 503, "internal_server_error",
                             "watsonx: out of memory");
    rc = wc->cb(c, wc->ud);
    json_decref(c);
    return rc;
}

struct wx_feed {
    struct wx_call *wc;
    const char *model;
};

static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct wx_feed *f = ud;
    struct wx_call *wc = f->wc;
    json_t *chunk;
    const json_t *u;
    int rc = 0;

    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 0;
    if ((event_len == 5 && memcmp(event, "error", 5) == 0) ||
        (len > 0 && strstr(data, "\"errors\"") != NULL && strstr(data, "\"choices\"") == NULL)) {
        error_from(0, data, len, wc->err);
        return LMX_EUPSTREAM;
    }
    chunk = json_loadb(data, len, 0, NULL);
    if (!json_is_object(chunk)) {
        json_decref(chunk);
        return lmx_perr_fail(wc->err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "watsonx: a stream event is not JSON: %.200s", data);
    }
    if (lmx_json_str(chunk, "id") != NULL && wc->id[0] == '\0')
        snprintf(wc->id, sizeof(wc->id), "%s", lmx_json_str(chunk, "id"));
    if (json_is_integer(json_object_get(chunk, "created")) && wc->created == 0)
        wc->created = json_integer_value(json_object_get(chunk, "created"));
    u = json_object_get(chunk, "usage");
    if (json_is_object(u)) {
        json_decref(wc->usage);
        wc->usage = json_incref((json_t *)u);
        json_object_del(chunk, "usage");
    }
    if (json_array_size(json_object_get(chunk, "choices")) > 0) {
        canonical(chunk, "chat.completion.chunk", f->model);
        rc = wc->cb(chunk, wc->ud);
    }
    json_decref(chunk);
    return rc;
}

static int feed(struct lmx_pcall *pc, const char *p, size_t n, bool end, lmx_chunk_cb cb,
                void *ud, struct lmx_perr *err)
{
    struct wx_call *wc = pc->state;
    struct wx_feed f = {wc, pc->model};
    int rc;

    if (wc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "watsonx: stream bytes for a call that was not built");
    if (!wc->sse_init) {
        lmx_sse_reader_init(&wc->sse, SSE_EVENT_MAX);
        wc->sse_init = true;
    }
    wc->cb = cb;
    wc->ud = ud;
    wc->err = err;
    rc = end ? lmx_sse_reader_finish(&wc->sse, on_event, &f)
             : lmx_sse_reader_feed(&wc->sse, p, n, on_event, &f);
    if (rc == 0 && end)
        rc = usage_chunk(wc, pc->model);
    if (rc < 0 && err->status == 0)
        lmx_perr_fail(err, rc, 502, "internal_server_error", "watsonx: cannot read the stream: %s",
                      lmx_strerror(rc));
    return rc;
}

static int wx_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    return feed(pc, p, n, false, cb, ud, err);
}

static int wx_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    return feed(pc, NULL, 0, true, cb, ud, err);
}

static void wx_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    struct wx_call *wc = pc->state;

    /* an IAM token watsonx no longer takes: fetch a new one next time */
    if (status == 401 && wc != NULL && wc->key[0] != '\0')
        lmx_token_forget(wc->key);
    error_from(status, body, len, out);
}

/* ------------------------------------------------------------------------ */
/* watsonx_text: the text generation API */

/* One role's wrapping in a prompt template. */
struct wx_role {
    const char *role;
    const char *pre;
    const char *post;
};

/* A message's text: the string content, or its text parts joined. */
static int content_text(struct lmx_buf *b, const json_t *content)
{
    const json_t *part;
    size_t i;
    int rc = 0;

    if (json_is_string(content))
        return lmx_buf_append(b, json_string_value(content), json_string_length(content));
    json_array_foreach(content, i, part) {
        const json_t *t = json_object_get(part, "text");

        if (rc == 0 && json_is_string(t))
            rc = lmx_buf_append(b, json_string_value(t), json_string_length(t));
    }
    return rc;
}

/* init, each message in its role's pre/post strings (other roles: bare), then fin. */
static int templated(struct lmx_buf *b, const json_t *msgs, const struct wx_role *roles,
                     size_t nroles, const char *init, const char *fin)
{
    const json_t *m;
    size_t i;
    int rc = lmx_buf_puts(b, init);

    json_array_foreach(msgs, i, m) {
        const char *role = lmx_json_str(m, "role");
        const struct wx_role *r = NULL;

        for (size_t k = 0; role != NULL && k < nroles; k++)
            if (strcmp(role, roles[k].role) == 0)
                r = &roles[k];
        if (rc == 0 && r != NULL)
            rc = lmx_buf_puts(b, r->pre);
        if (rc == 0)
            rc = content_text(b, json_object_get(m, "content"));
        if (rc == 0 && r != NULL)
            rc = lmx_buf_puts(b, r->post);
    }
    if (rc == 0)
        rc = lmx_buf_puts(b, fin);
    return rc;
}

static bool has_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s != '\0'; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

/*
 * The prompt of the messages, as LiteLLM's watsonx text path builds it:
 * IBM Granite chat models (the name has "granite" and "chat") get
 * "<|system|>\n{s}\n<|user|>\n{u}\n<|assistant|>\n{a}\n" with the ends
 * trimmed; Llama 3 instruct models ("meta-llama/llama-3" and "instruct") get
 * the <|begin_of_text|> / <|start_header_id|>role<|end_header_id|> ...
 * <|eot_id|> form ending with an open assistant header; any other model the
 * contents joined by one space.
 */
static int text_prompt(const char *model, const json_t *msgs, struct lmx_buf *b)
{
    static const struct wx_role granite[] = {
        {"system", "<|system|>\n", "\n"},
        {"user", "<|user|>\n", "\n<|assistant|>\n"},
        {"assistant", "", "\n"},
    };
    static const struct wx_role llama3[] = {
        {"system", "<|start_header_id|>system<|end_header_id|>\n", "<|eot_id|>"},
        {"user", "<|start_header_id|>user<|end_header_id|>\n", "<|eot_id|>"},
        {"assistant", "<|start_header_id|>assistant<|end_header_id|>\n", "<|eot_id|>"},
    };
    const json_t *m;
    size_t i;
    int rc = 0;

    if (has_ci(model, "granite") && has_ci(model, "chat")) {
        size_t start = 0;

        rc = templated(b, msgs, granite, LMX_ARRAY_SIZE(granite), "", "");
        while (rc == 0 && b->len > 0 && strchr(" \t\r\n\v\f", b->data[b->len - 1]) != NULL)
            b->len--;
        while (rc == 0 && start < b->len && strchr(" \t\r\n\v\f", b->data[start]) != NULL)
            start++;
        if (rc == 0 && start > 0) {
            memmove(b->data, b->data + start, b->len - start);
            b->len -= start;
        }
        if (rc == 0 && b->data != NULL)
            b->data[b->len] = '\0';
        return rc;
    }
    if (has_ci(model, "meta-llama/llama-3") && has_ci(model, "instruct"))
        return templated(b, msgs, llama3, LMX_ARRAY_SIZE(llama3), "<|begin_of_text|>",
                         "<|start_header_id|>assistant<|end_header_id|>\n");
    json_array_foreach(msgs, i, m) {
        if (rc == 0 && i > 0)
            rc = lmx_buf_puts(b, " ");
        if (rc == 0)
            rc = content_text(b, json_object_get(m, "content"));
    }
    return rc;
}

/* OpenAI name -> text generation parameter. */
static const char *const text_renamed[][2] = {
    {"max_tokens", "max_new_tokens"},       {"max_completion_tokens", "max_new_tokens"},
    {"temperature", "temperature"},         {"top_p", "top_p"},
    {"frequency_penalty", "repetition_penalty"}, {"seed", "random_seed"},
    {"stop", "stop_sequences"},             {"min_tokens", "min_new_tokens"},
};

/* Text generation parameters taken as they are. */
static const char *const text_native[] = {
    "decoding_method",  "max_new_tokens",        "min_new_tokens",
    "top_k",            "repetition_penalty",    "random_seed",
    "stop_sequences",   "length_penalty",        "truncate_input_tokens",
    "time_limit",       "return_options",        "include_stop_sequences",
};

/* OpenAI parameters the text generation API has no equivalent for. */
static const char *const text_unsupported[] = {
    "tools",          "tool_choice",       "functions",        "function_call",
    "response_format", "logprobs",         "top_logprobs",     "n",
    "presence_penalty", "logit_bias",      "parallel_tool_calls", "reasoning_effort",
    "modalities",     "audio",             "prediction",       "web_search_options",
};

static int text_body(struct lmx_pcall *pc, const char *deployment, json_t **out,
                     struct lmx_perr *err)
{
    const json_t *req = pc->req, *v, *msgs = json_object_get(req, "messages");
    json_t *body = json_object(), *params = json_object();
    bool bad = body == NULL || params == NULL;
    char buf[2][64];
    const char *project = param(pc->dep, "project_id", buf[0], sizeof(buf[0]));
    const char *space = param(pc->dep, "space_id", buf[1], sizeof(buf[1]));
    const char *model = pc->model != NULL ? pc->model : "";
    struct lmx_buf prompt;
    int rc = 0;

    *out = NULL;
    lmx_buf_init(&prompt, PROMPT_MAX);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(text_unsupported); i++) {
        v = json_object_get(req, text_unsupported[i]);
        if (v != NULL && !json_is_null(v) && !pc->drop_params) {
            lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                          "watsonx_text does not support parameters: ['%s'], for model=%s. To "
                          "drop these, set `litellm.drop_params=True` or for proxy:\n\n"
                          "`litellm_settings:\n "
                          "drop_params: true`\n",
                          text_unsupported[i], model);
            snprintf(err->param, sizeof(err->param), "%s", text_unsupported[i]);
            rc = LMX_EBADPARAM;
            goto out;
        }
    }
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        rc = lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                           "watsonx_text: the request has no 'messages'");
        goto out;
    }
    if (deployment == NULL) {
        if (project == NULL)
            project = env_first("WATSONX_PROJECT_ID WX_PROJECT_ID PROJECT_ID");
        if (space == NULL)
            space = env_first("WATSONX_DEPLOYMENT_SPACE_ID WATSONX_SPACE_ID WX_SPACE_ID SPACE_ID");
        if (project == NULL && space == NULL) {
            rc = lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                               "watsonx_text: set project_id (or WATSONX_PROJECT_ID) or space_id "
                               "for model '%s'",
                               model);
            goto out;
        }
    }
    rc = text_prompt(model, msgs, &prompt);
    if (rc < 0) {
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "watsonx_text: the prompt is too large");
        goto out;
    }
    bad = bad || json_object_set_new(params, "decoding_method", json_string("sample")) < 0;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(text_renamed); i++) {
        v = json_object_get(req, text_renamed[i][0]);
        if (v == NULL || json_is_null(v))
            continue;
        if (json_is_string(v) && strcmp(text_renamed[i][1], "stop_sequences") == 0)
            bad = bad || json_object_set_new(params, "stop_sequences",
                                             json_pack("[O]", v)) < 0;
        else
            bad = bad || json_object_set(params, text_renamed[i][1], (json_t *)v) < 0;
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(text_native); i++) {
        v = json_object_get(req, text_native[i]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(params, text_native[i], (json_t *)v) < 0;
    }
    bad = bad || json_object_set_new(body, "input", json_stringn(prompt.data != NULL ? prompt.data
                                                                                     : "",
                                                                 prompt.len)) < 0;
    if (deployment == NULL) {
        bad = bad || json_object_set_new(body, "model_id", json_string(model)) < 0;
        if (project != NULL)
            bad = bad || json_object_set_new(body, "project_id", json_string(project)) < 0;
        else
            bad = bad || json_object_set_new(body, "space_id", json_string(space)) < 0;
    }
    v = json_object_get(req, "moderations");
    if (json_is_object(v))
        bad = bad || json_object_set(body, "moderations", (json_t *)v) < 0;
    bad = bad || json_object_set(body, "parameters", params) < 0;
    if (bad) {
        rc = oom(err);
        goto out;
    }
    *out = json_incref(body);
out:
    lmx_buf_release(&prompt);
    json_decref(params);
    json_decref(body);
    return rc;
}

static int wxt_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct wx_call *wc = call_get(pc);
    const char *m = pc->model != NULL ? pc->model : "", *deployment = NULL;
    struct wx_target t;
    json_t *body = NULL;
    int rc;

    if (wc == NULL)
        return oom(err);
    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx_text deployments serve /chat/completions only (model=%s)",
                             m);
    if (strncmp(m, "deployment/", 11) == 0)
        deployment = m + 11;
    rc = target_of(pc, wc, &t, err);
    if (rc < 0)
        return rc;
    rc = text_body(pc, deployment, &body, err);
    if (rc < 0)
        return rc;
    snprintf(wc->id, sizeof(wc->id), "chatcmpl-%s", pc->call_id != NULL ? pc->call_id : "watsonx");
    wc->created = (json_int_t)lmx_wall_s();
    rc = lmx_buf_append(&out->url, t.base, t.base_len);
    if (rc == 0 && deployment != NULL)
        rc = lmx_buf_printf(&out->url, "/ml/v1/deployments/%s/text/%s?version=%s", deployment,
                            pc->stream ? "generation_stream" : "generation", t.ver);
    else if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/ml/v1/text/%s?version=%s",
                            pc->stream ? "generation_stream" : "generation", t.ver);
    if (rc < 0)
        rc = rc == LMX_ENOMEM
                 ? oom(err)
                 : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                 "the request for provider 'watsonx_text' is too large");
    else
        rc = finish_request(pc, wc, &t, body, out, err);
    json_decref(body);
    return rc;
}

/* watsonx's stop_reason -> OpenAI's finish_reason; NULL while not finished. */
static const char *finish_of(const char *stop)
{
    if (stop == NULL || strcmp(stop, "not_finished") == 0)
        return NULL;
    if (strcmp(stop, "max_tokens") == 0 || strcmp(stop, "token_limit") == 0)
        return "length";
    return "stop"; /* eos_token, stop_sequence, time_limit, cancelled, error */
}

static json_t *text_usage(json_int_t in, json_int_t out)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", in, "completion_tokens", out,
                     "total_tokens", in + out);
}

static int wxt_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                     struct lmx_perr *err)
{
    struct wx_call *wc = pc->state;
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const json_t *r0 = json_array_get(json_object_get(root, "results"), 0);
    const char *text = lmx_json_str(r0, "generated_text"), *fin;
    json_int_t in = json_integer_value(json_object_get(r0, "input_token_count"));
    json_int_t gen = json_integer_value(json_object_get(r0, "generated_token_count"));

    if (!json_is_object(r0)) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "watsonx_text: the answer has no results: %.200s",
                             body != NULL ? body : "");
    }
    fin = finish_of(lmx_json_str(r0, "stop_reason"));
    *out = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:o}", "id",
                     wc != NULL ? wc->id : "chatcmpl-watsonx", "object", "chat.completion",
                     "created", wc != NULL ? wc->created : (json_int_t)lmx_wall_s(), "model",
                     pc->model != NULL ? pc->model : "", "choices", "index", 0, "message", "role",
                     "assistant", "content", text != NULL ? text : "", "finish_reason",
                     fin != NULL ? fin : "stop", "usage", text_usage(in, gen));
    json_decref(root);
    return *out != NULL ? 0 : oom(err);
}

static int text_chunk(struct wx_call *wc, const char *model, const char *text, const char *fin)
{
    json_t *delta = json_object(), *c;
    int rc;

    if (delta == NULL)
        return LMX_ENOMEM;
    if (!wc->sent)
        json_object_set_new(delta, "role", json_string("assistant"));
    json_object_set_new(delta, "content", json_string(text));
    c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o}]}", "id", wc->id, "object",
                  "chat.completion.chunk", "created", wc->created, "model",
                  model != NULL ? model : "", "choices", "index", 0, "delta", delta,
                  "finish_reason", fin != NULL ? json_string(fin) : json_null());
    if (c == NULL)
        return LMX_ENOMEM;
    wc->sent = true;
    rc = wc->cb(c, wc->ud);
    json_decref(c);
    return rc;
}

static int on_text_event(const char *event, size_t event_len, const char *data, size_t len,
                         void *ud)
{
    struct wx_feed *f = ud;
    struct wx_call *wc = f->wc;
    json_t *ev;
    const json_t *r0, *v;
    const char *text, *fin;
    int rc = 0;

    if (len == 0 || (len == 6 && memcmp(data, "[DONE]", 6) == 0))
        return 0;
    if ((event_len == 5 && memcmp(event, "error", 5) == 0) ||
        (strstr(data, "\"errors\"") != NULL && strstr(data, "\"results\"") == NULL)) {
        error_from(0, data, len, wc->err);
        return LMX_EUPSTREAM;
    }
    if (event_len == 5 && memcmp(event, "close", 5) == 0)
        return 0;
    ev = json_loadb(data, len, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return lmx_perr_fail(wc->err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "watsonx_text: a stream event is not JSON: %.200s", data);
    }
    r0 = json_array_get(json_object_get(ev, "results"), 0);
    v = json_object_get(r0, "input_token_count");
    if (json_is_integer(v) && json_integer_value(v) > wc->in_tokens)
        wc->in_tokens = json_integer_value(v);
    v = json_object_get(r0, "generated_token_count");
    if (json_is_integer(v) && json_integer_value(v) > wc->out_tokens)
        wc->out_tokens = json_integer_value(v);
    text = lmx_json_str(r0, "generated_text");
    fin = finish_of(lmx_json_str(r0, "stop_reason"));
    if (json_is_object(r0) && ((text != NULL && *text != '\0') || fin != NULL))
        rc = text_chunk(wc, f->model, text != NULL ? text : "", fin);
    json_decref(ev);
    if (rc == LMX_ENOMEM)
        return lmx_perr_fail(wc->err, LMX_ENOMEM, 503, "internal_server_error",
                             "watsonx_text: out of memory");
    return rc;
}

static int text_feed(struct lmx_pcall *pc, const char *p, size_t n, bool end, lmx_chunk_cb cb,
                     void *ud, struct lmx_perr *err)
{
    struct wx_call *wc = pc->state;
    struct wx_feed f = {wc, pc->model};
    int rc;

    if (wc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "watsonx_text: stream bytes for a call that was not built");
    if (!wc->sse_init) {
        lmx_sse_reader_init(&wc->sse, SSE_EVENT_MAX);
        wc->sse_init = true;
    }
    wc->cb = cb;
    wc->ud = ud;
    wc->err = err;
    rc = end ? lmx_sse_reader_finish(&wc->sse, on_text_event, &f)
             : lmx_sse_reader_feed(&wc->sse, p, n, on_text_event, &f);
    if (rc == 0 && end && wc->sent && wc->include_usage) {
        json_decref(wc->usage);
        wc->usage = text_usage(wc->in_tokens, wc->out_tokens);
        rc = wc->usage != NULL ? usage_chunk(wc, pc->model) : LMX_ENOMEM;
    }
    if (rc < 0 && err->status == 0)
        lmx_perr_fail(err, rc, 502, "internal_server_error",
                      "watsonx_text: cannot read the stream: %s", lmx_strerror(rc));
    return rc;
}

static int wxt_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                           void *ud, struct lmx_perr *err)
{
    return text_feed(pc, p, n, false, cb, ud, err);
}

static int wxt_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    return text_feed(pc, NULL, 0, true, cb, ud, err);
}

const struct lmx_provider_ops lmx_provider_watsonx_ops = {
    .name = "watsonx",
    .build = wx_build,
    .parse = wx_parse,
    .stream_feed = wx_stream_feed,
    .stream_end = wx_stream_end,
    .map_error = wx_map_error,
    .release = wx_release,
    .token_prepare = wx_token_prepare,
    .token_done = wx_token_done,
};

const struct lmx_provider_ops lmx_provider_watsonx_text_ops = {
    .name = "watsonx_text",
    .build = wxt_build,
    .parse = wxt_parse,
    .stream_feed = wxt_stream_feed,
    .stream_end = wxt_stream_end,
    .map_error = wx_map_error,
    .release = wx_release,
    .token_prepare = wx_token_prepare,
    .token_done = wx_token_done,
};
