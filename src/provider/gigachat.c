/*
 * provider/gigachat.c - Sber GigaChat chat (`gigachat/` deployments), as
 * LiteLLM's GigaChatConfig calls it.
 *
 *   token   POST {auth}  scope={scope}, "Authorization: Basic {credentials}",
 *           "RqUID: {uuid4}"  -> {"access_token", "expires_at" (epoch ms)}
 *   chat    POST {base}/chat/completions, "Authorization: Bearer {token}"
 *
 * {auth} is GIGACHAT_AUTH_URL, else https://ngw.devices.sberbank.ru:9443/api/v2/oauth;
 * {scope} is litellm_params.scope, else GIGACHAT_SCOPE, else GIGACHAT_API_PERS;
 * {credentials} (base64 of client_id:client_secret) is api_key, else
 * GIGACHAT_CREDENTIALS, else GIGACHAT_API_KEY; {base} is api_base, else
 * GIGACHAT_API_BASE, else https://gigachat.devices.sberbank.ru/api/v1. The
 * token is cached by provider/token.c under SHA-256(auth URL, scope,
 * credentials) until 5 minutes before expires_at.
 *
 * The body is GigaChat's: tools -> functions ({name, description,
 * parameters}); a tool_choice naming a function -> function_call {name}
 * ("auto" / "required" / "none": nothing); temperature 0 -> top_p 0;
 * max_completion_tokens -> max_tokens; stop is dropped (GigaChat has none); a
 * json_schema response_format becomes a forced function whose arguments come
 * back as the message content. Messages: developer -> system, a system message
 * after the first -> user, tool -> function (content as a string), name
 * dropped, content parts -> their texts joined by newlines, an assistant's
 * first tool call -> function_call with parsed arguments, consecutive user
 * messages merged. Answers: a function_call (finish_reason "function_call")
 * -> one tool call with a new id, finish_reason "tool_calls". Streams are SSE
 * of OpenAI-like chunks without id; usage rides on the last one and goes out
 * as a usage chunk when stream_options.include_usage asks for it.
 *
 * Not here: image parts (GigaChat wants them uploaded to its file API
 * first; such a request is refused with 400) and embeddings.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/gigachat.h"
#include "provider/params.h"
#include "provider/token.h"
#include "upstream/sse.h"

#define GC_AUTH_URL   "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
#define GC_BASE_URL   "https://gigachat.devices.sberbank.ru/api/v1"
#define GC_SCOPE      "GIGACHAT_API_PERS"
#define GC_TOKEN_LIFE 1800.0 /* seconds, when the token answer has no expiry */
#define GC_EVENT_MAX  ((size_t)16 << 20)

/* pc->state of a call. */
struct gc_call {
    char key[LMX_TOKEN_KEY_LEN + 1]; /* token cache key */
    char *token;                     /* lmx_malloc'd bearer token, NULL until known */
    bool structured;                 /* response_format json_schema: arguments are the content */
    bool include_usage;
    bool usage_sent;
    bool role_sent;
    json_t *usage; /* the last usage seen in the stream (owned) */
    char id[64];
    json_int_t created;
    struct lmx_sse_reader sse;
    bool sse_init;
    /* the feed in progress */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
    const char *model;
};

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "gigachat: out of memory building the request");
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static struct gc_call *call_get(struct lmx_pcall *pc)
{
    struct gc_call *gc = pc->state;

    if (gc == NULL) {
        gc = lmx_calloc(1, sizeof(*gc));
        pc->state = gc;
    }
    return gc;
}

static void gc_release(struct lmx_pcall *pc)
{
    struct gc_call *gc = pc->state;

    if (gc == NULL)
        return;
    if (gc->sse_init)
        lmx_sse_reader_release(&gc->sse);
    json_decref(gc->usage);
    lmx_free(gc->token);
    lmx_free(gc);
    pc->state = NULL;
}

