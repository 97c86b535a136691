/*
 * tests/fuzz/fuzz_bedrock.c - libFuzzer target for the Bedrock adapter: the
 * input is fed to stream_feed as a Converse event stream (in pieces whose
 * size the first byte picks) and then to parse and map_error as a Converse
 * answer and an error body. Nothing may crash, leak or emit a chunk that is
 * not a JSON object.
 *
 * Build with clang -fsanitize=fuzzer,address against lmx_core; the unit
 * test tests/unit/provider/bedrock.c replays tests/fuzz/corpora/bedrock/
 * through LLVMFuzzerTestOneInput as an ordinary ctest test.
 */
#include "core/lmx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "provider/bedrock.h"
#include "provider/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_chunk(const json_t *chunk, void *ud)
{
    size_t *n = ud;

    if (!json_is_object(chunk))
        abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const reqs[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
        "\"stream_options\":{\"include_usage\":true}}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
        "\"response_format\":{\"type\":\"json_object\"}}",
    };
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req, *out = NULL;
    size_t piece, nchunks = 0;
    int rc = 0;

    if (size == 0)
        return 0;
    memset(&dep, 0, sizeof(dep));
    dep.model = "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0";
    dep.provider = "bedrock";
    dep.upstream_model = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";
    dep.id = "fuzz";
    dep.litellm_params = json_pack("{s:s,s:s}", "api_key", "fuzz", "aws_region_name", "us-east-1");
    req = json_loads(reqs[data[0] & 1], 0, NULL);
    memset(&pc, 0, sizeof(pc));
    pc.dep = &dep;
    pc.ep = LMX_EP_CHAT;
    pc.req = req;
    pc.model = dep.upstream_model;
    pc.call_id = "fuzz";
    pc.stream = true;
    lmx_upreq_init(&up);
    memset(&err, 0, sizeof(err));
    if (req == NULL || dep.litellm_params == NULL ||
        lmx_provider_bedrock_ops.build(&pc, &up, &err) < 0)
        goto out;

    /* the stream, in pieces of 1..128 bytes */
    piece = (size_t)(data[0] >> 1) + 1;
    for (size_t off = 1; off < size && rc == 0; off += piece) {
        size_t n = LMX_MIN(piece, size - off);

        rc = lmx_provider_bedrock_ops.stream_feed(&pc, (const char *)data + off, n, fuzz_chunk,
                                                  &nchunks, &err);
    }
    if (rc == 0)
        lmx_provider_bedrock_ops.stream_end(&pc, fuzz_chunk, &nchunks, &err);

    /* the same bytes as a whole answer and as an error body */
    memset(&err, 0, sizeof(err));
    if (lmx_provider_bedrock_ops.parse(&pc, (const char *)data + 1, size - 1, &out, &err) == 0 &&
        !json_is_object(out))
        abort();
    json_decref(out);
    memset(&err, 0, sizeof(err));
    lmx_provider_bedrock_ops.map_error(&pc, 400, (const char *)data + 1, size - 1, &err);
out:
    lmx_provider_bedrock_ops.release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
    json_decref(dep.litellm_params);
    return 0;
}
