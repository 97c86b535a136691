/*
 * tests/unit/provider/gigachat.c - the gigachat/ adapter: the OAuth token
 * step (request, answer with an expiry in milliseconds, cache, refusal), a
 * golden chat request (URL, headers, body with functions and function
 * messages), answers with a function call or a structured output, streams,
 * errors and refused parameters.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/provider.h"
#include "provider/token.h"
#include "test.h"

#include "../../../src/provider/gigachat.c"

static const struct lmx_provider_ops *ops = &lmx_provider_gigachat_ops;

static json_t *J(const char *s)
{
    json_error_t je;
    json_t *v = json_loads(s, 0, &je);

    if (v == NULL) {
        fprintf(stderr, "bad JSON in test: %s: %s\n", je.text, s);
        abort();
    }
    return v;
}

static bool eqs(const json_t *got, const char *want)
{
    json_t *w = J(want);
    bool ok = got != NULL && json_equal(got, w);

    if (!ok) {
        char *a = got != NULL ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "  got:  %s\n  want: %s\n", a != NULL ? a : "(null)", want);
        free(a);
    }
    json_decref(w);
    return ok;
}

static void dep_init(struct lmx_deployment *d, const char *base, const char *key, json_t *lp)
{
    memset(d, 0, sizeof(*d));
    d->model_name = "m";
    d->model = "gigachat/GigaChat-2-Max";
    d->provider = "gigachat";
    d->api_base = (char *)base;
    d->api_key = (char *)key;
    d->drop_params = -1;
    d->litellm_params = lp;
}

static void pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, const json_t *req,
                    bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = LMX_EP_CHAT;
    pc->req = req;
    pc->model = "GigaChat-2-Max";
    pc->call_id = "c1";
    pc->stream = stream;
}

static const char *header(const struct lmx_upreq *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

struct chunks {
    json_t *all;
};

static int collect(const json_t *chunk, void *ud)
{
    struct chunks *c = ud;

    json_array_append(c->all, (json_t *)chunk);
    return 0;
}

static void clear_env(void)
{
    static const char *const names[] = {"GIGACHAT_CREDENTIALS", "GIGACHAT_API_KEY",
                                        "GIGACHAT_AUTH_URL",    "GIGACHAT_SCOPE",
                                        "GIGACHAT_API_BASE"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(names); i++)
        unsetenv(names[i]);
}

/* A token answer valid for 30 minutes from now, expires_at in epoch milliseconds. */
static void token_answer(char *out, size_t cap, const char *tok)
{
    snprintf(out, cap, "{\"access_token\":\"%s\",\"expires_at\":%.0f}", tok,
             (lmx_wall_s() + 1800.0) * 1000.0);
}