/* "call_" and 24 hex digits, as LiteLLM names the tool call of a function_call. */
static void call_id(char out[32])
{
    char u[37];
    size_t k = 0;

    lmx_uuid4(u);
    memcpy(out, "call_", 5);
    for (size_t i = 0; u[i] != '\0' && k < 24; i++)
        if (u[i] != '-')
            out[5 + k++] = u[i];
    out[5 + k] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Credentials and the token step */

static const char *auth_url(void)
{
    const char *u = env_nonempty("GIGACHAT_AUTH_URL");

    return u != NULL ? u : GC_AUTH_URL;
}

static const char *scope_of(const struct lmx_deployment *d)
{
    const char *s = lmx_json_str(d->litellm_params, "scope");

    if (s == NULL || *s == '\0')
        s = env_nonempty("GIGACHAT_SCOPE");
    return s != NULL ? s : GC_SCOPE;
}

static const char *credentials_of(const struct lmx_deployment *d)
{
    const char *c = d->api_key;

    if (c == NULL || *c == '\0')
        c = env_nonempty("GIGACHAT_CREDENTIALS");
    if (c == NULL)
        c = env_nonempty("GIGACHAT_API_KEY");
    return c;
}

static int no_key(const struct lmx_deployment *d, struct lmx_perr *err)
{
    return lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                         "gigachat: no credentials for deployment '%s' (set api_key or "
                         "GIGACHAT_CREDENTIALS)",
                         d->model != NULL ? d->model : "");
}

static void key_of(const struct lmx_deployment *d, const char *cred,
                   char out[LMX_TOKEN_KEY_LEN + 1])
{
    const char *parts[4] = {"gigachat", auth_url(), scope_of(d), cred};

    lmx_token_key(parts, 4, out);
}

static int gc_token_prepare(struct lmx_pcall *pc, struct lmx_upreq *tok, struct lmx_perr *err)
{
    struct gc_call *gc = call_get(pc);
    const char *cred = credentials_of(pc->dep);
    char rquid[37];
    int rc;

    if (gc == NULL)
        return oom(err);
    if (cred == NULL)
        return no_key(pc->dep, err);
    key_of(pc->dep, cred, gc->key);
    rc = lmx_token_take(gc->key, &gc->token);
    if (rc != 0)
        return rc < 0 ? oom(err) : 0;
    lmx_uuid4(rquid);
    rc = lmx_token_request(tok, auth_url());
    if (rc == 0)
        rc = lmx_upreq_header(tok, "Authorization", "Basic %s", cred);
    if (rc == 0)
        rc = lmx_upreq_header(tok, "RqUID", "%s", rquid);
    if (rc == 0)
        rc = lmx_buf_puts(&tok->body, "scope=");
    if (rc == 0)
        rc = lmx_token_form_escape(&tok->body, scope_of(pc->dep));
    if (rc == LMX_ETOOBIG)
        return lmx_perr_fail(err, rc, 400, "invalid_request_error",
                             "gigachat: the credentials are too long");
    return rc < 0 ? oom(err) : 1;
}

/* The expiry of a token answer in epoch seconds: expires_at / exp are epoch milliseconds. */
static double expiry_of(const json_t *root, double now)
{
    const json_t *v = json_object_get(root, "expires_at");
    double t;

    if (v == NULL)
        v = json_object_get(root, "exp");
    if (json_is_string(v))
        t = strtod(json_string_value(v), NULL);
    else if (json_is_number(v))
        t = json_number_value(v);
    else
        return now + GC_TOKEN_LIFE;
    if (t > 1e11) /* milliseconds */
        t /= 1000.0;
    return t > now ? t : now + GC_TOKEN_LIFE;
}

