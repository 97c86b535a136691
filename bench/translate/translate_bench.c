/*
 * bench/translate/translate_bench.c - what translation costs per call and per
 * stream chunk, for each native family: build() of a typical chat request,
 * parse() of a recorded answer, and stream_feed() of a recorded stream
 * (divided by the chunks it produced). Reads the recordings from
 * $LMX_FIXTURES (default ../shared/fixtures); a family whose recording is
 * missing is skipped. One thread, a tight loop; prints microseconds.
 * $LMX_BENCH_ITERS sets the loop count (default 20000; fewer for callgrind)
 * and $LMX_BENCH_FAMILY runs that one family only.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/util.h"
#include "provider/anthropic.h"
#include "provider/cohere.h"
#include "provider/gemini.h"
#include "provider/ollama.h"
#include "provider/provider.h"

struct family {
    const char *name;
    const char *model; /* litellm_params.model */
    const struct lmx_provider_ops *ops;
    const char *answer; /* fixture path of a non-stream answer */
    const char *stream; /* fixture path of a stream (NULL: none) */
};

static char *slurp(const char *dir, const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    char *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int count_chunk(const json_t *chunk, void *ud)
{
    LMX_UNUSED(chunk);
    (*(long *)ud)++;
    return 0;
}

static const char request[] =
    "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful "
    "assistant.\"},{\"role\":\"user\",\"content\":\"Hello! Tell me a short story about a "
    "lighthouse keeper.\"}],\"max_tokens\":256,\"temperature\":0.7,\"stream\":false}";

int main(void)
{
    static const struct family fams[] = {
        {"anthropic", "anthropic/claude-sonnet-4-5", &lmx_provider_anthropic_ops,
         "anthropic/messages.response.json", "anthropic/stream-text.sse"},
        {"gemini", "gemini/gemini-2.5-flash", &lmx_provider_gemini_ops,
         "gemini/generateContent.response.json", "gemini/streamGenerateContent-sse-thinking.sse"},
        {"cohere", "cohere/command-r", &lmx_provider_cohere_ops, "cohere/chat.response.json",
         "cohere/chat-stream.reframed.fromdocs.sse"},
        {"ollama", "ollama_chat/llama3", &lmx_provider_ollama_ops,
         "ollama/chat.response.fromdocs.json", "ollama/chat-stream.ndjson"},
    };
    const char *dir = getenv("LMX_FIXTURES") ? getenv("LMX_FIXTURES") : "../shared/fixtures";
    const char *only = getenv("LMX_BENCH_FAMILY");
    const int iters = getenv("LMX_BENCH_ITERS") && atoi(getenv("LMX_BENCH_ITERS")) >= 10
                          ? atoi(getenv("LMX_BENCH_ITERS"))
                          : 20000;

    lmx_alloc_install();
    printf("| family | build (us/call) | parse (us/call) | stream (us/chunk) |\n"
           "|---|---:|---:|---:|\n");
    for (size_t f = 0; f < LMX_ARRAY_SIZE(fams); f++) {
        const struct family *fm = &fams[f];
        char yaml[512];
        struct lmx_config *cfg = NULL;
        struct lmx_diag d;
        struct lmx_pcall pc;
        struct lmx_perr pe;
        json_t *req = json_loads(request, 0, NULL);
        size_t alen = 0, slen = 0;
        char *answer = slurp(dir, fm->answer, &alen);
        char *stream = fm->stream ? slurp(dir, fm->stream, &slen) : NULL;
        double t_build, t_parse = 0, t_chunk = 0;
        long chunks = 0;
        uint64_t t0;

        if (only != NULL && strcmp(only, fm->name) != 0) {
            free(answer);
            free(stream);
            json_decref(req);
            continue;
        }
        if (answer == NULL) {
            printf("| %s | skipped: no recording at %s/%s | | |\n", fm->name, dir, fm->answer);
            json_decref(req);
            continue;
        }
        snprintf(yaml, sizeof(yaml),
                 "model_list:\n  - model_name: m\n    litellm_params: {model: %s, api_key: k, "
                 "api_base: \"http://127.0.0.1:9\"}\n",
                 fm->model);
        lmx_diag_init(&d);
        if (lmx_config_load_string("bench.yaml", yaml, strlen(yaml), &cfg, &d) < 0)
            return 1;
        lmx_diag_release(&d);
        memset(&pc, 0, sizeof(pc));
        pc.dep = &cfg->deps[0];
        pc.ep = LMX_EP_CHAT;
        pc.req = req;
        pc.model = cfg->deps[0].upstream_model;
        pc.call_id = "bench";
        pc.drop_params = true;

        t0 = lmx_now_ns();
        for (int i = 0; i < iters; i++) {
            struct lmx_upreq r;

            lmx_upreq_init(&r);
            if (fm->ops->build(&pc, &r, &pe) < 0)
                return 2;
            lmx_upreq_release(&r);
            if (fm->ops->release)
                fm->ops->release(&pc);
        }
        t_build = (double)(lmx_now_ns() - t0) / iters / 1e3;

        /* adapters keep per-call state from build(): every round builds first, and
         * the build time measured above is taken off */
        t0 = lmx_now_ns();
        for (int i = 0; i < iters; i++) {
            struct lmx_upreq r;
            json_t *out = NULL;

            memset(&pe, 0, sizeof(pe));
            lmx_upreq_init(&r);
            if (fm->ops->build(&pc, &r, &pe) < 0 ||
                fm->ops->parse(&pc, answer, alen, &out, &pe) < 0) {
                fprintf(stderr, "%s: parse failed: %s\n", fm->name, pe.message);
                return 3;
            }
            json_decref(out);
            lmx_upreq_release(&r);
            if (fm->ops->release)
                fm->ops->release(&pc);
        }
        t_parse = (double)(lmx_now_ns() - t0) / iters / 1e3 - t_build;

        if (stream != NULL) {
            int rounds = iters / 10;

            pc.stream = true;
            t0 = lmx_now_ns();
            for (int i = 0; i < rounds; i++) {
                struct lmx_upreq r;

                memset(&pe, 0, sizeof(pe));
                lmx_upreq_init(&r);
                if (fm->ops->build(&pc, &r, &pe) < 0 ||
                    fm->ops->stream_feed(&pc, stream, slen, count_chunk, &chunks, &pe) < 0 ||
                    (fm->ops->stream_end && fm->ops->stream_end(&pc, count_chunk, &chunks, &pe) < 0)) {
                    if (i == 0)
                        fprintf(stderr, "%s: stream failed: %s\n", fm->name, pe.message);
                }
                lmx_upreq_release(&r);
                if (fm->ops->release)
                    fm->ops->release(&pc);
            }
            t_chunk = chunks ? ((double)(lmx_now_ns() - t0) / 1e3 - t_build * rounds) /
                                   (double)chunks
                             : 0;
            pc.stream = false;
        }
        printf("| %s | %.2f | %.2f | %s%.2f |\n", fm->name, t_build, t_parse,
               stream == NULL ? "n/a " : "", t_chunk);
        free(answer);
        free(stream);
        json_decref(req);
        lmx_config_unref(cfg);
    }
    return 0;
}