static void test_token_and_chat(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = json_object();
    json_t *req = J(
        "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},"
        "{\"role\":\"developer\",\"content\":\"Be kind\"},"
        "{\"role\":\"user\",\"name\":\"ann\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"},"
        "{\"type\":\"text\",\"text\":\"there\"}]},{\"role\":\"user\",\"content\":\"weather?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
        "\"function\",\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"q\\\":1}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":{\"t\":20}}],"
        "\"max_tokens\":50,\"temperature\":0.3,\"top_p\":0.9,\"stop\":[\"x\"],"
        "\"repetition_penalty\":1.1,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
        "\"get\",\"description\":\"d\",\"parameters\":{\"type\":\"object\"}}}],"
        "\"tool_choice\":\"auto\"}");
    char ans[256];
    json_t *body;

    clear_env();
    lmx_token_clear();
    dep_init(&d, "https://gigachat.example/api/v1/", "Y2lkOnNlYw==", lp);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.method, "POST");
    ASSERT_STR_EQ(tok.url.data, "https://ngw.devices.sberbank.ru:9443/api/v2/oauth");
    ASSERT_STR_EQ(tok.body.data, "scope=GIGACHAT_API_PERS");
    ASSERT_STR_EQ(header(&tok, "Authorization"), "Basic Y2lkOnNlYw==");
    ASSERT_STR_EQ(header(&tok, "Content-Type"), "application/x-www-form-urlencoded");
    ASSERT(header(&tok, "RqUID") != NULL && strlen(header(&tok, "RqUID")) == 36);
    token_answer(ans, sizeof(ans), "gc.tok.1");
    ASSERT_EQ(ops->token_done(&pc, 200, ans, strlen(ans), &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://gigachat.example/api/v1/chat/completions");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer gc.tok.1");
    ASSERT_STR_EQ(header(&up, "Accept"), "application/json");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body,
               "{\"model\":\"GigaChat-2-Max\",\"messages\":["
               "{\"role\":\"system\",\"content\":\"Be brief\"},"
               "{\"role\":\"system\",\"content\":\"Be kind\"},"
               "{\"role\":\"user\",\"content\":\"Hi\\nthere\\nweather?\"},"
               "{\"role\":\"assistant\",\"content\":\"\",\"function_call\":{\"name\":\"get\","
               "\"arguments\":{\"q\":1}}},"
               "{\"role\":\"function\",\"content\":\"{\\\"t\\\":20}\"}],"
               "\"max_tokens\":50,\"temperature\":0.3,\"top_p\":0.9,\"repetition_penalty\":1.1,"
               "\"functions\":[{\"name\":\"get\",\"description\":\"d\",\"parameters\":{\"type\":"
               "\"object\"}}]}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* the next call reuses the cached token; a stream asks for SSE */
    pc_init(&pc, &d, req, true);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer gc.tok.1");
    ASSERT_STR_EQ(header(&up, "Accept"), "text/event-stream");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(json_is_true(json_object_get(body, "stream")));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* another scope is another credential: a new token request */
    setenv("GIGACHAT_SCOPE", "GIGACHAT_API_CORP", 1);
    setenv("GIGACHAT_AUTH_URL", "http://127.0.0.1:1/api/v2/oauth", 1);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.url.data, "http://127.0.0.1:1/api/v2/oauth");
    ASSERT_STR_EQ(tok.body.data, "scope=GIGACHAT_API_CORP");
    {
        const char *r = "{\"code\":6,\"message\":\"credentials doesn't match db data\"}";

        ASSERT_EQ(ops->token_done(&pc, 401, r, strlen(r), &e), LMX_EAUTH);
    }
    ASSERT_EQ(e.status, 401);
    ASSERT(strstr(e.message, "credentials doesn't match db data") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&tok);

    /* a 2xx answer without a token */
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_EQ(ops->token_done(&pc, 200, "{}", 2, &e), LMX_EUPSTREAM);
    ASSERT_EQ(e.status, 503);
    ops->release(&pc);
    lmx_upreq_release(&tok);

    /* no credentials at all */
    clear_env();
    dep_init(&d, NULL, NULL, lp);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), LMX_EAUTH);
    ASSERT_EQ(e.status, 401);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    json_decref(lp);
    json_decref(req);
}

/* Builds req on a deployment with a cached token; the body or NULL (e filled). */
static json_t *build_body(const char *req_text, bool drop, int *rc, struct lmx_perr *e)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    json_t *lp = json_object(), *req = J(req_text), *body = NULL;
    char ans[256];

    clear_env();
    dep_init(&d, NULL, "creds", lp);
    pc_init(&pc, &d, req, false);
    pc.drop_params = drop;
    lmx_upreq_init(&tok);
    lmx_upreq_init(&up);
    if (ops->token_prepare(&pc, &tok, e) == 1) {
        token_answer(ans, sizeof(ans), "t");
        ops->token_done(&pc, 200, ans, strlen(ans), e);
    }
    *rc = ops->build(&pc, &up, e);
    if (*rc == 0) {
        body = json_loadb(up.body.data, up.body.len, 0, NULL);
        if (strcmp(up.url.data, "https://gigachat.devices.sberbank.ru/api/v1/chat/completions") !=
            0) {
            fprintf(stderr, "  unexpected URL %s\n", up.url.data);
            json_decref(body);
            body = NULL;
            *rc = LMX_EINTERNAL;
        }
    }
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);
    json_decref(lp);
    json_decref(req);
    return body;
}