static int gc_token_done(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *err)
{
    static const char *const reasons[] = {"message", "error_description", "error", NULL};
    static const struct lmx_token_words words = {
        reasons, "gigachat: the OAuth endpoint refused the credentials",
        "gigachat: the OAuth endpoint answered", "", "gigachat: OAuth: ", "",
    };
    struct gc_call *gc = pc->state;
    json_t *root;
    const char *t;
    int rc;

    if (gc == NULL || gc->key[0] == '\0')
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "gigachat: a token answer without a token request");
    if (status < 200 || status >= 300) {
        rc = lmx_token_answer(gc->key, status, body, len, &words, &gc->token, err);
        return rc == LMX_ENOMEM ? oom(err) : rc;
    }
    root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    t = lmx_json_str(root, "access_token");
    if (t == NULL)
        t = lmx_json_str(root, "tok");
    if (t == NULL || *t == '\0') {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 503, "internal_server_error",
                             "gigachat: OAuth: the answer has no access_token");
    }
    rc = lmx_token_put(gc->key, t, expiry_of(root, lmx_wall_s()));
    json_decref(root);
    if (rc == LMX_EBADREQ)
        return lmx_perr_fail(err, LMX_EUPSTREAM, 503, "internal_server_error",
                             "gigachat: OAuth: the access_token is too long");
    if (rc == 0)
        rc = lmx_token_take(gc->key, &gc->token);
    if (rc < 0)
        return oom(err);
    if (rc == 0)
        return lmx_perr_fail(err, LMX_EUPSTREAM, 503, "internal_server_error",
                             "gigachat: OAuth: the token expires too soon");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* OpenAI parameters GigaChat has no equivalent for (LiteLLM refuses them too). */
static const char *const unsupported[] = {
    "frequency_penalty", "presence_penalty", "n",          "seed",
    "logit_bias",        "logprobs",         "top_logprobs", "parallel_tool_calls",
    "reasoning_effort",  "modalities",       "audio",      "prediction",
    "web_search_options",
};

static int refuse(struct lmx_pcall *pc, const char *name, struct lmx_perr *err)
{
    lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                  "gigachat does not support parameters: ['%s'], for model=%s. To drop these, "
                  "set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n "
                  "drop_params: true`\n",
                  name, pc->model != NULL ? pc->model : "");
    snprintf(err->param, sizeof(err->param), "%s", name);
    return LMX_EBADPARAM;
}

/* content: a string, null -> "", parts -> texts joined by "\n"; image parts are refused. */
static json_t *content_of(const json_t *c, bool *image)
{
    struct lmx_buf b;
    const json_t *part;
    size_t i;
    bool first = true;
    json_t *s = NULL;

    if (json_is_string(c))
        return json_incref((json_t *)c);
    if (!json_is_array(c))
        return json_string("");
    lmx_buf_init(&b, 64u << 20);
    json_array_foreach(c, i, part) {
        const char *type = lmx_json_str(part, "type");
        const char *text = lmx_json_str(part, "text");

        if (type != NULL && strcmp(type, "image_url") == 0)
            *image = true;
        if (type == NULL || strcmp(type, "text") != 0)
            continue;
        if ((!first && lmx_buf_puts(&b, "\n") < 0) ||
            lmx_buf_puts(&b, text != NULL ? text : "") < 0)
            goto out;
        first = false;
    }
    s = json_stringn(b.data != NULL ? b.data : "", b.len);
out:
    lmx_buf_release(&b);
    return s;
}

/* An assistant's first tool call -> {"name", "arguments": object}. */
static json_t *function_call_of(const json_t *calls)
{
    const json_t *fn = json_object_get(json_array_get(calls, 0), "function");
    const json_t *a = json_object_get(fn, "arguments");
    const char *name = lmx_json_str(fn, "name");
    json_t *args;

    if (json_is_string(a))
        args = json_loads(json_string_value(a), JSON_DECODE_ANY, NULL);
    else
        args = json_incref((json_t *)a);
    if (!json_is_object(args)) {
        json_decref(args);
        args = json_object();
    }
    return json_pack("{s:s,s:o}", "name", name != NULL ? name : "", "arguments", args);
}

