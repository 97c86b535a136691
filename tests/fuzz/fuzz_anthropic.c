/*
 * tests/fuzz/fuzz_anthropic.c - libFuzzer target for provider/anthropic.c.
 *
 * The first byte picks what the rest of the input is fed to:
 *   0  parse()            a non-stream answer
 *   1  stream_feed()      the whole stream at once, then stream_end()
 *   2  stream_feed()      the stream in pieces of 1..16 bytes (byte 2 picks the size)
 *   3  build()            the input as the client's OpenAI request body
 *   4  map_error()        an error answer
 * Bit 3 of the first byte turns on JSON mode (response_format) and bit 4
 * drop_params, so both paths of the translators are reached.
 *
 * Build with clang -fsanitize=fuzzer,address against lmx_core; the unit test
 * tests/unit/provider/anthropic.c replays the seed corpus
 * tests/fuzz/corpora/anthropic/ through the same function.
 */
#include "core/lmx.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/anthropic.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_anthropic_cb(const json_t *chunk, void *ud)
{
    size_t *n = ud;

    if (!json_is_object(chunk))
        __builtin_trap(); /* the adapter must only hand out objects */
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct lmx_provider_ops *ops = &lmx_provider_anthropic_ops;
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_upreq up;
    json_t *req, *out = NULL;
    const char *p;
    size_t n, chunks = 0;
    unsigned mode;

    if (size == 0)
        return 0;
    mode = data[0] & 7u;
    p = (const char *)data + 1;
    n = size - 1;
    memset(&dep, 0, sizeof(dep));
    dep.provider = "anthropic";
    dep.model = "anthropic/claude-fuzz";
    dep.upstream_model = "claude-fuzz";
    dep.api_base = "http://127.0.0.1:9";
    dep.api_key = "sk-fuzz";
    dep.supported = true;
    req = (data[0] & 8u)
              ? json_pack("{s:s,s:{s:b},s:{s:s}}", "model", "m", "stream_options", "include_usage",
                          1, "response_format", "type", "json_object")
              : json_pack("{s:s,s:{s:b}}", "model", "m", "stream_options", "include_usage", 1);
    if (req == NULL)
        return 0;
    memset(&pc, 0, sizeof(pc));
    pc.dep = &dep;
    pc.ep = LMX_EP_CHAT;
    pc.req = req;
    pc.model = "claude-fuzz";
    pc.call_id = "fuzz";
    pc.stream = mode == 1 || mode == 2;
    pc.drop_params = (data[0] & 16u) != 0;

    switch (mode) {
    case 0:
        if (ops->parse(&pc, p, n, &out, &pe) == 0 && !json_is_object(out))
            __builtin_trap();
        json_decref(out);
        break;
    case 1:
        if (ops->stream_feed(&pc, p, n, fuzz_anthropic_cb, &chunks, &pe) == 0)
            ops->stream_end(&pc, fuzz_anthropic_cb, &chunks, &pe);
        break;
    case 2: {
        size_t step = n > 0 ? (size_t)(((unsigned char)p[0] % 16u) + 1u) : 1;
        int rc = 0;

        for (size_t off = 0; rc == 0 && off < n; off += step)
            rc = ops->stream_feed(&pc, p + off, LMX_MIN(step, n - off), fuzz_anthropic_cb, &chunks,
                                  &pe);
        if (rc == 0)
            ops->stream_end(&pc, fuzz_anthropic_cb, &chunks, &pe);
        break;
    }
    case 3: {
        json_t *body = json_loadb(p, n, 0, NULL);

        if (json_is_object(body)) {
            pc.req = body;
            lmx_upreq_init(&up);
            if (ops->build(&pc, &up, &pe) == 0 &&
                (up.url.data == NULL || up.body.data == NULL || up.nheaders == 0))
                __builtin_trap();
            lmx_upreq_release(&up);
            ops->release(&pc);
            pc.req = req;
        }
        json_decref(body);
        break;
    }
    default:
        ops->map_error(&pc, 400 + (long)(data[0] >> 3), p, n, &pe);
        if (pe.status == 0)
            __builtin_trap();
        break;
    }
    ops->release(&pc);
    json_decref(req);
    return 0;
}
