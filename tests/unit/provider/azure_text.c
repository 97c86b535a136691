/*
 * tests/unit/provider/azure_text.c - the azure_text/ adapter: golden
 * completions requests (URL, api-key, prompt from one or several messages,
 * parameter mapping), refused chat-only parameters, text_completion answers
 * and streams to chat objects, and errors.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/provider.h"
#include "test.h"

#include "../../../src/provider/azure_text.c"

static const struct lmx_provider_ops *ops = &lmx_provider_azure_text_ops;

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

static void dep_init(struct lmx_deployment *d, const char *base, const char *ver, json_t *lp)
{
    memset(d, 0, sizeof(*d));
    d->model_name = "m";
    d->model = "azure_text/gpt-35-turbo-instruct";
    d->provider = "azure_text";
    d->api_base = (char *)base;
    d->api_key = "az-key";
    d->api_version = (char *)ver;
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
    pc->model = "gpt-35-turbo-instruct";
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

static void test_requests(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = json_object(), *body;
    json_t *one = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],"
                    "\"max_completion_tokens\":7,\"temperature\":0.1,\"stop\":[\"\\n\"],"
                    "\"top_logprobs\":2,\"logprobs\":true,\"echo\":true,\"user\":\"u\","
                    "\"stream_options\":{\"include_usage\":true}}");
    json_t *many = J("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":"
                     "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":"
                     "\"text\",\"text\":\"b\"}]}],\"tools\":[{\"type\":\"function\","
                     "\"function\":{\"name\":\"f\"}}]}");

    dep_init(&d, "https://res.openai.azure.com/", "2024-02-01", lp);
    pc_init(&pc, &d, one, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://res.openai.azure.com/openai/deployments/"
                               "gpt-35-turbo-instruct/completions?api-version=2024-02-01");
    ASSERT_STR_EQ(header(&up, "api-key"), "az-key");
    ASSERT(header(&up, "Authorization") == NULL);
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"model\":\"gpt-35-turbo-instruct\",\"prompt\":\"Say hi\","
                     "\"temperature\":0.1,\"stop\":[\"\\n\"],\"user\":\"u\",\"echo\":true,"
                     "\"max_tokens\":7,\"logprobs\":2}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    /* a stream keeps stream_options; the default api-version */
    dep_init(&d, "https://res.openai.azure.com", NULL, lp);
    pc_init(&pc, &d, one, true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT(strstr(up.url.data, "?api-version=2024-10-21") != NULL);
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(json_is_true(json_object_get(body, "stream")));
    ASSERT(eqs(json_object_get(body, "stream_options"), "{\"include_usage\":true}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    /* several messages: a list of prompts; tools refused, or dropped */
    pc_init(&pc, &d, many, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADPARAM);
    ASSERT_EQ(e.status, 400);
    ASSERT_STR_EQ(e.param, "tools");
    ops->release(&pc);
    lmx_upreq_release(&up);
    pc_init(&pc, &d, many, false);
    pc.drop_params = true;
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"model\":\"gpt-35-turbo-instruct\",\"prompt\":[\"Be brief\",\"ab\"]}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    /* no api_base; an Entra ID token instead of a key */
    dep_init(&d, NULL, NULL, lp);
    pc_init(&pc, &d, one, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADREQ);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_object_set_new(lp, "azure_ad_token", json_string("ad-tok"));
    dep_init(&d, "http://127.0.0.1:1", NULL, lp);
    d.api_key = NULL;
    pc_init(&pc, &d, one, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer ad-tok");
    ASSERT(header(&up, "api-key") == NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(lp);
    json_decref(one);
    json_decref(many);
}

static void test_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *lp = json_object(), *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    json_t *out = NULL;
    struct chunks c;
    const char *a = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1700000000,"
                    "\"model\":\"gpt-35-turbo-instruct\",\"choices\":[{\"text\":\"Hi!\",\"index\":"
                    "0,\"finish_reason\":\"length\",\"logprobs\":null}],\"usage\":{"
                    "\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}";
    const char *sse = "data: {\"id\":\"cmpl-2\",\"object\":\"text_completion\",\"created\":5,"
                      "\"choices\":[{\"text\":\"He\",\"index\":0,\"finish_reason\":null}]}\n\n"
                      "data: {\"id\":\"cmpl-2\",\"object\":\"text_completion\",\"created\":5,"
                      "\"choices\":[{\"text\":\"y\",\"index\":0,\"finish_reason\":\"stop\"}]}\n\n"
                      "data: {\"id\":\"cmpl-2\",\"object\":\"text_completion\",\"created\":5,"
                      "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
                      "\"total_tokens\":3}}\n\ndata: [DONE]\n\n";
    size_t cut = 40;

    dep_init(&d, "http://127.0.0.1:1", NULL, lp);
    pc_init(&pc, &d, req, false);
    ASSERT_EQ(ops->parse(&pc, a, strlen(a), &out, &e), 0);
    ASSERT(eqs(out, "{\"id\":\"cmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
                    "\"model\":\"gpt-35-turbo-instruct\",\"choices\":[{\"index\":0,\"message\":{"
                    "\"role\":\"assistant\",\"content\":\"Hi!\"},\"finish_reason\":\"length\","
                    "\"logprobs\":null}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,"
                    "\"total_tokens\":3}}"));
    json_decref(out);
    ASSERT_EQ(ops->parse(&pc, "[]", 2, &out, &e), LMX_EUPSTREAM);

    pc_init(&pc, &d, req, true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    lmx_upreq_release(&up);
    c.all = json_array();
    ASSERT_EQ(ops->stream_feed(&pc, sse, cut, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_feed(&pc, sse + cut, strlen(sse) - cut, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 3);
    ASSERT(eqs(json_array_get(c.all, 0),
               "{\"id\":\"cmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":"
               "\"gpt-35-turbo-instruct\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
               "\"assistant\",\"content\":\"He\"},\"finish_reason\":null,\"logprobs\":null}]}"));
    ASSERT(eqs(json_object_get(json_array_get(c.all, 1), "choices"),
               "[{\"index\":0,\"delta\":{\"content\":\"y\"},\"finish_reason\":\"stop\","
               "\"logprobs\":null}]"));
    ASSERT(eqs(json_array_get(c.all, 2),
               "{\"id\":\"cmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":"
               "\"gpt-35-turbo-instruct\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
               "\"completion_tokens\":2,\"total_tokens\":3}}"));
    json_decref(c.all);
    ops->release(&pc);

    pc_init(&pc, &d, req, false);
    {
        const char *b = "{\"error\":{\"code\":\"DeploymentNotFound\",\"message\":\"The API "
                        "deployment for this resource does not exist.\"}}";

        ops->map_error(&pc, 404, b, strlen(b), &e);
    }
    ASSERT_EQ(e.status, 404);
    ASSERT_STR_EQ(e.type, "not_found_error");
    ASSERT_STR_EQ(e.message, "azure_text: The API deployment for this resource does not exist. "
                             "(DeploymentNotFound)");
    json_decref(lp);
    json_decref(req);
}

int main(void)
{
    RUN(test_requests);
    RUN(test_answers);
    TEST_MAIN_END();
}