/* OpenAI messages -> GigaChat's; NULL on out of memory, *image set for image parts. */
static json_t *messages_of(const json_t *in, bool *image)
{
    json_t *out = json_array(), *prev_user = NULL;
    const json_t *m;
    size_t i;

    if (out == NULL)
        return NULL;
    json_array_foreach(in, i, m) {
        const char *role = lmx_json_str(m, "role");
        const json_t *calls = json_object_get(m, "tool_calls");
        json_t *g = json_deep_copy(m), *c;

        if (g == NULL || !json_is_object(g))
            goto fail;
        json_object_del(g, "name");
        if (role == NULL)
            role = "user";
        if (strcmp(role, "developer") == 0 || (strcmp(role, "system") == 0 && i > 0))
            role = strcmp(role, "developer") == 0 ? "system" : "user";
        else if (strcmp(role, "tool") == 0) {
            const json_t *tc = json_object_get(m, "content");

            role = "function";
            if (!json_is_string(tc) && tc != NULL && !json_is_null(tc)) {
                char *s = json_dumps(tc, JSON_COMPACT | JSON_ENCODE_ANY);

                if (s == NULL || json_object_set_new(g, "content", json_string(s)) < 0) {
                    free(s);
                    json_decref(g);
                    goto fail;
                }
                free(s);
            }
        }
        if (json_object_set_new(g, "role", json_string(role)) < 0)
            goto fail_g;
        if (strcmp(role, "function") != 0 || !json_is_string(json_object_get(g, "content"))) {
            c = content_of(json_object_get(m, "content"), image);
            if (c == NULL || json_object_set_new(g, "content", c) < 0)
                goto fail_g;
        }
        if (json_array_size(calls) > 0) {
            json_t *fc = function_call_of(calls);

            if (fc == NULL || json_object_set_new(g, "function_call", fc) < 0)
                goto fail_g;
            json_object_del(g, "tool_calls");
        }
        json_object_del(g, "tool_call_id");
        if (strcmp(role, "user") == 0 && prev_user != NULL) {
            /* consecutive user messages are merged into the first */
            char *joined = NULL;
            const char *a = json_string_value(json_object_get(prev_user, "content"));
            const char *b = json_string_value(json_object_get(g, "content"));
            size_t na = a != NULL ? strlen(a) : 0, nb = b != NULL ? strlen(b) : 0;

            joined = lmx_malloc(na + nb + 2);
            if (joined == NULL)
                goto fail_g;
            memcpy(joined, a != NULL ? a : "", na);
            joined[na] = '\n';
            memcpy(joined + na + 1, b != NULL ? b : "", nb);
            joined[na + nb + 1] = '\0';
            c = json_stringn(joined, na + nb + 1);
            lmx_free(joined);
            json_decref(g);
            if (c == NULL || json_object_set_new(prev_user, "content", c) < 0)
                goto fail;
            continue;
        }
        if (json_array_append_new(out, g) < 0)
            goto fail;
        prev_user = strcmp(role, "user") == 0 ? g : NULL;
        continue;
fail_g:
        json_decref(g);
        goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* tools -> functions [{name, description, parameters}] appended to fns. */
static int functions_of(const json_t *tools, json_t *fns)
{
    const json_t *t;
    size_t i;

    json_array_foreach(tools, i, t) {
        const json_t *fn = json_object_get(t, "function");
        const json_t *params = json_object_get(fn, "parameters");
        const char *type = lmx_json_str(t, "type");
        const char *name = lmx_json_str(fn, "name"), *desc = lmx_json_str(fn, "description");
        json_t *f;

        if (type == NULL || strcmp(type, "function") != 0)
            continue;
        f = json_pack("{s:s,s:s,s:o}", "name", name != NULL ? name : "", "description",
                      desc != NULL ? desc : "", "parameters",
                      json_is_object(params) ? json_incref((json_t *)params) : json_object());
        if (f == NULL || json_array_append_new(fns, f) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static int chat_body(struct lmx_pcall *pc, struct gc_call *gc, json_t **out, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v, *rf;
    json_t *body = NULL, *msgs, *fns = NULL;
    bool image = false, bad = false;
    static const char *const passed[] = {"top_p", "repetition_penalty", "profanity_check",
                                         "update_interval", "functions", "function_call"};

    *out = NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported); i++) {
        v = json_object_get(req, unsupported[i]);
        if (v != NULL && !json_is_null(v) && !pc->drop_params)
            return refuse(pc, unsupported[i], err);
    }
    if (!json_is_array(json_object_get(req, "messages")))
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "gigachat: the request has no 'messages' array");
    msgs = messages_of(json_object_get(req, "messages"), &image);
    if (msgs == NULL)
        return oom(err);
    if (image) {
        json_decref(msgs);
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "gigachat: image parts need GigaChat's file upload, which llmux "
                             "does not do (model=%s)",
                             pc->model != NULL ? pc->model : "");
    }
    body = json_pack("{s:s,s:o}", "model", pc->model != NULL ? pc->model : "", "messages", msgs);
    if (body == NULL)
        return oom(err);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(passed); i++) {
        v = json_object_get(req, passed[i]);
        if (v != NULL && !json_is_null(v))
            bad = bad || json_object_set(body, passed[i], (json_t *)v) < 0;
    }
    v = json_object_get(req, "temperature");
    if (json_is_number(v) && json_number_value(v) == 0.0)
        bad = bad || json_object_set_new(body, "top_p", json_integer(0)) < 0;
    else if (json_is_number(v))
        bad = bad || json_object_set(body, "temperature", (json_t *)v) < 0;
    v = json_object_get(req, "max_completion_tokens");
    if (v == NULL || json_is_null(v))
        v = json_object_get(req, "max_tokens");
    if (v != NULL && !json_is_null(v))
        bad = bad || json_object_set(body, "max_tokens", (json_t *)v) < 0;
    if (pc->stream)
        bad = bad || json_object_set_new(body, "stream", json_true()) < 0;
    v = json_object_get(req, "tools");
    if (json_array_size(v) > 0) {
        fns = json_array();
        bad = bad || fns == NULL || functions_of(v, fns) < 0 ||
              json_object_set(body, "functions", fns) < 0;
    }
    v = json_object_get(json_object_get(req, "tool_choice"), "function");
    if (json_is_object(v))
        bad = bad || json_object_set_new(body, "function_call",
                                         json_pack("{s:s}", "name",
                                                   lmx_json_str(v, "name") != NULL
                                                       ? lmx_json_str(v, "name")
                                                       : "")) < 0;
    rf = json_object_get(req, "response_format");
    if (!bad && json_is_object(rf) && lmx_json_str(rf, "type") != NULL &&
        strcmp(lmx_json_str(rf, "type"), "json_schema") == 0) {
        const json_t *js = json_object_get(rf, "json_schema"), *schema;
        const char *name = lmx_json_str(js, "name");
        json_t *f, *all = json_object_get(body, "functions");
        char desc[256];

        if (name == NULL)
            name = "structured_output";
        schema = json_object_get(js, "schema");
        snprintf(desc, sizeof(desc), "Output structured response: %s", name);
        f = json_is_object(schema)
                ? json_pack("{s:s,s:s,s:O}", "name", name, "description", desc, "parameters",
                            schema)
                : json_pack("{s:s,s:s,s:{}}", "name", name, "description", desc, "parameters");
        if (!json_is_array(all)) {
            all = json_array();
            bad = all == NULL || json_object_set_new(body, "functions", all) < 0;
        }
        bad = bad || f == NULL || json_array_append_new(all, f) < 0 ||
              json_object_set_new(body, "function_call", json_pack("{s:s}", "name", name)) < 0;
        gc->structured = true;
    }
    json_decref(fns);
    if (bad) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

static int gc_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct gc_call *gc = call_get(pc);
    const char *m = pc->model != NULL ? pc->model : "", *base, *cred;
    json_t *body = NULL;
    size_t n;
    int rc;

    if (gc == NULL)
        return oom(err);
    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "gigachat deployments serve /chat/completions only (model=%s)", m);
    if (gc->token == NULL) {
        cred = credentials_of(pc->dep);
        if (cred == NULL)
            return no_key(pc->dep, err);
        key_of(pc->dep, cred, gc->key);
        rc = lmx_token_take(gc->key, &gc->token);
        if (rc <= 0)
            return rc < 0 ? oom(err)
                          : lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                                          "gigachat: no access token (the token step did not run)");
    }
    rc = chat_body(pc, gc, &body, err);
    if (rc < 0)
        return rc;
    if (pc->stream)
        gc->include_usage = json_is_true(
            json_object_get(json_object_get(pc->req, "stream_options"), "include_usage"));
    base = pc->dep->api_base;
    if (base == NULL || *base == '\0')
        base = env_nonempty("GIGACHAT_API_BASE");
    if (base == NULL)
        base = GC_BASE_URL;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    out->method = "POST";
    rc = lmx_buf_append(&out->url, base, n);
    if (rc == 0)
        rc = lmx_buf_puts(&out->url, "/chat/completions");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", gc->token);
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
                                              "the request for provider 'gigachat' is too large");
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/*
 * A GigaChat message or delta in place: function_call -> tool_calls (or, for a
 * structured output, the arguments as content); functions_state_id dropped.
 * *finish is replaced by "tool_calls" / "stop" when the function call was converted.
 */
