/*
 * tests/fuzz/fuzz_ollama.c - libFuzzer target for provider/ollama.c.
 *
 * The low 3 bits of the first byte pick what the rest of the input is fed to:
 *   0  parse()         a non-stream answer (chat, generate or /completions)
 *   1  parse()         an embeddings answer
 *   2  stream_feed()   the whole NDJSON stream at once, then stream_end()
 *   3  stream_feed()   the stream in pieces of 1..16 bytes (the second byte picks the size)
 *   4  build()         the input as the client's OpenAI chat (or /completions) body
 *   5  build()         the input as the client's OpenAI embeddings body
 *   6,7 map_error()    an error answer
 * Bit 3 picks `ollama/` (/api/generate) over `ollama_chat/`, bit 4 turns
 * drop_params on, bit 5 makes chat modes /completions, bit 6 asks for usage
 * in streams. The adapter must never hand out anything but JSON objects.
 *
 * Build: clang -fsanitize=fuzzer,address -Isrc tests/fuzz/fuzz_ollama.c
 * build/liblmx_core.a $(pkg-config --libs jansson libuv libcurl openssl hiredis)
 * -lhttp_parser; tests/unit/provider/ollama.c replays tests/fuzz/corpora/ollama/.
 */
#include "core/lmx.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/ollama.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_ollama_cb(const json_t *chunk, void *ud)
{
    size_t *n = ud;

    if (!json_is_object(chunk))
        __builtin_trap();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct lmx_provider_ops *ops = &lmx_provider_ollama_ops;
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_upreq up;
    json_t *req, *out = NULL, *body;
    const char *p;
    size_t n, chunks = 0;
    unsigned mode;
    bool text, stream;
    int rc;

    if (size == 0)
        return 0;
    mode = data[0] & 7u;
    text = (data[0] & 32u) != 0 && mode != 1 && mode != 5;
    stream = mode == 2 || mode == 3;
    p = (const char *)data + 1;
    n = size - 1;
    memset(&dep, 0, sizeof(dep));
    dep.provider = (data[0] & 8u) ? "ollama" : "ollama_chat";
    dep.model = "ollama/fuzz";
    dep.upstream_model = "fuzz";
    dep.api_base = "http://127.0.0.1:9";
    dep.supported = true;
    if (mode == 1)
        req = json_pack("{s:s,s:s}", "model", "m", "input", "x");
    else if (text)
        req = json_pack("{s:s,s:b,s:{s:b},s:s}", "model", "m", "stream", stream, "stream_options",
                        "include_usage", (data[0] & 64u) != 0, "prompt", "x");
    else
        req = json_pack("{s:s,s:b,s:{s:b},s:[{s:s,s:s}]}", "model", "m", "stream", stream,
                        "stream_options", "include_usage", (data[0] & 64u) != 0, "messages", "role",
                        "user", "content", "x");
    if (req == NULL)
        return 0;
    memset(&pc, 0, sizeof(pc));
    pc.dep = &dep;
    pc.ep = mode == 1 || mode == 5 ? LMX_EP_EMBEDDINGS : text ? LMX_EP_COMPLETIONS : LMX_EP_CHAT;
    pc.req = req;
    pc.model = "fuzz";
    pc.call_id = "fuzz";
    pc.stream = stream;
    pc.drop_params = (data[0] & 16u) != 0;
    lmx_upreq_init(&up);

    if (mode == 4 || mode == 5) {
        body = json_loadb(p, n, 0, NULL);
        if (json_is_object(body)) {
            pc.req = body;
            pc.stream = json_is_true(json_object_get(body, "stream"));
            rc = ops->build(&pc, &up, &pe);
            if (rc == 0 && (up.url.data == NULL || up.body.data == NULL || up.nheaders == 0))
                __builtin_trap();
            if (rc < 0 && pe.message[0] == '\0' && rc != LMX_ENOMEM)
                __builtin_trap(); /* a refusal must say why */
            ops->release(&pc);
        }
        json_decref(body);
    } else if (mode >= 6) {
        ops->map_error(&pc, 400 + (long)(data[0] >> 3), p, n, &pe);
        if (pe.status == 0 || pe.message[0] == '\0')
            __builtin_trap();
    } else if (ops->build(&pc, &up, &pe) == 0) {
        if (mode <= 1) {
            if (ops->parse(&pc, p, n, &out, &pe) == 0 && !json_is_object(out))
                __builtin_trap();
            json_decref(out);
        } else if (mode == 2) {
            if (ops->stream_feed(&pc, p, n, fuzz_ollama_cb, &chunks, &pe) == 0)
                ops->stream_end(&pc, fuzz_ollama_cb, &chunks, &pe);
        } else {
            size_t step = n > 0 ? (size_t)(((unsigned char)p[0] % 16u) + 1u) : 1;

            rc = 0;
            for (size_t off = 0; rc == 0 && off < n; off += step)
                rc = ops->stream_feed(&pc, p + off, LMX_MIN(step, n - off), fuzz_ollama_cb, &chunks,
                                      &pe);
            if (rc == 0)
                ops->stream_end(&pc, fuzz_ollama_cb, &chunks, &pe);
        }
        ops->release(&pc);
    }
    lmx_upreq_release(&up);
    json_decref(req);
    return 0;
}
