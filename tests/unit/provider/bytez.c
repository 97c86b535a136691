/*
 * tests/unit/provider/bytez.c - the bytez/ adapter: a golden request (URL,
 * Key header, content item lists, params mapping), refused parameters and
 * items, answers with LiteLLM's token estimate, the raw text stream (a UTF-8
 * character split between reads), and errors.
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

#include "../../../src/provider/bytez.c"

static const struct lmx_provider_ops *ops = &lmx_provider_bytez_ops;

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
    d->model = "bytez/google/gemma-3-4b-it";
    d->provider = "bytez";
    d->api_base = (char *)base;
    d->api_key = "bz-key";
    d->drop_params = -1;
}

static void pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, const json_t *req,
                    bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = LMX_EP_CHAT;
    pc->req = req;
    pc->model = "google/gemma-3-4b-it";
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
    json_t *req = J("{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},"
                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is it?\"},"
                    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}],"
                    "\"max_tokens\":9,\"n\":1,\"temperature\":0.2,\"top_k\":5,\"user\":\"u\"}");
    json_t *stop = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":[\".\"]}");
    json_t *file = J("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\","
                     "\"file\":{\"file_id\":\"f\"}}]}]}");
    json_t *body;

    dep_init(&d, NULL);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://api.bytez.com/models/v2/google/gemma-3-4b-it");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Key bz-key");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"text\","
                     "\"text\":\"Be brief\"}]},{\"role\":\"user\",\"content\":[{\"type\":"
                     "\"text\",\"text\":\"What is it?\"},{\"type\":\"image\",\"url\":"
                     "\"https://x/y.png\"}]}],\"stream\":false,\"params\":{\"max_new_tokens\":9,"
                     "\"num_return_sequences\":1,\"temperature\":0.2,\"top_k\":5}}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    dep_init(&d, "http://127.0.0.1:1/models/v2/");
    pc_init(&pc, &d, stop, true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADPARAM);
    ASSERT_STR_EQ(e.param, "stop");
    ops->release(&pc);
    lmx_upreq_release(&up);
    pc_init(&pc, &d, stop, true);
    pc.drop_params = true;
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "http://127.0.0.1:1/models/v2/google/gemma-3-4b-it");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                     "\"text\":\"Hi\"}]}],\"stream\":true,\"params\":{}}"));
    json_decref(body);
    ops->release(&pc);
    lmx_upreq_release(&up);

    pc_init(&pc, &d, file, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADREQ);
    ASSERT(strstr(e.message, "are supported") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
    json_decref(stop);
    json_decref(file);
}

static void test_answers(void)
{
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                    "\"a b c\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}]}");
    json_t *out = NULL;
    struct chunks c;
    const char *a = "{\"error\":null,\"output\":{\"role\":\"assistant\",\"content\":[{\"type\":"
                    "\"text\",\"text\":\"Hi there!\"}]}}";
    const char *s = "caf\xc3\xa9 ok";

    dep_init(&d, NULL);
    pc_init(&pc, &d, req, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    lmx_upreq_release(&up);
    ASSERT_EQ(ops->parse(&pc, a, strlen(a), &out, &e), 0);
    json_object_del(out, "id");
    json_object_del(out, "created");
    ASSERT(eqs(out, "{\"object\":\"chat.completion\",\"model\":\"google/gemma-3-4b-it\","
                    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                    "\"Hi there!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,"
                    "\"completion_tokens\":2,\"total_tokens\":6}}"));
    json_decref(out);
    {
        const char *b = "{\"error\":\"model is loading\",\"output\":null}";

        ASSERT_EQ(ops->parse(&pc, b, strlen(b), &out, &e), LMX_EUPSTREAM);
        ASSERT(strstr(e.message, "model is loading") != NULL);
    }
    ops->release(&pc);

    /* the stream: the é split between two reads */
    pc_init(&pc, &d, req, true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    lmx_upreq_release(&up);
    c.all = json_array();
    ASSERT_EQ(ops->stream_feed(&pc, s, 4, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_feed(&pc, s + 4, strlen(s) - 4, collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 3);
    ASSERT(eqs(json_object_get(json_array_get(c.all, 0), "choices"),
               "[{\"index\":0,\"delta\":{\"content\":\"caf\",\"role\":\"assistant\"},"
               "\"finish_reason\":null}]"));
    ASSERT(eqs(json_object_get(json_array_get(c.all, 1), "choices"),
               "[{\"index\":0,\"delta\":{\"content\":\"\xc3\xa9 ok\"},\"finish_reason\":null}]"));
    ASSERT(eqs(json_object_get(json_array_get(c.all, 2), "choices"),
               "[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]"));
    json_decref(c.all);
    ops->release(&pc);

    pc_init(&pc, &d, req, false);
    {
        const char *b = "{\"error\":\"Unauthorized\"}";

        ops->map_error(&pc, 401, b, strlen(b), &e);
    }
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.message, "bytez: Unauthorized");
    json_decref(req);
}

int main(void)
{
    RUN(test_requests);
    RUN(test_answers);
    TEST_MAIN_END();
}
