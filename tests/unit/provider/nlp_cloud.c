/*
 * tests/unit/provider/nlp_cloud.c - the nlp_cloud/ adapter: a golden
 * generation request (URL, Token header, text and parameter mapping), refused
 * chat-only parameters, answers, the NUL-separated stream split anywhere, and
 * errors.
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

#include "../../../src/provider/nlp_cloud.c"

static const struct lmx_provider_ops *ops = &lmx_provider_nlp_cloud_ops;

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

static void dep_init(struct lmx_deployment *d, const char *base)
{
    memset(d, 0, sizeof(*d));
    d->model_name = "m";
    d->model = "nlp_cloud/dolphin";
    d->provider = "nlp_cloud";
    d->api_base = (char *)base;
    d->api_key = "nc-key";
    d->drop_params = -1;
}

static void pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, const json_t *req,
                    bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = LMX_EP_CHAT;
    pc->req = req;
    pc->model = "dolphin";
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
    json_t *req = J("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":"
                    "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],"
                    "\"max_completion_tokens\":9,\"n\":2,\"stop\":[\".\"],\"top_p\":0.5,"
                    "\"presence_penalty\":0.1,\"top_k\":4,\"remove_input\":true}");
    json_t *tools = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"seed\":3}");
    json_t *body;

    dep_init(&d, NULL);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://api.nlpcloud.io/v1/gpu/dolphin/generation");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Token nc-key");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"text\":\"Be brief Hi\",\"max_length\":9,\"num_return_sequences\":2,"
                     "\"stop_sequences\":[\".\"],\"top_p\":0.5,\"presence_penalty\":0.1,"
                     "\"top_k\":4,\"remove_input\":true}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    dep_init(&d, "http://127.0.0.1:1/v1/gpu/");
    pc_init(&pc, &d, req, true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "http://127.0.0.1:1/v1/gpu/dolphin/generation");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(json_is_true(json_object_get(body, "stream")));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    pc_init(&pc, &d, tools, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADPARAM);
    ASSERT_STR_EQ(e.param, "seed");
    ops->release(&pc);
    lmx_upreq_release(&up);
    pc_init(&pc, &d, tools, false);
    pc.drop_params = true;
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT(strstr(up.body.data, "seed") == NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
    json_decref(tools);
}

static void test_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), *out = NULL;
    struct chunks c;
    const char *a = "{\"generated_text\":\"Hi!\",\"nb_input_tokens\":3,\"nb_generated_tokens\":2}";
    const char s[] = "He\0llo\0 you[DONE]";
    size_t len = sizeof(s) - 1;

    dep_init(&d, NULL);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    lmx_upreq_release(&up);
    ASSERT_EQ(ops->parse(&pc, a, strlen(a), &out, &e), 0);
    json_object_del(out, "id");
    json_object_del(out, "created");
    ASSERT(eqs(out, "{\"object\":\"chat.completion\",\"model\":\"dolphin\",\"choices\":[{"
                    "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi!\"},"
                    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
                    "\"completion_tokens\":2,\"total_tokens\":5}}"));
    json_decref(out);
    ASSERT_EQ(ops->parse(&pc, "{\"x\":1}", 7, &out, &e), LMX_EUPSTREAM);
    ops->release(&pc);

    /* the stream, one byte at a time */
    for (int pass = 0; pass < 2; pass++) {
        pc_init(&pc, &d, req, true);
        lmx_upreq_init(&up);
        ASSERT_EQ(ops->build(&pc, &up, &e), 0);
        lmx_upreq_release(&up);
        c.all = json_array();
        if (pass == 0) {
            for (size_t i = 0; i < len; i++)
                ASSERT_EQ(ops->stream_feed(&pc, s + i, 1, collect, &c, &e), 0);
        } else {
            ASSERT_EQ(ops->stream_feed(&pc, s, len - 6, collect, &c, &e), 0); /* no [DONE] */
        }
        ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
        ASSERT_EQ(json_array_size(c.all), pass == 0 ? 3 : 4);
        ASSERT(eqs(json_object_get(json_array_get(c.all, 0), "choices"),
                   "[{\"index\":0,\"delta\":{\"content\":\"He\",\"role\":\"assistant\"},"
                   "\"finish_reason\":null}]"));
        ASSERT(eqs(json_object_get(json_array_get(c.all, 1), "choices"),
                   "[{\"index\":0,\"delta\":{\"content\":\"llo\"},\"finish_reason\":null}]"));
        if (pass == 0)
            ASSERT(eqs(json_object_get(json_array_get(c.all, 2), "choices"),
                       "[{\"index\":0,\"delta\":{\"content\":\" you\"},\"finish_reason\":"
                       "\"stop\"}]"));
        else /* no [DONE]: the end of the body finishes the stream */
            ASSERT(eqs(json_object_get(json_array_get(c.all, 3), "choices"),
                       "[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":"
                       "\"stop\"}]"));
        ASSERT_STR_EQ(lmx_json_str(json_array_get(c.all, 2), "object"), "chat.completion.chunk");
        json_decref(c.all);
        ops->release(&pc);
    }

    pc_init(&pc, &d, req, false);
    {
        const char *b = "{\"detail\":\"Invalid token.\"}";

        ops->map_error(&pc, 401, b, strlen(b), &e);
    }
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT_STR_EQ(e.message, "nlp_cloud: Invalid token.");
    json_decref(req);
}

int main(void)
{
    RUN(test_requests);
    RUN(test_answers);
    TEST_MAIN_END();
}