static void test_params(void)
{
    struct lmx_perr e = {0, "", "", ""};
    json_t *body;
    int rc;

    lmx_token_clear();
    /* temperature 0 -> top_p 0; a named tool_choice -> function_call; json_schema -> a function */
    body = build_body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,"
                      "\"max_completion_tokens\":9,\"tools\":[{\"type\":\"function\",\"function\":"
                      "{\"name\":\"get\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":"
                      "{\"name\":\"get\"}}}",
                      false, &rc, &e);
    ASSERT_EQ(rc, 0);
    ASSERT(eqs(body, "{\"model\":\"GigaChat-2-Max\",\"messages\":[{\"role\":\"user\",\"content\":"
                     "\"Hi\"}],\"top_p\":0,\"max_tokens\":9,\"functions\":[{\"name\":\"get\","
                     "\"description\":\"\",\"parameters\":{}}],\"function_call\":{\"name\":"
                     "\"get\"}}"));
    json_decref(body);
    body = build_body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"response_format\":"
                      "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"out\",\"schema\":{"
                      "\"type\":\"object\"}}}}",
                      false, &rc, &e);
    ASSERT_EQ(rc, 0);
    ASSERT(eqs(body, "{\"model\":\"GigaChat-2-Max\",\"messages\":[{\"role\":\"user\",\"content\":"
                     "\"Hi\"}],\"functions\":[{\"name\":\"out\",\"description\":\"Output "
                     "structured response: out\",\"parameters\":{\"type\":\"object\"}}],"
                     "\"function_call\":{\"name\":\"out\"}}"));
    json_decref(body);
    /* unsupported parameters: refused, or dropped with drop_params */
    body = build_body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"seed\":1}", false,
                      &rc, &e);
    ASSERT_EQ(rc, LMX_EBADPARAM);
    ASSERT_EQ(e.status, 400);
    ASSERT_STR_EQ(e.param, "seed");
    body = build_body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"seed\":1}", true,
                      &rc, &e);
    ASSERT_EQ(rc, 0);
    ASSERT(json_object_get(body, "seed") == NULL);
    json_decref(body);
    /* image parts need GigaChat's file upload */
    body = build_body("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                      "\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}",
                      false, &rc, &e);
    ASSERT_EQ(rc, LMX_EBADREQ);
    ASSERT(strstr(e.message, "file upload") != NULL);
    body = build_body("{\"model\":\"x\"}", false, &rc, &e);
    ASSERT_EQ(rc, LMX_EBADREQ);
}