static int fix_message(json_t *msg, bool structured, bool delta, const char **finish)
{
    const json_t *fc = json_object_get(msg, "function_call");
    const json_t *a = json_object_get(fc, "arguments");
    json_t *args, *calls;
    char id[32];
    int rc = 0;

    json_object_del(msg, "functions_state_id");
    if (!json_is_object(fc))
        return 0;
    if (json_is_string(a)) {
        args = json_incref((json_t *)a);
    } else {
        char *s = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        args = json_string(s != NULL ? s : "{}");
        free(s);
    }
    if (args == NULL)
        return LMX_ENOMEM;
    if (structured) {
        rc = json_object_set(msg, "content", args) < 0 ? LMX_ENOMEM : 0;
        *finish = "stop";
    } else {
        call_id(id);
        calls = delta ? json_pack("[{s:i,s:s,s:s,s:{s:O,s:O}}]", "index", 0, "id", id, "type",
                                  "function", "function", "name", json_object_get(fc, "name"),
                                  "arguments", args)
                      : json_pack("[{s:s,s:s,s:{s:O,s:O}}]", "id", id, "type", "function",
                                  "function", "name", json_object_get(fc, "name"), "arguments",
                                  args);
        if (calls == NULL || json_object_set_new(msg, "tool_calls", calls) < 0)
            rc = LMX_ENOMEM;
        *finish = "tool_calls";
    }
    json_decref(args);
    json_object_del(msg, "function_call");
    return rc;
}

