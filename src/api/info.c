/*
 * api/info.c - GET /model/info (also under /v1): what each deployment is, as
 * LiteLLM's model_info_v1 shows it. litellm_params lose every secret;
 * model_info is the deployment's own, over the price map's facts for its
 * model (provider/prices.c).
 *
 * Not here: /model_group/info, /v1/models (ops.c), the model management
 * routes.
 */
#include "core/lmx.h"

#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "api/info.h"
#include "core/err.h"
#include "provider/prices.h"

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

/* A member name that holds a credential. */
static bool is_secret(const char *name)
{
    static const char *const words[] = {"key",        "secret",        "password", "passwd",
                                        "credential", "authorization", "cookie"};
    const char *t;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(words); i++)
        if (contains_ci(name, words[i]))
            return true;
    /* aws_session_token, azure_ad_token, token: yes; max_tokens, *_cost_per_token: no */
    for (t = name; (t = strcasestr(t, "token")) != NULL; t += 5) {
        if (t[5] == 's' || t[5] == 'S')
            continue;
        if (contains_ci(name, "cost") || contains_ci(name, "per_token"))
            continue;
        return true;
    }
    return false;
}

json_t *lmx_info_public_params(const json_t *params)
{
    const char *k;
    json_t *v, *out;

    if (json_is_array(params)) {
        size_t i;

        out = json_array();
        json_array_foreach((json_t *)params, i, v) {
            json_t *c = lmx_info_public_params(v);

            if (out == NULL || c == NULL || json_array_append_new(out, c) < 0) {
                json_decref(c);
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (!json_is_object(params))
        return json_deep_copy(params);
    out = json_object();
    json_object_foreach((json_t *)params, k, v) {
        json_t *c;

        if (out == NULL)
            return NULL;
        if (is_secret(k))
            continue;
        c = lmx_info_public_params(v);
        if (c == NULL || json_object_set_new(out, k, c) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *model_info_json(const struct lmx_deployment *d)
{
    struct lmx_price p;
    json_t *mi = NULL, *facts = NULL;
    bool known = lmx_prices_for(d, NULL, &p) == 0;
    const char *k;
    json_t *v;

    mi = json_pack("{s:s, s:b}", "id", d->id, "db_model", 0);
    facts = lmx_price_to_json(&p);
    if (mi == NULL || facts == NULL)
        goto fail;
    /* "key" is the price row; the deployment's provider prefix is what clients filter on */
    if (d->provider != NULL &&
        json_object_set_new(facts, "litellm_provider", json_string(d->provider)) < 0)
        goto fail;
    if (!known) {
        json_object_foreach(facts, k, v) {
            if (strncmp(k, "supports_", 9) == 0 && json_object_set_new(facts, k, json_null()) < 0)
                goto fail;
        }
    }
    if (json_object_update(mi, facts) < 0 || json_object_update(mi, d->model_info) < 0 ||
        json_object_set_new(mi, "id", json_string(d->id)) < 0)
        goto fail;
    json_decref(facts);
    return mi;
fail:
    json_decref(facts);
    json_decref(mi);
    return NULL;
}

json_t *lmx_info_deployment_json(const struct lmx_deployment *d)
{
    json_t *lp = lmx_info_public_params(d->litellm_params);
    json_t *mi = model_info_json(d);

    if (lp == NULL || mi == NULL) {
        json_decref(lp);
        json_decref(mi);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:o}", "model_name", d->model_name, "litellm_params", lp,
                     "model_info", mi);
}

void lmx_api_model_info(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    const char *want;
    json_t *data = NULL;
    bool found = false;

    if (lmx__auth_check(req, cfg) < 0)
        goto out;
    want = lmx_http_req_query(req, "litellm_model_id");
    if (want != NULL && *want == '\0')
        want = NULL;
    data = json_array();
    for (size_t i = 0; data != NULL && i < cfg->ndeps; i++) {
        const struct lmx_deployment *d = &cfg->deps[i];

        if (want != NULL && strcmp(d->id, want) != 0)
            continue;
        found = true;
        if (json_array_append_new(data, lmx_info_deployment_json(d)) < 0) {
            json_decref(data);
            data = NULL;
        }
    }
    if (data == NULL) {
        lmx__send_err_code(req, NULL, LMX_ENOMEM, "out of memory");
        goto out;
    }
    if (want != NULL && !found) {
        json_t *body = json_pack("{s:{s:s++}}", "detail", "error", "Model id = ", want,
                                 " not found on litellm proxy");

        json_decref(data);
        lmx__send_json(req, NULL, 400, body);
        goto out;
    }
    lmx__send_json(req, NULL, 200, json_pack("{s:o}", "data", data));
out:
    lmx_api_cfg_put(w, cfg);
}
