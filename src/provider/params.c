/*
 * provider/params.c - the shared parameter lists and adapter helpers.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/params.h"

/* clang-format off */
static const char *const internal_keys[] = {
    "metadata", "fallbacks", "num_retries", "timeout", "mock_response", "mock_testing_fallbacks",
    "mock_testing_rate_limit_error", "mock_timeout", "cache", "caching", "drop_params", "api_key",
    "api_base", "api_version", "litellm_logging_obj", "proxy_server_request", "secret_fields",
    "context_window_fallbacks", "content_policy_fallbacks", "tags", "litellm_metadata",
    "litellm_call_id", "additional_drop_params", "user_config", "extra_headers", "base_model",
    "guardrails", "prompt_id", "prompt_variables", "prompt_version", "max_retries",
};

static const char *const not_defaults[] = {
    "model", "api_key", "api_base", "api_version", "organization", "rpm", "tpm", "weight",
    "order", "timeout", "stream_timeout", "num_retries", "max_parallel_requests",
    "input_cost_per_second", "output_cost_per_second", "region_name", "max_budget",
    "budget_duration", "tags", "drop_params", "mock_response", "use_in_pass_through",
    "custom_llm_provider", "cooldown_time", "additional_drop_params", "mock_timeout",
    "merge_reasoning_content_in_choices", "health_check_timeout",
    "configurable_clientside_auth_params", "stream", "max_retries", "model_info",
    "deployment_id", "tenant_id", "client_id", "client_secret", "api_type", "extra_headers",
};
/* clang-format on */

bool lmx_param_in(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

bool lmx_param_internal(const char *k)
{
    return lmx_param_in(k, internal_keys, LMX_ARRAY_SIZE(internal_keys)) ||
           strncmp(k, "litellm_", 8) == 0 || strncmp(k, "mock_", 5) == 0;
}

bool lmx_param_dropped(const struct lmx_deployment *d, const char *k)
{
    json_t *a = json_object_get(d->litellm_params, "additional_drop_params");
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), k) == 0)
            return true;
    }
    return false;
}

bool lmx_param_not_default(const char *k)
{
    /* credentials, endpoints and prices of any provider family */
    static const char *const prefixes[] = {"aws_",       "vertex_",      "azure_",
                                           "watsonx_",   "api_",         "litellm_",
                                           "oci_",       "snowflake_",   "databricks_",
                                           "input_cost", "output_cost"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(prefixes); i++)
        if (strncmp(k, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return lmx_param_in(k, not_defaults, LMX_ARRAY_SIZE(not_defaults));
}

void lmx_perr_set(struct lmx_perr *e, int status, const char *type, const char *param,
                  const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

int lmx_perr_fail(struct lmx_perr *e, int rc, int status, const char *type, const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    e->param[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return rc;
}

int lmx_perr_bad(struct lmx_perr *e, const char *param, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return LMX_EBADREQ;
    e->status = 400;
    snprintf(e->type, sizeof(e->type), "invalid_request_error");
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return LMX_EBADREQ;
}

bool lmx_streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool lmx_json_present(const json_t *v)
{
    return v != NULL && !json_is_null(v);
}

void lmx_json_put_flag(json_t *o, const char *k, json_t *v, bool *bad)
{
    if (json_object_set_new(o, k, v) < 0)
        *bad = true;
}

void lmx_json_push_flag(json_t *a, json_t *v, bool *bad)
{
    if (json_array_append_new(a, v) < 0)
        *bad = true;
}

int lmx_content_text(const json_t *c, struct lmx_buf *b)
{
    size_t i;
    const json_t *p;

    if (json_is_string(c))
        return lmx_buf_append(b, json_string_value(c), json_string_length(c));
    json_array_foreach(c, i, p) {
        const json_t *t = json_object_get(p, "text");

        if (json_is_string(t) && lmx_buf_append(b, json_string_value(t), json_string_length(t)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

const char *lmx_json_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s != NULL && *s != '\0' ? s : NULL;
}

int lmx_param_unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k,
                          const char *provider_name)
{
    if (pc->drop_params)
        return 0;
    lmx_perr_set(err, 400, "invalid_request_error", k,
                 "%s does not support parameter '%s' (model=%s). To drop unsupported "
                 "parameters, set `drop_params: true` in litellm_settings, on the deployment "
                 "or in the request",
                 provider_name, k, pc->model);
    return LMX_EBADPARAM;
}

static int dump_cb(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

int lmx_json_append(const json_t *o, struct lmx_buf *b)
{
    /* 15 digits: 0.9 goes out as 0.9, as the client wrote it, not 0.90000000000000002 */
    return json_dump_callback(o, dump_cb, b, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0
               ? LMX_ENOMEM
               : 0;
}

int lmx_json_put(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v) < 0 ? LMX_ENOMEM : 0;
}

long long lmx_json_int(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return 0;
}

json_t *lmx_param_call(const struct lmx_pcall *pc)
{
    json_t *p = json_object();
    json_t *lp = pc->dep != NULL ? pc->dep->litellm_params : NULL;
    json_t *adp = json_object_get(lp, "additional_drop_params");
    const char *k;
    json_t *v;

    if (p == NULL)
        return NULL;
    json_object_foreach((json_t *)pc->req, k, v) {
        if (!json_is_null(v) && json_object_set(p, k, v) < 0)
            goto fail;
    }
    json_object_foreach(lp, k, v) {
        if (json_is_null(v) || lmx_param_not_default(k) || json_object_get(p, k) != NULL)
            continue;
        if (json_object_set(p, k, v) < 0)
            goto fail;
    }
    for (size_t i = 0; json_is_array(adp) && i < json_array_size(adp); i++) {
        const char *s = json_string_value(json_array_get(adp, i));

        if (s != NULL)
            json_object_del(p, s);
    }
    return p;
fail:
    json_decref(p);
    return NULL;
}