static json_t *usage_of(const json_t *u)
{
    json_int_t p = json_integer_value(json_object_get(u, "prompt_tokens"));
    json_int_t c = json_integer_value(json_object_get(u, "completion_tokens"));
    const json_t *t = json_object_get(u, "total_tokens");

    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", p, "completion_tokens", c,
                     "total_tokens", json_is_integer(t) ? json_integer_value(t) : p + c);
}

static int gc_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct gc_call *gc = pc->state;
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL), *res = NULL, *choices;
    const json_t *ch, *id, *created;
    size_t i;
    char gen[48], u[37];

    if (!json_is_object(root) || !json_is_array(json_object_get(root, "choices"))) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "gigachat: the answer is not a chat completion: %.200s",
                             body != NULL ? body : "");
    }
    choices = json_array();
    if (choices == NULL)
        goto nomem;
    json_array_foreach(json_object_get(root, "choices"), i, ch) {
        json_t *msg = json_deep_copy(json_object_get(ch, "message"));
        const char *finish = lmx_json_str(ch, "finish_reason");
        const json_t *idx = json_object_get(ch, "index");

        if (msg == NULL)
            msg = json_pack("{s:s,s:s}", "role", "assistant", "content", "");
        if (finish == NULL)
            finish = "stop";
        if (msg == NULL ||
            (strcmp(finish, "function_call") == 0 &&
             fix_message(msg, gc != NULL && gc->structured, false, &finish) < 0) ||
            json_array_append_new(choices,
                                  json_pack("{s:I,s:o,s:s}", "index",
                                            json_is_integer(idx) ? json_integer_value(idx)
                                                                 : (json_int_t)i,
                                            "message", msg, "finish_reason", finish)) < 0) {
            json_decref(choices);
            goto nomem;
        }
        json_object_del(msg, "functions_state_id");
        if (json_object_get(msg, "role") == NULL)
            json_object_set_new(msg, "role", json_string("assistant"));
    }
    id = json_object_get(root, "id");
    created = json_object_get(root, "created");
    lmx_uuid4(u);
    snprintf(gen, sizeof(gen), "chatcmpl-%s", u);
    res = json_pack("{s:s,s:s,s:I,s:s,s:o,s:o}", "id",
                    json_is_string(id) ? json_string_value(id) : gen, "object", "chat.completion",
                    "created",
                    json_is_integer(created) ? json_integer_value(created) : (json_int_t)time(NULL),
                    "model", pc->model != NULL ? pc->model : "", "choices", choices, "usage",
                    usage_of(json_object_get(root, "usage")));
    json_decref(root);
    if (res == NULL)
        return oom(err);
    *out = res;
    return 0;
