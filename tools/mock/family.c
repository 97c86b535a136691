/*
 * tools/mock/family.c - routes of the native provider wire formats (Anthropic,
 * Gemini, Bedrock, Cohere, Ollama, ...). Each family lives in its own
 * tools/mock/<family>.c and adds one row here; a route returns true when it
 * took the request.
 */
#include "core/lmx.h"

#include "mock.h"

typedef bool (*mock_family_fn)(struct mock_worker *w, struct lmx_http_req *req);

bool mock_anthropic_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_count_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_bedrock_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_vertex_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_watsonx_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_cohere_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_gemini_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_media_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_responses_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_ollama_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_sagemaker_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_tgi_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_replicate_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_oci_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_gigachat_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_nlp_cloud_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_datarobot_route(struct mock_worker *w, struct lmx_http_req *req);
bool mock_bytez_route(struct mock_worker *w, struct lmx_http_req *req);

/* clang-format off */
static const mock_family_fn families[] = {
    /* one row per family, e.g. mock_anthropic_route, */
    mock_count_route,
    mock_bedrock_route,
    mock_vertex_route,
    mock_watsonx_route,
    mock_anthropic_route,
    mock_cohere_route,
    mock_gemini_route,
    mock_ollama_route,
    mock_sagemaker_route,
    mock_tgi_route,
    mock_responses_route,
    mock_media_route,
    mock_replicate_route,
    mock_oci_route,
    mock_gigachat_route,
    mock_nlp_cloud_route,
    mock_datarobot_route,
    mock_bytez_route,
    NULL,
};
/* clang-format on */

bool mock_family_route(struct mock_worker *w, struct lmx_http_req *req)
{
    for (size_t i = 0; families[i] != NULL; i++)
        if (families[i](w, req))
            return true;
    return false;
}