static void test_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = json_object(), *req = J("{\"messages\":[]}"), *out = NULL, *tc;
    struct chunks c;
    const char *a1 = "{\"choices\":[{\"message\":{\"content\":\"Hi!\",\"role\":\"assistant\"},"
                     "\"index\":0,\"finish_reason\":\"stop\"}],\"created\":1700000000,\"model\":"
                     "\"GigaChat:2.0\",\"object\":\"chat.completion\",\"usage\":{\"prompt_tokens\":"
                     "3,\"completion_tokens\":2,\"total_tokens\":5,\"precached_prompt_tokens\":0}}";
    const char *a2 = "{\"choices\":[{\"message\":{\"content\":\"\",\"role\":\"assistant\","
                     "\"function_call\":{\"name\":\"get\",\"arguments\":{\"q\":\"x\"}},"
                     "\"functions_state_id\":\"s1\"},\"index\":0,\"finish_reason\":"
                     "\"function_call\"}],\"created\":1,\"usage\":{\"prompt_tokens\":1,"
                     "\"completion_tokens\":1,\"total_tokens\":2}}";
    const char *sse = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\",\"role\":\"assistant\"},"
                      "\"index\":0}],\"created\":5,\"model\":\"GigaChat\",\"object\":"
                      "\"chat.completion\"}\n\n"
                      "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"index\":0}],"
                      "\"created\":5}\n\n"
                      "data: {\"choices\":[{\"delta\":{\"content\":\"\"},\"index\":0,"
                      "\"finish_reason\":\"stop\"}],\"created\":5,\"usage\":{\"prompt_tokens\":3,"
                      "\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
                      "data: [DONE]\n\n";
    size_t half = strlen(sse) / 2;

    dep_init(&d, NULL, "creds", lp);
    pc_init(&pc, &d, req, false);
    ASSERT_EQ(ops->parse(&pc, a1, strlen(a1), &out, &e), 0);
    json_object_del(out, "id");
    ASSERT(eqs(out, "{\"object\":\"chat.completion\",\"created\":1700000000,\"model\":"
                    "\"GigaChat-2-Max\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hi!\","
                    "\"role\":\"assistant\"},\"finish_reason\":\"stop\"}],\"usage\":{"
                    "\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}"));
    json_decref(out);
    ASSERT_EQ(ops->parse(&pc, a2, strlen(a2), &out, &e), 0);
    tc = json_array_get(json_object_get(json_object_get(
                            json_array_get(json_object_get(out, "choices"), 0), "message"),
                                        "tool_calls"),
                        0);
    ASSERT_STR_EQ(lmx_json_str(json_array_get(json_object_get(out, "choices"), 0),
                               "finish_reason"),
                  "tool_calls");
    ASSERT(strncmp(lmx_json_str(tc, "id"), "call_", 5) == 0 &&
           strlen(lmx_json_str(tc, "id")) == 29);
    json_object_del(tc, "id");
    ASSERT(eqs(tc, "{\"type\":\"function\",\"function\":{\"name\":\"get\",\"arguments\":"
                   "\"{\\\"q\\\":\\\"x\\\"}\"}}"));
    json_decref(out);
    ASSERT_EQ(ops->parse(&pc, "nope", 4, &out, &e), LMX_EUPSTREAM);
    ops->release(&pc);

    /* structured output: the arguments are the content */
    pc_init(&pc, &d, req, false);
    pc.state = lmx_calloc(1, sizeof(struct gc_call));
    ((struct gc_call *)pc.state)->structured = true;
    ASSERT_EQ(ops->parse(&pc, a2, strlen(a2), &out, &e), 0);
    ASSERT(eqs(json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message"),
               "{\"role\":\"assistant\",\"content\":\"{\\\"q\\\":\\\"x\\\"}\"}"));
    json_decref(out);
    ops->release(&pc);

    /* a stream split anywhere, with a usage chunk asked for */
    pc_init(&pc, &d, req, true);
    pc.state = lmx_calloc(1, sizeof(struct gc_call));
    ((struct gc_call *)pc.state)->include_usage = true;
    c.all = json_array();
    ASSERT_EQ(ops->stream_feed(&pc, sse, half, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_feed(&pc, sse + half, strlen(sse) - half, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 4);
    ASSERT(strncmp(lmx_json_str(json_array_get(c.all, 0), "id"), "chatcmpl-", 9) == 0);
    for (size_t i = 1; i < 4; i++)
        ASSERT_STR_EQ(lmx_json_str(json_array_get(c.all, i), "id"),
                      lmx_json_str(json_array_get(c.all, 0), "id"));
    for (size_t i = 0; i < 4; i++)
        json_object_del(json_array_get(c.all, i), "id");
    ASSERT(eqs(json_array_get(c.all, 0),
               "{\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"GigaChat-2-Max\","
               "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\",\"role\":\"assistant\"},"
               "\"finish_reason\":null}]}"));
    ASSERT(eqs(json_object_get(json_array_get(c.all, 2), "choices"),
               "[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]"));
    ASSERT(eqs(json_array_get(c.all, 3),
               "{\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"GigaChat-2-Max\","
               "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
               "\"total_tokens\":5}}"));
    json_decref(c.all);
    ops->release(&pc);

    /* a streamed function call */
    {
        const char *f = "data: {\"choices\":[{\"delta\":{\"content\":\"\",\"role\":\"assistant\","
                        "\"function_call\":{\"name\":\"get\",\"arguments\":{\"q\":\"x\"}},"
                        "\"functions_state_id\":\"s\"},\"index\":0,\"finish_reason\":"
                        "\"function_call\"}],\"created\":5}\n\ndata: [DONE]\n\n";
        const json_t *ch;

        pc_init(&pc, &d, req, true);
        pc.state = lmx_calloc(1, sizeof(struct gc_call));
        c.all = json_array();
        ASSERT_EQ(ops->stream_feed(&pc, f, strlen(f), collect, &c, &e), 0);
        ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
        ASSERT_EQ(json_array_size(c.all), 1);
        ch = json_array_get(json_object_get(json_array_get(c.all, 0), "choices"), 0);
        ASSERT_STR_EQ(lmx_json_str(ch, "finish_reason"), "tool_calls");
        tc = json_array_get(json_object_get(json_object_get(ch, "delta"), "tool_calls"), 0);
        json_object_del(tc, "id");
        ASSERT(eqs(tc, "{\"index\":0,\"type\":\"function\",\"function\":{\"name\":\"get\","
                       "\"arguments\":\"{\\\"q\\\":\\\"x\\\"}\"}}"));
        ASSERT(json_object_get(json_object_get(ch, "delta"), "functions_state_id") == NULL);
        json_decref(c.all);
        ops->release(&pc);
    }

    /* errors */
    pc_init(&pc, &d, req, false);
    {
        const char *b = "{\"status\":429,\"message\":\"Too Many Requests\"}";

        ops->map_error(&pc, 429, b, strlen(b), &e);
    }
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT_STR_EQ(e.message, "gigachat: Too Many Requests");
    ops->map_error(&pc, 502, "bad gateway", 11, &e);
    ASSERT_EQ(e.status, 502);
    ASSERT(strstr(e.message, "bad gateway") != NULL);
    ops->release(&pc);
    json_decref(lp);
    json_decref(req);
}

int main(void)
{
    RUN(test_token_and_chat);
    RUN(test_params);
    RUN(test_answers);
    lmx_token_clear();
    clear_env();
    TEST_MAIN_END();
}