nomem:
    json_decref(root);
    return oom(err);
}

/* {"status": n, "message": "..."} (or an OpenAI-style error) -> out. */
static void error_from(long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const char *msg = lmx_json_str(root, "message");

    if (msg == NULL)
        msg = lmx_json_str(json_object_get(root, "error"), "message");
    if (status <= 0 && json_is_integer(json_object_get(root, "status")))
        status = (long)json_integer_value(json_object_get(root, "status"));
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
        snprintf(out->message, sizeof(out->message), "gigachat: %s", msg);
    else
        snprintf(out->message, sizeof(out->message), "gigachat returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static int emit(struct gc_call *gc, json_t *c)
{
    int rc;

    if (c == NULL)
        return lmx_perr_fail(gc->err, LMX_ENOMEM, 503, "internal_server_error",
                             "gigachat: out of memory");
    rc = gc->cb(c, gc->ud);
    json_decref(c);
    return rc;
}

static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct gc_call *gc = ud;
    json_t *root, *choices = NULL;
    const json_t *ch, *u;
    size_t i;
    int rc = 0;

    (void)event;
    (void)event_len;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 0;
    root = json_loadb(data, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return lmx_perr_fail(gc->err, LMX_EUPSTREAM, 502, "internal_server_error",
                             "gigachat: a stream event is not JSON: %.200s", data);
    }
    if (json_object_get(root, "choices") == NULL && lmx_json_str(root, "message") != NULL) {
        error_from(0, data, len, gc->err);
        json_decref(root);
        return LMX_EUPSTREAM;
    }
    if (json_is_integer(json_object_get(root, "created")) && gc->created == 0)
        gc->created = json_integer_value(json_object_get(root, "created"));
    if (gc->created == 0)
        gc->created = (json_int_t)time(NULL);
    u = json_object_get(root, "usage");
    if (json_is_object(u)) {
        json_decref(gc->usage);
        gc->usage = usage_of(u);
    }
    choices = json_array();
    if (choices == NULL)
        goto nomem;
    json_array_foreach(json_object_get(root, "choices"), i, ch) {
        json_t *delta = json_deep_copy(json_object_get(ch, "delta"));
        const char *finish = lmx_json_str(ch, "finish_reason");
        const json_t *idx = json_object_get(ch, "index");

        if (delta == NULL)
            delta = json_object();
        if (delta == NULL)
            goto nomem;
        if (!gc->role_sent && json_object_set_new(delta, "role", json_string("assistant")) < 0) {
            json_decref(delta);
            goto nomem;
        }
        gc->role_sent = true;
        if (json_object_get(delta, "function_call") != NULL &&
            fix_message(delta, gc->structured, true, &finish) < 0) {
            json_decref(delta);
            goto nomem;
        }
        if (finish != NULL && strcmp(finish, "function_call") == 0)
            finish = gc->structured ? "stop" : "tool_calls";
        if (json_array_append_new(choices,
                                  json_pack("{s:I,s:o,s:s?}", "index",
                                            json_is_integer(idx) ? json_integer_value(idx)
                                                                 : (json_int_t)i,
                                            "delta", delta, "finish_reason", finish)) < 0)
            goto nomem;
    }
    if (json_array_size(choices) > 0) {
        json_t *c = json_pack("{s:s,s:s,s:I,s:s,s:O}", "id", gc->id, "object",
                              "chat.completion.chunk", "created", gc->created, "model", gc->model,
                              "choices", choices);
        /* a null finish_reason is still sent as null */
        const json_t *cc;
        size_t k;

        json_array_foreach(json_object_get(c, "choices"), k, cc)
            if (json_object_get(cc, "finish_reason") == NULL)
                json_object_set_new((json_t *)cc, "finish_reason", json_null());
        rc = emit(gc, c);
    }
    json_decref(choices);
    json_decref(root);
    return rc;
nomem:
    json_decref(choices);
    json_decref(root);
    return lmx_perr_fail(gc->err, LMX_ENOMEM, 503, "internal_server_error",
                         "gigachat: out of memory");
}

static int feed(struct lmx_pcall *pc, const char *p, size_t n, bool end, lmx_chunk_cb cb,
                void *ud, struct lmx_perr *err)
{
    struct gc_call *gc = pc->state;
    int rc;

    if (gc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "gigachat: stream bytes for a call that was not built");
    if (!gc->sse_init) {
        char u[37];

        lmx_sse_reader_init(&gc->sse, GC_EVENT_MAX);
        gc->sse_init = true;
        lmx_uuid4(u);
        snprintf(gc->id, sizeof(gc->id), "chatcmpl-%s", u);
    }
    gc->cb = cb;
    gc->ud = ud;
    gc->err = err;
    gc->model = pc->model != NULL ? pc->model : "";
    rc = end ? lmx_sse_reader_finish(&gc->sse, on_event, gc)
             : lmx_sse_reader_feed(&gc->sse, p, n, on_event, gc);
    if (rc == 0 && end && gc->include_usage && !gc->usage_sent && gc->usage != NULL) {
        gc->usage_sent = true;
        rc = emit(gc, json_pack("{s:s,s:s,s:I,s:s,s:[],s:O}", "id", gc->id, "object",
                                "chat.completion.chunk", "created", gc->created, "model",
                                gc->model, "choices", "usage", gc->usage));
    }
    if (rc < 0 && err->status == 0)
        lmx_perr_fail(err, rc, 502, "internal_server_error",
                      "gigachat: cannot read the stream: %s", lmx_strerror(rc));
    return rc;
}

static int gc_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    return feed(pc, p, n, false, cb, ud, err);
}

static int gc_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    return feed(pc, NULL, 0, true, cb, ud, err);
}

static void gc_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    struct gc_call *gc = pc->state;

    /* a token GigaChat no longer takes: fetch a new one next time */
    if (status == 401 && gc != NULL && gc->key[0] != '\0')
        lmx_token_forget(gc->key);
    error_from(status, body, len, out);
}

const struct lmx_provider_ops lmx_provider_gigachat_ops = {
    .name = "gigachat",
    .build = gc_build,
    .parse = gc_parse,
    .stream_feed = gc_stream_feed,
    .stream_end = gc_stream_end,
    .map_error = gc_map_error,
    .release = gc_release,
    .token_prepare = gc_token_prepare,
    .token_done = gc_token_done,
};
