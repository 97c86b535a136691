/*
 * provider/watsonx.c - IBM watsonx.ai chat (`watsonx/` deployments).
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
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int wx_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct wx_call *wc = call_get(pc);
    const char *m = pc->model != NULL ? pc->model : "", *deployment = NULL, *base, *ver, *cred;
    enum wx_auth how;
    json_t *body = NULL;
    size_t n;
    int rc;

    if (wc == NULL)
        return oom(err);
    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx deployments serve /chat/completions only (model=%s)", m);
    if (strncmp(m, "deployment/", 11) == 0)
        deployment = m + 11;
    base = pc->dep->api_base;
    if (base == NULL || *base == '\0')
        base = env_first("WATSONX_URL WATSONX_API_BASE WX_URL WML_URL");
    if (base == NULL)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "watsonx: no URL for deployment '%s' (set api_base or WATSONX_URL)",
                             pc->dep->model != NULL ? pc->dep->model : "");
    how = auth_of(pc->dep, &cred);
    if (how == WA_IAM && wc->token == NULL) {
        const char *parts[3] = {"ibm-iam", iam_url(), cred};

        if (cred == NULL)
            return no_key(pc->dep, err);
        lmx_token_key(parts, 3, wc->key);
        rc = lmx_token_take(wc->key, &wc->token);
        if (rc <= 0)
            return rc < 0 ? oom(err)
                          : lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                                          "watsonx: no IAM token (the token step did not run)");
    }
    rc = chat_body(pc, deployment, &body, err);
    if (rc < 0)
        return rc;
    if (pc->stream) {
        const json_t *so = json_object_get(pc->req, "stream_options");

        wc->include_usage = json_is_true(json_object_get(so, "include_usage"));
    }
    ver = pc->dep->api_version != NULL && *pc->dep->api_version != '\0'
              ? pc->dep->api_version
              : env_first("WATSONX_API_VERSION");
    if (ver == NULL)
        ver = DEFAULT_VERSION;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    out->method = "POST";
    rc = lmx_buf_append(&out->url, base, n);
    if (rc == 0 && deployment != NULL)
        rc = lmx_buf_printf(&out->url, "/ml/v1/deployments/%s/text/%s?version=%s", deployment,
                            pc->stream ? "chat_stream" : "chat", ver);
    else if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/ml/v1/text/%s?version=%s",
                            pc->stream ? "chat_stream" : "chat", ver);
    if (rc == 0)
        rc = how == WA_ZEN ? lmx_upreq_header(out, "Authorization", "ZenApiKey %s", cred)
                           : lmx_upreq_header(out, "Authorization", "Bearer %s",
                                              how == WA_TOKEN ? cred : wc->token);
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
                                              "the request for provider 'watsonx' is too large");
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
