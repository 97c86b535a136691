/*
 * tests/fuzz/fuzz_gemini.c - libFuzzer target for provider/gemini.c and
 * provider/gemini_wire.c.
 *
 * The low three bits of the first byte pick what the rest of the input is fed to:
 *   0  parse()          a non-stream chat answer
 *   1  stream_feed()    the whole stream at once, then stream_end()
 *   2  stream_feed()    the stream in pieces of 1..16 bytes (the second byte picks the size)
 *   3  build()          the input as the client's OpenAI chat request body
 *   4  map_error()      an error answer
 *   5  parse()          an embeddings answer
 *   6  build()          the input as an OpenAI embeddings request body
 *   7  build()          the input as a chat request, then the same stream decoder as 1
 * Bit 3 turns on drop_params; bits 4-5 pick the model (gemini-2.5, gemini-3, gemma), so the
 * model-specific mappings are reached.
 *
 * Build with clang -fsanitize=fuzzer,address against lmx_core; the unit test
 * tests/unit/provider/gemini.c replays the seed corpus tests/fuzz/corpora/gemini/
 * through the same function.
 */
#include "core/lmx.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/gemini.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_gemini_cb(const json_t *chunk, void *ud)
{
    size_t *n = ud;

    if (!json_is_object(chunk) || !json_is_array(json_object_get(chunk, "choices")))
        __builtin_trap(); /* the adapter must only hand out chunk objects */
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const models[] = {"gemini-2.5-flash", "gemini-3-pro-preview",
                                         "gemma-3-27b-it", "gemini-2.5-pro"};
    const struct lmx_provider_ops *ops = &lmx_provider_gemini_ops;
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_upreq up;
    json_t *req = NULL, *out = NULL;
    const char *p;
    size_t n, chunks = 0;
    unsigned mode;

    if (size == 0)
        return 0;
    mode = data[0] & 7u;
    p = (const char *)data + 1;
    n = size - 1;
    memset(&dep, 0, sizeof(dep));
    dep.provider = "gemini";
    dep.model = "gemini/fuzz";
    dep.upstream_model = (char *)models[(data[0] >> 4) & 3u];
    dep.api_base = "http://127.0.0.1:9";
    dep.api_key = "fuzz-key";
    dep.supported = true;
    memset(&pc, 0, sizeof(pc));
    pc.dep = &dep;
    pc.ep = mode == 5 || mode == 6 ? LMX_EP_EMBEDDINGS : LMX_EP_CHAT;
    pc.model = dep.upstream_model;
    pc.call_id = "fuzz";
    pc.drop_params = (data[0] & 8u) != 0;
    if (mode == 3 || mode == 6 || mode == 7) {
        req = json_loadb(p, n, 0, NULL);
        if (!json_is_object(req)) {
            json_decref(req);
            return 0;
        }
    } else {
        req = json_pack("{s:s, s:[{s:s, s:s}], s:{s:b}, s:[s]}", "model", "m", "messages", "role",
                        "user", "content", "hi", "stream_options", "include_usage", 1, "input",
                        "abc");
        if (req == NULL)
            return 0;
    }
    pc.req = req;
    pc.stream = mode == 1 || mode == 2 || mode == 7;

    lmx_upreq_init(&up);
    if (mode == 4) {
        ops->map_error(&pc, 400 + (long)(size % 200), p, n, &pe);
        if (pe.status < 400)
            __builtin_trap(); /* the status is kept */
        goto done;
    }
    if (ops->build(&pc, &up, &pe) < 0) {
        if (pe.message[0] == '\0')
            __builtin_trap(); /* every refusal says why */
        goto done;
    }
    switch (mode) {
    case 0:
    case 5:
        if (ops->parse(&pc, p, n, &out, &pe) == 0 && !json_is_object(out))
            __builtin_trap();
        break;
    case 1:
        if (ops->stream_feed(&pc, p, n, fuzz_gemini_cb, &chunks, &pe) == 0)
            ops->stream_end(&pc, fuzz_gemini_cb, &chunks, &pe);
        break;
    case 2: {
        size_t step = n > 0 ? (size_t)((unsigned char)p[0] % 16u) + 1 : 1;
        int rc = 0;

        for (size_t off = 0; rc == 0 && off < n; off += step)
            rc = ops->stream_feed(&pc, p + off, LMX_MIN(step, n - off), fuzz_gemini_cb, &chunks,
                                  &pe);
        if (rc == 0)
            ops->stream_end(&pc, fuzz_gemini_cb, &chunks, &pe);
        break;
    }
    case 7: {
        static const char ev[] =
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
            "\"finishReason\":\"STOP\"}]}\r\n\r\n";

        if (ops->stream_feed(&pc, ev, sizeof(ev) - 1, fuzz_gemini_cb, &chunks, &pe) == 0)
            ops->stream_end(&pc, fuzz_gemini_cb, &chunks, &pe);
        break;
    }
    default:
        break;
    }
done:
    if (ops->release != NULL)
        ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(out);
    json_decref(req);
    return 0;
}
