/*
 * config/load.c - config.yaml to an immutable struct lmx_config snapshot.
 *
 * Steps: yaml.c reads the text into a node tree (PyYAML's rules, with
 * line:column); `environment_variables` is collected; every string
 * `os.environ/NAME` is replaced by the variable's value (or dropped, with a
 * warning, when it is unset); each section is checked against a table of the
 * keys LiteLLM knows (type errors are errors; keys llmux does not act on yet
 * and unknown keys are warnings, once per key path); model_list becomes
 * deployments and groups. Every problem is reported, not just the first. The
 * variables of `environment_variables` are exported (setenv) only when the
 * whole file loads, so a failed reload leaves the process environment alone;
 * until then they are looked up in an overlay.
 *
 * Not here: YAML itself (yaml.c), the provider table (providers.c), model name
 * lookups (route/).
 */
#include "core/lmx.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config/config.h"
#include "config/config_int.h"
#include "provider/quirks.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

#define DEFAULT_MAX_REQUEST_BYTES ((size_t)32 << 20)
#define DEFAULT_REQUEST_TIMEOUT   6000.0
#define DEFAULT_MAX_HEADER_BYTES  ((size_t)65536)
#define DEFAULT_HEADER_TIMEOUT    30.0
#define DEFAULT_IDLE_TIMEOUT      120.0
#define DEFAULT_SHUTDOWN_GRACE    30.0
#define MAX_CONFIG_BYTES          ((size_t)64 << 20)

#define ENV_PREFIX "os.environ/"

/* ------------------------------------------------------------------------ */
/* key tables */

enum ktype {
    KT_ANY,
    KT_STR,     /* string */
    KT_TEXT,    /* string, or a number taken as written (api_version: 2024.10) */
    KT_BOOL,    /* true/false, also "true"/"false"/"yes"/"no"/"1"/"0" strings and 0/1 */
    KT_NUM,     /* number or numeric string ("3e-7") */
    KT_INT,     /* KT_NUM without a fraction */
    KT_MAP,     /* mapping */
    KT_LIST,    /* sequence */
    KT_STRS,    /* string or list of strings */
    KT_STRLIST, /* list of strings */
    KT_ID,      /* string or integer */
};

enum kuse {
    KU_ACT,  /* llmux acts on it */
    KU_PASS, /* known; kept for the provider adapters, prices or /model/info, no warning */
    KU_IDLE, /* a LiteLLM key this build accepts but does not act on: one warning */
};

#define KF_NONNEG 0x01
#define KF_POS    0x02

struct kspec {
    const char *name;
    unsigned char type, use, flags;
};

/* clang-format off */
static const struct kspec tab_top[] = {
    {"model_list", KT_LIST, KU_ACT, 0},
    {"litellm_settings", KT_MAP, KU_ACT, 0},
    {"router_settings", KT_MAP, KU_ACT, 0},
    {"general_settings", KT_MAP, KU_ACT, 0},
    {"environment_variables", KT_MAP, KU_ACT, 0},
    {"llmux_settings", KT_MAP, KU_ACT, 0},
    {"include", KT_ANY, KU_IDLE, 0},
    {"guardrails", KT_ANY, KU_IDLE, 0},
    {"mcp_servers", KT_ANY, KU_IDLE, 0},
    {"mcp_aliases", KT_ANY, KU_IDLE, 0},
    {"callback_settings", KT_ANY, KU_IDLE, 0},
    {"files_settings", KT_ANY, KU_IDLE, 0},
    {"finetune_settings", KT_ANY, KU_IDLE, 0},
    {"assistant_settings", KT_ANY, KU_IDLE, 0},
    {"credential_list", KT_ANY, KU_IDLE, 0},
    {"vector_store_registry", KT_ANY, KU_IDLE, 0},
    {"search_tools", KT_ANY, KU_IDLE, 0},
    {"prompts", KT_ANY, KU_IDLE, 0},
};

static const struct kspec tab_entry[] = {
    {"model_name", KT_STR, KU_ACT, 0},
    {"litellm_params", KT_MAP, KU_ACT, 0},
    {"model_info", KT_MAP, KU_ACT, 0},
    {"rpm", KT_NUM, KU_ACT, KF_NONNEG},
    {"tpm", KT_NUM, KU_ACT, KF_NONNEG},
};

static const struct kspec tab_params[] = {
    /* acted on: struct lmx_deployment */
    {"model", KT_STR, KU_ACT, 0},
    {"custom_llm_provider", KT_STR, KU_ACT, 0},
    {"api_key", KT_STR, KU_ACT, 0},
    {"api_base", KT_STR, KU_ACT, 0},
    {"api_version", KT_TEXT, KU_ACT, 0},
    {"organization", KT_STR, KU_ACT, 0},
    {"region_name", KT_STR, KU_ACT, 0},
    {"rpm", KT_NUM, KU_ACT, KF_NONNEG},
    {"tpm", KT_NUM, KU_ACT, KF_NONNEG},
    {"weight", KT_NUM, KU_ACT, KF_NONNEG},
    {"order", KT_INT, KU_ACT, KF_NONNEG},
    {"timeout", KT_NUM, KU_ACT, KF_NONNEG},
    {"stream_timeout", KT_NUM, KU_ACT, KF_NONNEG},
    {"num_retries", KT_INT, KU_ACT, KF_NONNEG},
    {"max_parallel_requests", KT_INT, KU_ACT, KF_NONNEG},
    {"drop_params", KT_BOOL, KU_ACT, 0},
    /* prices (cost module reads litellm_params) */
    {"input_cost_per_token", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_token", KT_NUM, KU_PASS, KF_NONNEG},
    {"input_cost_per_second", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_second", KT_NUM, KU_PASS, KF_NONNEG},
    {"input_cost_per_character", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_character", KT_NUM, KU_PASS, KF_NONNEG},
    {"input_cost_per_pixel", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_pixel", KT_NUM, KU_PASS, KF_NONNEG},
    {"cache_read_input_token_cost", KT_NUM, KU_PASS, KF_NONNEG},
    {"cache_creation_input_token_cost", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_reasoning_token", KT_NUM, KU_PASS, KF_NONNEG},
    /* credentials of the native families */
    {"aws_region_name", KT_STR, KU_PASS, 0},
    {"aws_access_key_id", KT_STR, KU_PASS, 0},
    {"aws_secret_access_key", KT_STR, KU_PASS, 0},
    {"aws_session_token", KT_STR, KU_PASS, 0},
    {"aws_role_name", KT_STR, KU_PASS, 0},
    {"aws_session_name", KT_STR, KU_PASS, 0},
    {"aws_profile_name", KT_STR, KU_PASS, 0},
    {"aws_web_identity_token", KT_STR, KU_PASS, 0},
    {"aws_sts_endpoint", KT_STR, KU_PASS, 0},
    {"aws_bedrock_runtime_endpoint", KT_STR, KU_PASS, 0},
    {"aws_external_id", KT_STR, KU_PASS, 0},
    {"vertex_project", KT_STR, KU_PASS, 0},
    {"vertex_location", KT_STR, KU_PASS, 0},
    {"vertex_credentials", KT_ANY, KU_PASS, 0},
    {"tenant_id", KT_STR, KU_PASS, 0},
    {"client_id", KT_STR, KU_PASS, 0},
    {"client_secret", KT_STR, KU_PASS, 0},
    {"azure_ad_token", KT_STR, KU_PASS, 0},
    {"azure_username", KT_STR, KU_PASS, 0},
    {"azure_password", KT_STR, KU_PASS, 0},
    {"azure_scope", KT_STR, KU_PASS, 0},
    {"watsonx_region_name", KT_STR, KU_PASS, 0},
    {"project_id", KT_ANY, KU_PASS, 0},
    {"space_id", KT_ANY, KU_PASS, 0},
    {"zen_api_key", KT_STR, KU_PASS, 0},
    {"token", KT_STR, KU_PASS, 0},
    {"hf_model_name", KT_STR, KU_PASS, 0},
    {"litellm_credential_name", KT_STR, KU_PASS, 0},
    {"oci_region", KT_STR, KU_PASS, 0},
    {"oci_user", KT_STR, KU_PASS, 0},
    {"oci_fingerprint", KT_STR, KU_PASS, 0},
    {"oci_tenancy", KT_STR, KU_PASS, 0},
    {"oci_key", KT_STR, KU_PASS, 0},
    {"oci_key_file", KT_STR, KU_PASS, 0},
    {"oci_compartment_id", KT_STR, KU_PASS, 0},
    /* request parameters and transport options passed to the provider */
    {"max_retries", KT_INT, KU_PASS, KF_NONNEG},
    {"extra_headers", KT_MAP, KU_PASS, 0},
    {"headers", KT_MAP, KU_PASS, 0},
    {"extra_body", KT_MAP, KU_PASS, 0},
    {"temperature", KT_ANY, KU_PASS, 0},
    {"max_tokens", KT_ANY, KU_PASS, 0},
    {"max_completion_tokens", KT_ANY, KU_PASS, 0},
    {"top_p", KT_ANY, KU_PASS, 0},
    {"top_k", KT_ANY, KU_PASS, 0},
    {"stop", KT_ANY, KU_PASS, 0},
    {"seed", KT_ANY, KU_PASS, 0},
    {"frequency_penalty", KT_ANY, KU_PASS, 0},
    {"presence_penalty", KT_ANY, KU_PASS, 0},
    {"n", KT_ANY, KU_PASS, 0},
    {"response_format", KT_ANY, KU_PASS, 0},
    {"tools", KT_ANY, KU_PASS, 0},
    {"tool_choice", KT_ANY, KU_PASS, 0},
    {"parallel_tool_calls", KT_ANY, KU_PASS, 0},
    {"reasoning_effort", KT_ANY, KU_PASS, 0},
    {"thinking", KT_ANY, KU_PASS, 0},
    {"logprobs", KT_ANY, KU_PASS, 0},
    {"top_logprobs", KT_ANY, KU_PASS, 0},
    {"logit_bias", KT_ANY, KU_PASS, 0},
    {"user", KT_ANY, KU_PASS, 0},
    {"stream", KT_ANY, KU_PASS, 0},
    {"merge_reasoning_content_in_choices", KT_ANY, KU_PASS, 0},
    {"configurable_clientside_auth_params", KT_ANY, KU_PASS, 0},
    {"base_model", KT_STR, KU_PASS, 0},
    {"model_info", KT_ANY, KU_PASS, 0},
    /* LiteLLM features not acted on yet */
    {"cooldown_time", KT_NUM, KU_ACT, KF_NONNEG},
    {"max_budget", KT_NUM, KU_IDLE, KF_NONNEG},
    {"budget_duration", KT_STR, KU_IDLE, 0},
    {"tags", KT_STRS, KU_IDLE, 0},
    {"mock_response", KT_ANY, KU_ACT, 0},
    {"mock_timeout", KT_ANY, KU_ACT, 0},
    {"use_in_pass_through", KT_BOOL, KU_ACT, 0},
    {"use_litellm_proxy", KT_BOOL, KU_IDLE, 0},
    {"guardrails", KT_ANY, KU_IDLE, 0},
    {"auto_router_config", KT_ANY, KU_IDLE, 0},
    {"auto_router_config_path", KT_ANY, KU_IDLE, 0},
    {"auto_router_default_model", KT_ANY, KU_IDLE, 0},
    {"auto_router_embedding_model", KT_ANY, KU_IDLE, 0},
};

/* model_info is free-form (other keys are kept and shown); only these are checked */
static const struct kspec tab_model_info[] = {
    {"id", KT_ID, KU_ACT, 0},
    {"mode", KT_STR, KU_PASS, 0},
    {"base_model", KT_STR, KU_PASS, 0},
    {"access_groups", KT_STRLIST, KU_PASS, 0},
    {"max_input_tokens", KT_INT, KU_PASS, KF_NONNEG},
    {"max_output_tokens", KT_INT, KU_PASS, KF_NONNEG},
    {"max_tokens", KT_INT, KU_PASS, KF_NONNEG},
    {"input_cost_per_token", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_token", KT_NUM, KU_PASS, KF_NONNEG},
    {"input_cost_per_second", KT_NUM, KU_PASS, KF_NONNEG},
    {"output_cost_per_second", KT_NUM, KU_PASS, KF_NONNEG},
    {"cache_read_input_token_cost", KT_NUM, KU_PASS, KF_NONNEG},
    {"cache_creation_input_token_cost", KT_NUM, KU_PASS, KF_NONNEG},
    {"health_check_timeout", KT_NUM, KU_PASS, KF_POS},
    {"rpm", KT_NUM, KU_PASS, KF_NONNEG},
    {"tpm", KT_NUM, KU_PASS, KF_NONNEG},
};

static const struct kspec tab_litellm[] = {
    {"drop_params", KT_BOOL, KU_ACT, 0},
    {"num_retries", KT_INT, KU_ACT, KF_NONNEG},
    {"request_timeout", KT_NUM, KU_ACT, KF_POS},
    {"telemetry", KT_BOOL, KU_PASS, 0}, /* llmux sends no telemetry either way */
    {"callbacks", KT_STRS, KU_IDLE, 0},
    {"success_callback", KT_STRS, KU_IDLE, 0},
    {"failure_callback", KT_STRS, KU_IDLE, 0},
    {"service_callback", KT_STRS, KU_IDLE, 0},
    {"fallbacks", KT_LIST, KU_ACT, 0},
    {"context_window_fallbacks", KT_LIST, KU_ACT, 0},
    {"content_policy_fallbacks", KT_LIST, KU_ACT, 0},
    {"default_fallbacks", KT_LIST, KU_ACT, 0},
    {"cache", KT_BOOL, KU_IDLE, 0},
    {"cache_params", KT_MAP, KU_IDLE, 0},
    {"max_budget", KT_NUM, KU_IDLE, KF_NONNEG},
    {"budget_duration", KT_STR, KU_IDLE, 0},
    {"timezone", KT_STR, KU_IDLE, 0},
    {"require_auth_for_metrics_endpoint", KT_BOOL, KU_IDLE, 0},
    {"max_end_user_budget", KT_NUM, KU_IDLE, KF_NONNEG},
    {"default_key_generate_params", KT_MAP, KU_IDLE, 0},
    {"upperbound_key_generate_params", KT_MAP, KU_IDLE, 0},
    {"cost_discount_config", KT_ANY, KU_IDLE, 0},
    {"cost_margin_config", KT_ANY, KU_IDLE, 0},
    {"set_verbose", KT_BOOL, KU_IDLE, 0},
    {"json_logs", KT_BOOL, KU_IDLE, 0},
    {"return_response_headers", KT_BOOL, KU_IDLE, 0},
    {"include_cost_in_streaming_usage", KT_BOOL, KU_ACT, 0},
    {"default_team_settings", KT_LIST, KU_IDLE, 0},
    {"default_internal_user_params", KT_MAP, KU_IDLE, 0},
    {"default_max_internal_user_budget", KT_NUM, KU_IDLE, KF_NONNEG},
    {"max_internal_user_budget", KT_NUM, KU_IDLE, KF_NONNEG},
    {"internal_user_budget_duration", KT_STR, KU_IDLE, 0},
    {"key_generation_settings", KT_MAP, KU_IDLE, 0},
    {"turn_off_message_logging", KT_BOOL, KU_IDLE, 0},
    {"redact_messages_in_exceptions", KT_BOOL, KU_IDLE, 0},
    {"redact_user_api_key_info", KT_BOOL, KU_IDLE, 0},
    {"modify_params", KT_BOOL, KU_IDLE, 0},
    {"ssl_verify", KT_ANY, KU_IDLE, 0},
    {"disable_end_user_cost_tracking", KT_BOOL, KU_IDLE, 0},
    {"enable_json_schema_validation", KT_BOOL, KU_IDLE, 0},
    {"enable_preview_features", KT_BOOL, KU_IDLE, 0},
    {"force_ipv4", KT_BOOL, KU_IDLE, 0},
    {"langfuse_default_tags", KT_ANY, KU_IDLE, 0},
    {"public_model_groups", KT_ANY, KU_IDLE, 0},
    {"model_alias_map", KT_MAP, KU_IDLE, 0},
    {"allowed_fails", KT_INT, KU_ACT, KF_NONNEG},
    {"guardrails", KT_ANY, KU_IDLE, 0},
};

static const struct kspec tab_router[] = {
    {"routing_strategy", KT_STR, KU_ACT, 0},
    {"num_retries", KT_INT, KU_ACT, KF_NONNEG},
    {"timeout", KT_NUM, KU_ACT, KF_POS},
    {"model_group_alias", KT_MAP, KU_ACT, 0},
    {"routing_strategy_args", KT_MAP, KU_ACT, 0},
    {"retry_after", KT_NUM, KU_ACT, KF_NONNEG},
    {"stream_timeout", KT_NUM, KU_ACT, KF_POS},
    {"max_fallbacks", KT_INT, KU_ACT, KF_NONNEG},
    {"allowed_fails", KT_INT, KU_ACT, KF_NONNEG},
    {"cooldown_time", KT_NUM, KU_ACT, KF_NONNEG},
    {"disable_cooldowns", KT_BOOL, KU_ACT, 0},
    {"retry_policy", KT_MAP, KU_ACT, 0},
    {"allowed_fails_policy", KT_MAP, KU_ACT, 0},
    {"model_group_retry_policy", KT_MAP, KU_IDLE, 0},
    {"fallbacks", KT_LIST, KU_ACT, 0},
    {"context_window_fallbacks", KT_LIST, KU_ACT, 0},
    {"content_policy_fallbacks", KT_LIST, KU_ACT, 0},
    {"default_fallbacks", KT_LIST, KU_ACT, 0},
    {"enable_pre_call_checks", KT_BOOL, KU_ACT, 0},
    {"optional_pre_call_checks", KT_ANY, KU_IDLE, 0},
    {"enable_tag_filtering", KT_BOOL, KU_IDLE, 0},
    {"tag_filtering_match_any", KT_BOOL, KU_IDLE, 0},
    {"provider_budget_config", KT_MAP, KU_IDLE, 0},
    {"redis_host", KT_STR, KU_ACT, 0},
    {"redis_port", KT_TEXT, KU_ACT, 0},
    {"redis_password", KT_STR, KU_ACT, 0},
    {"redis_url", KT_STR, KU_ACT, 0},
    {"redis_db", KT_TEXT, KU_ACT, 0},
    {"cache_responses", KT_BOOL, KU_IDLE, 0},
    {"caching_groups", KT_ANY, KU_IDLE, 0},
    {"default_litellm_params", KT_MAP, KU_IDLE, 0},
    {"default_max_parallel_requests", KT_INT, KU_IDLE, KF_NONNEG},
    {"polling_interval", KT_NUM, KU_IDLE, KF_NONNEG},
    {"client_ttl", KT_NUM, KU_IDLE, KF_NONNEG},
    {"set_verbose", KT_BOOL, KU_IDLE, 0},
    {"debug_level", KT_STR, KU_IDLE, 0},
    {"alerting_config", KT_ANY, KU_IDLE, 0},
    {"router_general_settings", KT_MAP, KU_IDLE, 0},
    {"assistants_config", KT_ANY, KU_IDLE, 0},
    {"model_group_affinity_config", KT_ANY, KU_IDLE, 0},
    {"deployment_affinity_ttl_seconds", KT_ANY, KU_IDLE, 0},
};

static const struct kspec tab_general[] = {
    {"master_key", KT_STR, KU_ACT, 0},
    {"max_request_size_mb", KT_NUM, KU_ACT, KF_POS},
    {"database_url", KT_STR, KU_IDLE, 0},
    {"database_connection_pool_limit", KT_INT, KU_IDLE, KF_POS},
    {"database_connection_timeout", KT_NUM, KU_IDLE, KF_POS},
    {"database_args", KT_MAP, KU_IDLE, 0},
    {"store_model_in_db", KT_BOOL, KU_IDLE, 0},
    {"allow_requests_on_db_unavailable", KT_BOOL, KU_IDLE, 0},
    {"proxy_batch_write_at", KT_NUM, KU_IDLE, KF_POS},
    {"proxy_batch_polling_interval", KT_NUM, KU_IDLE, KF_POS},
    {"disable_spend_logs", KT_BOOL, KU_IDLE, 0},
    {"disable_error_logs", KT_BOOL, KU_IDLE, 0},
    {"store_prompts_in_spend_logs", KT_BOOL, KU_IDLE, 0},
    {"proxy_budget_rescheduler_min_time", KT_NUM, KU_IDLE, KF_POS},
    {"proxy_budget_rescheduler_max_time", KT_NUM, KU_IDLE, KF_POS},
    {"background_health_checks", KT_BOOL, KU_ACT, 0},
    {"health_check_interval", KT_NUM, KU_ACT, KF_POS},
    {"health_check_details", KT_BOOL, KU_IDLE, 0},
    {"alerting", KT_STRS, KU_IDLE, 0},
    {"alert_types", KT_STRS, KU_IDLE, 0},
    {"alerting_threshold", KT_NUM, KU_IDLE, KF_POS},
    {"alerting_args", KT_MAP, KU_IDLE, 0},
    {"alert_to_webhook_url", KT_MAP, KU_IDLE, 0},
    {"litellm_key_header_name", KT_STR, KU_IDLE, 0},
    {"max_parallel_requests", KT_INT, KU_IDLE, KF_NONNEG},
    {"global_max_parallel_requests", KT_INT, KU_IDLE, KF_NONNEG},
    {"max_response_size_mb", KT_NUM, KU_IDLE, KF_POS},
    {"pass_through_endpoints", KT_LIST, KU_ACT, 0},
    {"token_rate_limit_type", KT_STR, KU_IDLE, 0},
    {"maximum_spend_logs_retention_period", KT_TEXT, KU_IDLE, 0},
    {"maximum_spend_logs_retention_interval", KT_TEXT, KU_IDLE, 0},
    {"forward_client_headers_to_llm_api", KT_BOOL, KU_IDLE, 0},
    {"custom_auth", KT_ANY, KU_IDLE, 0},
    {"custom_key_generate", KT_ANY, KU_IDLE, 0},
    {"custom_sso", KT_ANY, KU_IDLE, 0},
    {"enable_jwt_auth", KT_BOOL, KU_IDLE, 0},
    {"litellm_jwtauth", KT_MAP, KU_IDLE, 0},
    {"enable_oauth2_auth", KT_BOOL, KU_IDLE, 0},
    {"allowed_routes", KT_LIST, KU_IDLE, 0},
    {"admin_only_routes", KT_LIST, KU_IDLE, 0},
    {"public_routes", KT_LIST, KU_IDLE, 0},
    {"ui_access_mode", KT_ANY, KU_IDLE, 0},
    {"allowed_ips", KT_LIST, KU_IDLE, 0},
    {"infer_model_from_keys", KT_BOOL, KU_IDLE, 0},
    {"use_redis_transaction_buffer", KT_BOOL, KU_IDLE, 0},
    {"disable_master_key_return", KT_BOOL, KU_IDLE, 0},
    {"disable_reset_budget", KT_BOOL, KU_IDLE, 0},
    {"disable_retry_on_max_parallel_request_limit_error", KT_BOOL, KU_IDLE, 0},
    {"disable_adding_master_key_hash_to_db", KT_BOOL, KU_IDLE, 0},
    {"use_x_forwarded_for", KT_BOOL, KU_IDLE, 0},
    {"user_header_name", KT_STR, KU_IDLE, 0},
    {"enforce_user_param", KT_BOOL, KU_IDLE, 0},
    {"key_management_system", KT_STR, KU_IDLE, 0},
    {"key_management_settings", KT_MAP, KU_IDLE, 0},
    {"enable_public_model_hub", KT_BOOL, KU_IDLE, 0},
    {"reject_clientside_metadata_tags", KT_BOOL, KU_IDLE, 0},
    {"service_account_settings", KT_ANY, KU_IDLE, 0},
    {"allow_user_auth", KT_BOOL, KU_IDLE, 0},
};

static const struct kspec tab_llmux[] = {
    {"max_header_bytes", KT_INT, KU_ACT, KF_POS},
    {"header_timeout", KT_NUM, KU_ACT, KF_POS},
    {"idle_timeout", KT_NUM, KU_ACT, KF_POS},
    {"shutdown_grace", KT_NUM, KU_ACT, KF_NONNEG},
    {"ca_bundle", KT_STR, KU_ACT, 0},
    {"model_cost_map", KT_STR, KU_ACT, 0},
};
/* clang-format on */

#define TAB(t) (t), LMX_ARRAY_SIZE(t)

static const char *const known_strategies[] = {
    "simple-shuffle",
    "least-busy",
    "usage-based-routing",
    "usage-based-routing-v2",
    "latency-based-routing",
    "cost-based-routing",
    "lar1",
};

static const char *const known_modes[] = {
    "chat",
    "completion",
    "embedding",
    "image_generation",
    "audio_transcription",
    "audio_speech",
    "moderation",
    "rerank",
    "realtime",
    "batch",
    "responses",
    "image_edit",
    "video_generation",
    "ocr",
    "search",
};

/* ------------------------------------------------------------------------ */
/* load context */

struct path {
    char s[320];
    size_t len;
};

struct dep_extra {
    const struct lmx__ynode *entry;
    const struct lmx__ynode *params;
    const struct lmx__ynode *id_node; /* model_info.id when written */
    size_t index;                     /* in model_list */
};

struct ld {
    const char *name;
    struct lmx_diag *diag;
    struct lmx_config *cfg;
    json_t *overlay; /* environment_variables: name -> value, exported on success */
    json_t *warned;  /* key paths and providers already warned about */
    bool oom;

    struct dep_extra *extra; /* one per cfg->deps */
    const struct lmx__ynode *alias_node;

    bool litellm_retries_set, router_retries_set, router_timeout_set;
    int litellm_retries, router_retries;
    double router_timeout;
};

static void diag_at(struct ld *ld, bool is_error, const struct lmx__ynode *n, const char *fmt, ...)
    LMX_PRINTF(4, 5);

static void diag_at(struct ld *ld, bool is_error, const struct lmx__ynode *n, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lmx_diag_add(ld->diag, is_error, ld->name, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

#define ERR(ld, n, ...)  diag_at((ld), true, (n), __VA_ARGS__)
#define WARN(ld, n, ...) diag_at((ld), false, (n), __VA_ARGS__)

/* True the first time `key` is seen (so the caller warns once), false afterwards. */
static bool first_time(struct ld *ld, const char *key)
{
    if (json_object_get(ld->warned, key) != NULL)
        return false;
    if (json_object_set_new(ld->warned, key, json_true()) < 0)
        ld->oom = true;
    return true;
}

static size_t path_key(struct path *p, const char *key)
{
    size_t old = p->len;
    int n = snprintf(p->s + p->len, sizeof(p->s) - p->len, "%s%s", p->len ? "." : "", key);

    if (n > 0)
        p->len = LMX_MIN(p->len + (size_t)n, sizeof(p->s) - 1);
    return old;
}

static size_t path_idx(struct path *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->s + p->len, sizeof(p->s) - p->len, "[%zu]", i);

    if (n > 0)
        p->len = LMX_MIN(p->len + (size_t)n, sizeof(p->s) - 1);
    return old;
}

static void path_set(struct path *p, size_t len)
{
    p->len = len;
    p->s[len] = '\0';
}

/* A short printable excerpt of a config string for messages. */
static const char *excerpt(const char *s, char buf[72])
{
    size_t n = strlen(s);

    if (n <= 60) {
        memcpy(buf, s, n + 1);
    } else {
        memcpy(buf, s, 57);
        memcpy(buf + 57, "...", 4);
    }
    return buf;
}

/* Whether the last component of a key path names a credential. */
static bool is_secret_path(const char *path)
{
    static const char *const words[] = {"key", "secret", "password", "token", "credential"};
    const char *last = strrchr(path, '.');

    last = last != NULL ? last + 1 : path;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(words); i++)
        if (strcasestr(last, words[i]) != NULL)
            return true;
    return false;
}

/*
 * How a value looks, for "must be X, got Y" messages. Values that came from
 * the environment, or sit under a credential's key, are named by type only:
 * the message may end up in a log.
 */
static const char *describe_at(const struct lmx__ynode *n, const char *path, char buf[96])
{
    const json_t *j = n->json;
    char ex[72];

    if (n->kind == LMX__Y_MAP)
        return "a mapping";
    if (n->kind == LMX__Y_SEQ)
        return "a list";
    if (json_is_string(n->value) && j != n->value &&
        strncmp(json_string_value(n->value), ENV_PREFIX, strlen(ENV_PREFIX)) == 0) {
        snprintf(buf, 96, "the value of environment variable '%s'",
                 excerpt(json_string_value(n->value) + strlen(ENV_PREFIX), ex));
        return buf;
    }
    if (path != NULL && is_secret_path(path))
        return json_is_string(j)    ? "a string"
               : json_is_boolean(j) ? "a boolean"
               : json_is_number(j)  ? "a number"
                                    : "null";
    if (json_is_string(j))
        snprintf(buf, 96, "'%s'", excerpt(json_string_value(j), ex));
    else if (json_is_boolean(j))
        snprintf(buf, 96, "the boolean '%s'", excerpt(n->text, ex));
    else if (json_is_number(j))
        snprintf(buf, 96, "the number %s", excerpt(n->text, ex));
    else
        snprintf(buf, 96, "'%s'", excerpt(n->text, ex));
    return buf;
}

static const char *describe(const struct lmx__ynode *n, char buf[96])
{
    return describe_at(n, NULL, buf);
}

static bool present(const struct lmx__ynode *n)
{
    return n != NULL && n->json != NULL && !json_is_null(n->json);
}

/* ------------------------------------------------------------------------ */
/* values */

static bool to_num(const json_t *j, double *out)
{
    if (json_is_integer(j)) {
        *out = (double)json_integer_value(j);
        return true;
    }
    if (json_is_real(j)) {
        *out = json_real_value(j);
        return true;
    }
    if (json_is_string(j) && lmx_parse_double(json_string_value(j), out) == 0 && isfinite(*out))
        return true;
    return false;
}

static bool to_bool(const json_t *j, bool *out)
{
    static const char *const words[] = {"false", "true", "no", "yes", "off", "on", "0", "1"};

    if (json_is_boolean(j)) {
        *out = json_is_true(j);
        return true;
    }
    if (json_is_integer(j) && (json_integer_value(j) == 0 || json_integer_value(j) == 1)) {
        *out = json_integer_value(j) == 1;
        return true;
    }
    if (json_is_string(j)) {
        for (size_t i = 0; i < LMX_ARRAY_SIZE(words); i++) {
            if (strcasecmp(json_string_value(j), words[i]) == 0) {
                *out = (i & 1) != 0;
                return true;
            }
        }
    }
    return false;
}

static bool is_plain_string(const json_t *j)
{
    return json_is_string(j) && strlen(json_string_value(j)) == json_string_length(j);
}

/* Reports a value of the wrong type; returns whether the value is usable. */
static bool
check_type(struct ld *ld, const struct lmx__ynode *v, const struct kspec *ks, const struct path *p)
{
    const json_t *j = v->json;
    char d[96];
    double x;

    if (j == NULL || json_is_null(j))
        return true;
    switch ((enum ktype)ks->type) {
    case KT_ANY:
        return true;
    case KT_STR:
        if (is_plain_string(j))
            return true;
        if (json_is_string(j))
            ERR(ld, v, "'%s' must not contain a NUL character", p->s);
        else
            ERR(ld, v, "'%s' must be a string, got %s", p->s, describe_at(v, p->s, d));
        return false;
    case KT_TEXT:
        if (is_plain_string(j) || json_is_number(j))
            return true;
        ERR(ld, v, "'%s' must be a string, got %s", p->s, describe_at(v, p->s, d));
        return false;
    case KT_BOOL: {
        bool b;

        if (to_bool(j, &b))
            return true;
        ERR(ld, v, "'%s' must be true or false, got %s", p->s, describe_at(v, p->s, d));
        return false;
    }
    case KT_NUM:
    case KT_INT:
        if (!to_num(j, &x)) {
            ERR(ld, v, "'%s' must be a number, got %s", p->s, describe_at(v, p->s, d));
            return false;
        }
        if (ks->type == KT_INT && x != floor(x)) {
            ERR(ld, v, "'%s' must be a whole number, got %s", p->s, describe_at(v, p->s, d));
            return false;
        }
        if ((ks->flags & KF_NONNEG) && x < 0) {
            ERR(ld, v, "'%s' must not be negative, got %s", p->s, describe_at(v, p->s, d));
            return false;
        }
        if ((ks->flags & KF_POS) && x <= 0) {
            ERR(ld, v, "'%s' must be greater than 0, got %s", p->s, describe_at(v, p->s, d));
            return false;
        }
        return true;
    case KT_MAP:
        if (v->kind == LMX__Y_MAP)
            return true;
        ERR(ld, v, "'%s' must be a mapping, got %s", p->s, describe_at(v, p->s, d));
        return false;
    case KT_LIST:
        if (v->kind == LMX__Y_SEQ)
            return true;
        ERR(ld, v, "'%s' must be a list, got %s", p->s, describe_at(v, p->s, d));
        return false;
    case KT_STRS:
    case KT_STRLIST:
        if (ks->type == KT_STRS && json_is_string(j))
            return true;
        if (v->kind != LMX__Y_SEQ) {
            ERR(ld, v, "'%s' must be a list of strings, got %s", p->s, describe_at(v, p->s, d));
            return false;
        }
        for (size_t i = 0; i < v->nitems; i++) {
            const struct lmx__ynode *it = v->items[i];

            if (it->json != NULL && !json_is_string(it->json)) {
                ERR(ld, it, "'%s[%zu]' must be a string, got %s", p->s, i,
                    describe_at(it, p->s, d));
                return false;
            }
        }
        return true;
    case KT_ID:
        if (is_plain_string(j) || json_is_integer(j))
            return true;
        ERR(ld, v, "'%s' must be a string, got %s", p->s, describe_at(v, p->s, d));
        return false;
    }
    return true;
}

static const struct kspec *find_key(const struct kspec *tab, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].name, key) == 0)
            return &tab[i];
    return NULL;
}

/*
 * Checks every key of the mapping m (at path p; `schema` is the same path with
 * list indexes dropped, for warning once per key path): wrong types are
 * errors; keys llmux does not act on, and unknown keys when `warn_unknown`,
 * are warnings.
 */
static void check_keys(struct ld *ld,
                       const struct lmx__ynode *m,
                       struct path *p,
                       const char *schema,
                       const struct kspec *tab,
                       size_t ntab,
                       bool warn_unknown)
{
    for (size_t i = 0; i + 1 < m->nitems; i += 2) {
        const struct lmx__ynode *k = m->items[i], *v = m->items[i + 1];
        const struct kspec *ks;
        char once[400], ex[72];
        size_t old;

        if (v->json == NULL)
            continue; /* an unset os.environ/ reference: already reported */
        ks = find_key(tab, ntab, k->text);
        snprintf(once, sizeof(once), "%s%s%s", schema, *schema ? "." : "", k->text);
        old = path_key(p, k->text);
        if (ks == NULL) {
            if (warn_unknown && first_time(ld, once)) {
                if (*schema)
                    WARN(ld, k, "unknown key '%s' in '%s'", excerpt(k->text, ex), schema);
                else
                    WARN(ld, k, "unknown top-level key '%s'", excerpt(k->text, ex));
            }
        } else {
            check_type(ld, v, ks, p);
            if (ks->use == KU_IDLE && first_time(ld, once)) {
                if (strcmp(once, "include") == 0)
                    WARN(ld, k,
                         "'include' is not supported by this build yet; the model_list of "
                         "the included files is not loaded");
                else
                    WARN(ld, k, "'%s' is accepted; not acted on by this build", once);
            }
        }
        path_set(p, old);
    }
}

/* Typed getters for values check_keys already vetted: false when absent or unusable. */
static const char *get_str(const struct lmx__ynode *m, const char *key)
{
    const struct lmx__ynode *v = lmx__ymap_get(m, key);

    if (!present(v) || !is_plain_string(v->json))
        return NULL;
    return json_string_value(v->json);
}

static bool get_num(const struct lmx__ynode *m, const char *key, double *out)
{
    const struct lmx__ynode *v = lmx__ymap_get(m, key);

    return present(v) && to_num(v->json, out);
}

static bool get_bool(const struct lmx__ynode *m, const char *key, bool *out)
{
    const struct lmx__ynode *v = lmx__ymap_get(m, key);

    return present(v) && to_bool(v->json, out);
}

static int clamp_int(double x)
{
    if (x >= (double)INT_MAX)
        return INT_MAX;
    if (x <= 0)
        return 0;
    return (int)x;
}

/* ------------------------------------------------------------------------ */
/* environment */

/* A variable from environment_variables, else from the process environment; NULL when unset. */
static const char *ld_getenv(const struct ld *ld, const char *name)
{
    const json_t *v = json_object_get(ld->overlay, name);

    if (v != NULL)
        return json_string_value(v);
    return getenv(name);
}

/* The first set and non-empty variable of a space-separated list, and its name. */
static const char *env_first(const struct ld *ld, const char *names, char name_out[64])
{
    const char *s = names;

    while (s != NULL && *s) {
        const char *e = strchr(s, ' ');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char name[64];
        const char *v;

        if (n < sizeof(name)) {
            memcpy(name, s, n);
            name[n] = '\0';
            v = ld_getenv(ld, name);
            if (v != NULL && *v) {
                if (name_out != NULL)
                    memcpy(name_out, name, n + 1);
                return v;
            }
        }
        s = e ? e + 1 : NULL;
    }
    return NULL;
}

/*
 * The node's value with os.environ/NAME resolved (memoized in n->json, so a
 * node under several aliases is resolved and reported once). An unset
 * variable makes the value absent (NULL): dropped from mappings and lists.
 */
static json_t *resolve(struct ld *ld, struct lmx__ynode *n, struct path *p)
{
    if (n->resolved)
        return n->json;
    n->resolved = true;

    if (n->kind == LMX__Y_SCALAR) {
        const char *s;

        if (n->value == NULL) {
            n->json = json_null(); /* a stray merge key */
            return n->json;
        }
        s = json_string_value(n->value);
        if (s != NULL && strncmp(s, ENV_PREFIX, strlen(ENV_PREFIX)) == 0) {
            const char *name = s + strlen(ENV_PREFIX);
            const char *v = ld_getenv(ld, name);
            char ex[72];

            if (v == NULL) {
                WARN(ld, n, "environment variable '%s' is not set; '%s' is treated as absent",
                     excerpt(name, ex), p->s);
                return NULL;
            }
            n->json = json_string(v);
            if (n->json == NULL) {
                json_t *probe = json_string_nocheck(v);

                if (probe == NULL) {
                    ld->oom = true; /* not a UTF-8 problem */
                    return NULL;
                }
                json_decref(probe);
                WARN(ld, n,
                     "environment variable '%s' is not valid UTF-8; '%s' is treated as absent",
                     excerpt(name, ex), p->s);
            }
            return n->json;
        }
        n->json = json_incref(n->value);
        return n->json;
    }

    if (n->kind == LMX__Y_SEQ) {
        json_t *a = json_array();

        if (a == NULL) {
            ld->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < n->nitems; i++) {
            size_t old = path_idx(p, i);
            json_t *j = resolve(ld, n->items[i], p);

            path_set(p, old);
            if (j != NULL && json_array_append(a, j) < 0)
                ld->oom = true;
        }
        n->json = a;
        return a;
    }

    json_t *o = json_object();

    if (o == NULL) {
        ld->oom = true;
        return NULL;
    }
    for (size_t i = 0; i + 1 < n->nitems; i += 2) {
        const struct lmx__ynode *k = n->items[i];
        size_t old = path_key(p, k->text);
        json_t *j = resolve(ld, n->items[i + 1], p);

        path_set(p, old);
        if (j != NULL && json_object_setn(o, k->text, k->len, j) < 0)
            ld->oom = true;
    }
    n->json = o;
    return o;
}

/* The value as written (os.environ/ not resolved), for the stable id; NULL when out of memory. */
static json_t *raw_json(const struct lmx__ynode *n)
{
    json_t *out;

    if (n->kind == LMX__Y_SCALAR)
        return n->value != NULL ? json_incref(n->value) : json_null();
    out = n->kind == LMX__Y_SEQ ? json_array() : json_object();
    if (out == NULL)
        return NULL;
    if (n->kind == LMX__Y_SEQ) {
        for (size_t i = 0; i < n->nitems; i++)
            if (json_array_append_new(out, raw_json(n->items[i])) < 0)
                goto fail;
    } else {
        for (size_t i = 0; i + 1 < n->nitems; i += 2)
            if (json_object_setn_new(out, n->items[i]->text, n->items[i]->len,
                                     raw_json(n->items[i + 1])) < 0)
                goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static bool valid_env_name(const char *s, size_t n)
{
    return n > 0 && strlen(s) == n && strchr(s, '=') == NULL;
}

/* environment_variables: checked and collected into the overlay (exported on success). */
static void load_env_section(struct ld *ld, struct lmx__ynode *env)
{
    struct path p = {{0}, 0};
    char d[96], ex[72];

    path_key(&p, "environment_variables");
    if (resolve(ld, env, &p) == NULL || !present(env) || env->kind != LMX__Y_MAP)
        return; /* absent, empty, or a type error reported by check_keys */
    for (size_t i = 0; i + 1 < env->nitems; i += 2) {
        const struct lmx__ynode *k = env->items[i], *v = env->items[i + 1];
        const json_t *j = v->json;
        char num[64];
        const char *val = NULL;

        if (!valid_env_name(k->text, k->len)) {
            ERR(ld, k, "'environment_variables' has an invalid variable name '%s'",
                excerpt(k->text, ex));
            continue;
        }
        if (j == NULL)
            continue; /* unset os.environ/ reference, reported */
        if (json_is_null(j)) {
            WARN(ld, v, "'environment_variables.%s' has no value; not exported",
                 excerpt(k->text, ex));
            continue;
        }
        if (is_plain_string(j)) {
            val = json_string_value(j);
        } else if (json_is_integer(j)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
            val = num;
        } else if (json_is_boolean(j)) {
            val = json_is_true(j) ? "True" : "False"; /* Python's str(True) */
        } else if (json_is_real(j)) {
            val = v->text;
        } else {
            ERR(ld, v, "'environment_variables.%s' must be a string, got %s", excerpt(k->text, ex),
                describe(v, d));
            continue;
        }
        if (json_object_set_new(ld->overlay, k->text, json_string(val)) < 0)
            ld->oom = true;
    }
}

static void export_env(const struct ld *ld)
{
    const char *name;
    json_t *v;

    json_object_foreach(ld->overlay, name, v) {
        const char *cur = getenv(name);

        /* setenv races with getenv in other threads: only touch what changed */
        if (cur == NULL || strcmp(cur, json_string_value(v)) != 0)
            setenv(name, json_string_value(v), 1);
    }
}

/* ------------------------------------------------------------------------ */
/* settings sections */

static void load_litellm_settings(struct ld *ld, const struct lmx__ynode *m)
{
    struct lmx_config *cfg = ld->cfg;
    struct path p = {{0}, 0};
    double x;
    bool b;

    path_key(&p, "litellm_settings");
    check_keys(ld, m, &p, "litellm_settings", TAB(tab_litellm), true);
    if (get_bool(m, "drop_params", &b))
        cfg->drop_params = b;
    if (get_bool(m, "include_cost_in_streaming_usage", &b))
        cfg->stream_cost = b;
    if (get_num(m, "num_retries", &x) && x >= 0 && x == floor(x)) {
        ld->litellm_retries = clamp_int(x);
        ld->litellm_retries_set = true;
    }
    if (get_num(m, "request_timeout", &x) && x > 0)
        cfg->request_timeout = x;
}

static void load_router_settings(struct ld *ld, const struct lmx__ynode *m)
{
    const struct lmx__ynode *rs = lmx__ymap_get(m, "routing_strategy");
    struct path p = {{0}, 0};
    double x;

    path_key(&p, "router_settings");
    check_keys(ld, m, &p, "router_settings", TAB(tab_router), true);
    if (present(rs) && is_plain_string(rs->json)) {
        const char *s = json_string_value(rs->json);
        bool known = false;
        char ex[72];

        for (size_t i = 0; i < LMX_ARRAY_SIZE(known_strategies); i++)
            known = known || strcmp(s, known_strategies[i]) == 0;
        if (!known)
            WARN(ld, rs, "unknown routing_strategy '%s'; this build routes with simple-shuffle",
                 excerpt(s, ex));
        else if (strcmp(s, "lar1") == 0)
            WARN(ld, rs, "routing_strategy 'lar1' is not implemented; this build routes with "
                         "simple-shuffle");
    }
    if (get_num(m, "num_retries", &x) && x >= 0 && x == floor(x)) {
        ld->router_retries = clamp_int(x);
        ld->router_retries_set = true;
    }
    if (get_num(m, "timeout", &x) && x > 0) {
        ld->router_timeout = x;
        ld->router_timeout_set = true;
    }
    ld->alias_node = lmx__ymap_get(m, "model_group_alias");
}

static void load_general_settings(struct ld *ld, const struct lmx__ynode *m)
{
    struct lmx_config *cfg = ld->cfg;
    const struct lmx__ynode *mk = lmx__ymap_get(m, "master_key");
    struct path p = {{0}, 0};
    double x;

    path_key(&p, "general_settings");
    check_keys(ld, m, &p, "general_settings", TAB(tab_general), true);
    if (present(mk) && is_plain_string(mk->json)) {
        const char *s = json_string_value(mk->json);

        if (*s == '\0') {
            WARN(ld, mk, "'general_settings.master_key' is empty; treated as absent");
        } else {
            if (strncmp(s, "sk-", 3) != 0)
                WARN(ld, mk, "'general_settings.master_key' should start with 'sk-'");
            cfg->master_key = lmx_strdup(s);
            if (cfg->master_key == NULL)
                ld->oom = true;
        }
    }
    if (get_num(m, "max_request_size_mb", &x) && x > 0) {
        double bytes = x * 1024.0 * 1024.0;

        cfg->max_request_bytes = bytes >= (double)(SIZE_MAX / 2) ? SIZE_MAX / 2 : (size_t)bytes;
        if (cfg->max_request_bytes == 0)
            cfg->max_request_bytes = 1;
    }
}

static void load_llmux_settings(struct ld *ld, const struct lmx__ynode *m)
{
    struct lmx_config *cfg = ld->cfg;
    const struct lmx__ynode *ca = lmx__ymap_get(m, "ca_bundle");
    struct path p = {{0}, 0};
    double x;

    path_key(&p, "llmux_settings");
    check_keys(ld, m, &p, "llmux_settings", TAB(tab_llmux), true);
    if (get_num(m, "max_header_bytes", &x) && x > 0 && x == floor(x))
        cfg->max_header_bytes = x >= (double)(SIZE_MAX / 2) ? SIZE_MAX / 2 : (size_t)x;
    if (get_num(m, "header_timeout", &x) && x > 0)
        cfg->header_timeout = x;
    if (get_num(m, "idle_timeout", &x) && x > 0)
        cfg->idle_timeout = x;
    if (get_num(m, "shutdown_grace", &x) && x >= 0)
        cfg->shutdown_grace = x;
    if (present(ca) && is_plain_string(ca->json)) {
        const char *s = json_string_value(ca->json);

        if (access(s, R_OK) != 0)
            WARN(ld, ca, "'llmux_settings.ca_bundle' cannot be read: %s", strerror(errno));
        cfg->ca_bundle = lmx_strdup(s);
        if (cfg->ca_bundle == NULL)
            ld->oom = true;
    }
}

/* ------------------------------------------------------------------------ */
/* model_list */

static char *dup_base(const char *s)
{
    size_t n = strlen(s);

    while (n > 0 && s[n - 1] == '/')
        n--;
    return lmx_strndup(s, n);
}

/* Sets a string field from `v` (may be NULL); false when out of memory. */
static bool set_str(char **field, const char *v)
{
    if (v == NULL)
        return true;
    *field = lmx_strdup(v);
    return *field != NULL;
}

static void warn_native(struct ld *ld, const struct lmx__ynode *at, const char *provider)
{
    char key[96];

    snprintf(key, sizeof(key), "provider %s", provider);
    if (first_time(ld, key))
        WARN(ld, at,
             "provider '%s' is not served by this build yet; requests to its deployments fail "
             "with 501",
             provider);
}

/*
 * Provider, upstream model, api_base, api_key, api_version, organization and
 * `supported` of a deployment whose litellm_params passed the checks.
 */
static bool
fill_provider(struct ld *ld, struct lmx_deployment *d, const struct lmx__ynode *lp, struct path *p)
{
    const struct lmx__ynode *model_node = lmx__ymap_get(lp, "model");
    const struct lmx__ynode *clp_node = lmx__ymap_get(lp, "custom_llm_provider");
    const char *clp = get_str(lp, "custom_llm_provider");
    const char *model = d->model, *slash = strchr(model, '/');
    const char *upstream = model, *pname = "openai", *base = get_str(lp, "api_base");
    const struct lmx__provider *pv = NULL;
    char ex[72];

    if (clp != NULL && *clp) {
        size_t n = strlen(clp);

        pv = lmx__provider_find(clp, n);
        pname = clp;
        if (slash != NULL && (size_t)(slash - model) == n && memcmp(model, clp, n) == 0)
            upstream = slash + 1;
        if (pv == NULL) {
            char key[96];

            snprintf(key, sizeof(key), "provider %s", clp);
            if (first_time(ld, key))
                WARN(ld, clp_node,
                     "unknown provider '%s' in custom_llm_provider; requests to its deployments "
                     "fail with 501",
                     excerpt(clp, ex));
        }
    } else {
        if (slash != NULL)
            pv = lmx__provider_find(model, (size_t)(slash - model));
        if (pv != NULL) {
            pname = pv->name;
            upstream = slash + 1;
        } else {
            pv = lmx__provider_find("openai", 6); /* LiteLLM: a bare model name is OpenAI's */
        }
    }
    /* openai/ with the api_base of a known OpenAI-compatible host is that provider */
    if (pv != NULL && strcmp(pv->name, "openai") == 0 && base != NULL) {
        const struct lmx__provider *hp = lmx__provider_by_host(base);

        if (hp != NULL) {
            pv = hp;
            pname = hp->name;
        }
    }
    if (pv != NULL && pv->kind == LMX__P_AZURE) {
        if (strncmp(upstream, "o_series/", 9) == 0)
            upstream += 9;
        else if (strncmp(upstream, "gpt5_series/", 12) == 0)
            upstream += 12;
    }
    if (*upstream == '\0')
        WARN(ld, model_node, "'%s.model' names no model after the provider prefix '%s/'", p->s,
             pname);

    if (!set_str(&d->provider, pname) || !set_str(&d->upstream_model, upstream))
        return false;

    /* api_base: written, else the provider's env variables, else its default */
    if (base == NULL && pv != NULL)
        base = env_first(ld, pv->base_env, NULL);
    if (base != NULL && *base) {
        d->api_base = dup_base(base);
        if (d->api_base == NULL)
            return false;
    } else if (pv != NULL && (pv->flags & LMX__PF_CLOUDFLARE)) {
        const char *acct = ld_getenv(ld, "CLOUDFLARE_ACCOUNT_ID");

        if (acct != NULL && *acct) {
            char url[512];

            snprintf(url, sizeof(url), "https://api.cloudflare.com/client/v4/accounts/%s/ai/v1",
                     acct);
            if (!set_str(&d->api_base, url))
                return false;
        }
    } else if (pv != NULL && strcmp(pv->name, "snowflake") == 0) {
        const char *acct = ld_getenv(ld, "SNOWFLAKE_ACCOUNT_ID");

        if (acct != NULL && *acct) {
            char url[512];

            snprintf(url, sizeof(url), "https://%s.snowflakecomputing.com/api/v2/cortex/v1", acct);
            if (!set_str(&d->api_base, url))
                return false;
        }
    } else if (pv != NULL && pv->base != NULL) {
        if (!set_str(&d->api_base, pv->base))
            return false;
    }
    if (d->api_base != NULL && pv != NULL && (pv->flags & LMX__PF_APPEND_V1)) {
        size_t n = strlen(d->api_base);

        if (n < 3 || strcmp(d->api_base + n - 3, "/v1") != 0) {
            char *b = lmx_malloc(n + 4);

            if (b == NULL)
                return false;
            memcpy(b, d->api_base, n);
            memcpy(b + n, "/v1", 4);
            lmx_free(d->api_base);
            d->api_base = b;
        }
    }

    /* credentials and the rest */
    if (!set_str(&d->api_key, get_str(lp, "api_key")))
        return false;
    if (d->api_key == NULL && pv != NULL && !set_str(&d->api_key, env_first(ld, pv->key_env, NULL)))
        return false;
    {
        const struct lmx__ynode *av = lmx__ymap_get(lp, "api_version");

        if (present(av) && (is_plain_string(av->json) || json_is_number(av->json)) &&
            !set_str(&d->api_version,
                     is_plain_string(av->json) ? json_string_value(av->json) : av->text))
            return false;
    }
    if (d->api_version == NULL && pv != NULL && pv->kind == LMX__P_AZURE &&
        !set_str(&d->api_version, env_first(ld, "AZURE_API_VERSION", NULL)))
        return false;
    if (!set_str(&d->organization, get_str(lp, "organization")))
        return false;
    if (d->organization == NULL && pv != NULL && (pv->flags & LMX__PF_OPENAI_ORG) &&
        !set_str(&d->organization, env_first(ld, "OPENAI_ORGANIZATION", NULL)))
        return false;
    if (!set_str(&d->region_name, get_str(lp, "region_name")))
        return false;

    /* can this build call it? */
    d->supported = false;
    if (pv == NULL)
        return true;
    if (pv->kind == LMX__P_NATIVE) {
        warn_native(ld, model_node, pv->name);
        return true;
    }
    if (d->api_base == NULL) {
        char hint[160] = "";

        if (pv->base_env != NULL) {
            const char *sp = strchr(pv->base_env, ' ');
            size_t n = sp ? (size_t)(sp - pv->base_env) : strlen(pv->base_env);

            snprintf(hint, sizeof(hint), " or %.*s", (int)n, pv->base_env);
        } else if (pv->flags & LMX__PF_CLOUDFLARE) {
            snprintf(hint, sizeof(hint), " or CLOUDFLARE_ACCOUNT_ID");
        } else if (strcmp(pv->name, "snowflake") == 0) {
            snprintf(hint, sizeof(hint), " or SNOWFLAKE_ACCOUNT_ID");
        }
        WARN(ld, model_node,
             "'%s' has no api_base and provider '%s' has no default (set api_base%s); requests "
             "to this deployment fail with 501",
             p->s, pname, hint);
        return true;
    }
    if (pv->kind == LMX__P_AZURE && d->api_version == NULL)
        WARN(ld, model_node,
             "'%s' has no api_version (and AZURE_API_VERSION is unset); Azure requires one", p->s);
    d->supported = true;
    return true;
}

/* One model_list entry; a deployment is added only when the entry has no error. */
static void load_entry(struct ld *ld, struct lmx__ynode *e, size_t index, struct path *p)
{
    struct lmx_config *cfg = ld->cfg;
    size_t errors = ld->diag->errors, old;
    const struct lmx__ynode *mn, *lp, *mi, *model = NULL;
    struct lmx_deployment *d;
    struct dep_extra *x;
    char d96[96];
    double v;
    bool b;

    if (e->json == NULL || json_is_null(e->json)) {
        if (e->json != NULL)
            ERR(ld, e, "'%s' is empty", p->s);
        return;
    }
    if (e->kind != LMX__Y_MAP) {
        ERR(ld, e, "'%s' must be a mapping with model_name and litellm_params, got %s", p->s,
            describe(e, d96));
        return;
    }
    check_keys(ld, e, p, "model_list[]", TAB(tab_entry), true);
    mn = lmx__ymap_get(e, "model_name");
    lp = lmx__ymap_get(e, "litellm_params");
    mi = lmx__ymap_get(e, "model_info");
    if (!present(mn))
        ERR(ld, e, "'%s' has no model_name", p->s);
    else if (is_plain_string(mn->json) && json_string_length(mn->json) == 0)
        ERR(ld, mn, "'%s.model_name' is empty", p->s);
    if (!present(lp)) {
        ERR(ld, e, "'%s' has no litellm_params", p->s);
    } else if (lp->kind == LMX__Y_MAP) {
        old = path_key(p, "litellm_params");
        check_keys(ld, lp, p, "model_list[].litellm_params", TAB(tab_params), true);
        model = lmx__ymap_get(lp, "model");
        if (!present(model))
            ERR(ld, lp, "'%s' has no model", p->s);
        else if (is_plain_string(model->json) && json_string_length(model->json) == 0)
            ERR(ld, model, "'%s.model' is empty", p->s);
        path_set(p, old);
    }
    if (present(mi) && mi->kind == LMX__Y_MAP) {
        const struct lmx__ynode *mode = lmx__ymap_get(mi, "mode");

        old = path_key(p, "model_info");
        check_keys(ld, mi, p, "model_list[].model_info", TAB(tab_model_info), false);
        for (size_t i = 0; i + 1 < mi->nitems; i += 2) {
            static const struct kspec supports = {"supports_", KT_BOOL, KU_PASS, 0};
            size_t o2;

            if (strncmp(mi->items[i]->text, "supports_", 9) != 0)
                continue;
            o2 = path_key(p, mi->items[i]->text);
            check_type(ld, mi->items[i + 1], &supports, p);
            path_set(p, o2);
        }
        if (present(mode) && is_plain_string(mode->json)) {
            const char *s = json_string_value(mode->json);
            bool known = false;
            char ex[72];

            for (size_t i = 0; i < LMX_ARRAY_SIZE(known_modes); i++)
                known = known || strcmp(s, known_modes[i]) == 0;
            if (!known)
                WARN(ld, mode, "unknown model_info.mode '%s' in '%s'", excerpt(s, ex), p->s);
        }
        const struct lmx__ynode *idn = lmx__ymap_get(mi, "id");

        if (present(idn) && is_plain_string(idn->json) && json_string_length(idn->json) == 0)
            ERR(ld, idn, "'%s.id' is empty", p->s);
        path_set(p, old);
    }
    if (ld->diag->errors != errors)
        return;

    d = &cfg->deps[cfg->ndeps];
    x = &ld->extra[cfg->ndeps];
    memset(d, 0, sizeof(*d));
    d->num_retries = -1;
    d->drop_params = -1;
    d->max_parallel_requests = -1;
    cfg->ndeps++; /* counted now so that unref frees what is filled below */
    x->entry = e;
    x->params = lp;
    x->index = index;

    if (!set_str(&d->model_name, json_string_value(mn->json)) ||
        !set_str(&d->model, json_string_value(model->json)))
        goto oom;
    old = path_key(p, "litellm_params");
    if (!fill_provider(ld, d, lp, p)) {
        path_set(p, old);
        goto oom;
    }
    path_set(p, old);

    /* rpm/tpm: litellm_params, else next to it (LiteLLM reads both), else model_info */
    if (get_num(lp, "rpm", &v) || get_num(e, "rpm", &v) || get_num(mi, "rpm", &v))
        d->rpm = v >= 0 ? v : 0;
    if (get_num(lp, "tpm", &v) || get_num(e, "tpm", &v) || get_num(mi, "tpm", &v))
        d->tpm = v >= 0 ? v : 0;
    if (get_num(lp, "weight", &v))
        d->weight = v;
    if (get_num(lp, "order", &v))
        d->order = clamp_int(v);
    if (get_num(lp, "timeout", &v))
        d->timeout = v;
    if (get_num(lp, "stream_timeout", &v))
        d->stream_timeout = v;
    if (get_num(lp, "num_retries", &v))
        d->num_retries = clamp_int(v);
    if (get_num(lp, "max_parallel_requests", &v))
        d->max_parallel_requests = clamp_int(v);
    if (get_bool(lp, "drop_params", &b))
        d->drop_params = b ? 1 : 0;

    d->litellm_params = json_incref(lp->json);
    /* a copy: model_info may be shared through an alias, and the id is added to it */
    d->model_info = present(mi) && json_is_object(mi->json) ? json_copy(mi->json) : json_object();
    if (d->model_info == NULL)
        goto oom;
    if (present(mi))
        x->id_node = lmx__ymap_get(mi, "id");
    if (!present(x->id_node))
        x->id_node = NULL;
    return;
oom:
    ld->oom = true;
}

static int dump_to_buf(const char *p, size_t n, void *data)
{
    return lmx_buf_append(data, p, n) < 0 ? -1 : 0;
}

/* Hex SHA-256 of the canonical JSON of {model_name, litellm_params as written}. */
static int stable_id(const struct lmx_deployment *d, const struct lmx__ynode *params, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct lmx_buf b;
    json_t *o = json_object();
    int err = LMX_ENOMEM;

    lmx_buf_init(&b, SIZE_MAX / 2);
    if (o == NULL || json_object_set_new(o, "litellm_params", raw_json(params)) < 0 ||
        json_object_set_new(o, "model_name", json_string(d->model_name)) < 0 ||
        json_dump_callback(o, dump_to_buf, &b, JSON_SORT_KEYS | JSON_COMPACT) < 0)
        goto out;
    if (EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        err = LMX_EINTERNAL;
        goto out;
    }
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    err = 0;
out:
    json_decref(o);
    lmx_buf_release(&b);
    return err;
}

/*
 * Ids: a written model_info.id must be unique (error); a missing one is the
 * stable hash, with "-2", "-3"... for entries that repeat an earlier one exactly.
 */
static void assign_ids(struct ld *ld)
{
    struct lmx_config *cfg = ld->cfg;
    json_t *seen = json_object();
    char text[72];

    if (seen == NULL) {
        ld->oom = true;
        return;
    }
    for (size_t i = 0; i < cfg->ndeps; i++) {
        const struct lmx__ynode *idn = ld->extra[i].id_node;
        const json_t *prev;

        if (idn == NULL)
            continue;
        if (json_is_integer(idn->json))
            snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(idn->json));
        cfg->deps[i].id =
            lmx_strdup(json_is_integer(idn->json) ? text : json_string_value(idn->json));
        if (cfg->deps[i].id == NULL) {
            ld->oom = true;
            goto out;
        }
        prev = json_object_get(seen, cfg->deps[i].id);
        if (prev != NULL) {
            const struct lmx__ynode *first = ld->extra[json_integer_value(prev)].id_node;
            char ex[72];

            ERR(ld, idn, "duplicate model_info.id '%s' (also at line %zu)",
                excerpt(cfg->deps[i].id, ex), first->line);
            continue;
        }
        if (json_object_set_new(seen, cfg->deps[i].id, json_integer((json_int_t)i)) < 0)
            ld->oom = true;
    }
    for (size_t i = 0; i < cfg->ndeps; i++) {
        char base[65], id[80];
        const json_t *prev;
        int n = 1;

        if (ld->extra[i].id_node != NULL)
            continue;
        if (stable_id(&cfg->deps[i], ld->extra[i].params, base) < 0) {
            ld->oom = true;
            goto out;
        }
        snprintf(id, sizeof(id), "%s", base);
        prev = json_object_get(seen, id);
        if (prev != NULL) {
            size_t first = ld->extra[json_integer_value(prev)].index;

            while (json_object_get(seen, id) != NULL)
                snprintf(id, sizeof(id), "%s-%d", base, ++n);
            WARN(ld, ld->extra[i].entry,
                 "'model_list[%zu]' repeats 'model_list[%zu]' (same model_name and "
                 "litellm_params); its id gets the suffix '-%d'",
                 ld->extra[i].index, first, n);
        }
        cfg->deps[i].id = lmx_strdup(id);
        if (cfg->deps[i].id == NULL ||
            json_object_set_new(seen, id, json_integer((json_int_t)i)) < 0) {
            ld->oom = true;
            goto out;
        }
    }
    for (size_t i = 0; i < cfg->ndeps; i++)
        if (cfg->deps[i].id != NULL &&
            json_object_set_new(cfg->deps[i].model_info, "id", json_string(cfg->deps[i].id)) < 0)
            ld->oom = true;
out:
    json_decref(seen);
}

static void build_groups(struct ld *ld)
{
    struct lmx_config *cfg = ld->cfg;
    json_t *index = json_object();

    if (cfg->ndeps == 0)
        goto out;
    cfg->groups = lmx_calloc(cfg->ndeps, sizeof(*cfg->groups));
    if (index == NULL || cfg->groups == NULL)
        goto oom;
    for (size_t i = 0; i < cfg->ndeps; i++) {
        const char *name = cfg->deps[i].model_name;
        json_t *at = json_object_get(index, name);
        struct lmx_group *g;

        if (at != NULL) {
            cfg->groups[json_integer_value(at)].ndeps++;
            continue;
        }
        g = &cfg->groups[cfg->ngroups];
        g->name = lmx_strdup(name);
        if (g->name == NULL)
            goto oom;
        cfg->ngroups++; /* owned by cfg from here, whatever fails next */
        g->ndeps = 1;
        g->wildcard = strchr(name, '*') != NULL;
        g->prefix_len = g->wildcard ? (size_t)(strchr(name, '*') - name) : 0;
        if (json_object_set_new(index, name, json_integer((json_int_t)(cfg->ngroups - 1))) < 0)
            goto oom;
    }
    for (size_t gi = 0; gi < cfg->ngroups; gi++) {
        cfg->groups[gi].deps = lmx_calloc(cfg->groups[gi].ndeps, sizeof(*cfg->groups[gi].deps));
        if (cfg->groups[gi].deps == NULL)
            goto oom;
        cfg->groups[gi].ndeps = 0;
    }
    for (size_t i = 0; i < cfg->ndeps; i++) {
        struct lmx_group *g =
            &cfg->groups[json_integer_value(json_object_get(index, cfg->deps[i].model_name))];

        g->deps[g->ndeps++] = &cfg->deps[i];
    }
    goto out;
oom:
    ld->oom = true;
out:
    json_decref(index);
}

/* '*' matches any run of bytes. */
static bool glob_match(const char *pat, const char *s)
{
    if (*pat == '\0')
        return *s == '\0';
    if (*pat == '*') {
        for (;; s++) {
            if (glob_match(pat + 1, s))
                return true;
            if (*s == '\0')
                return false;
        }
    }
    return *s == *pat && glob_match(pat + 1, s + 1);
}

static bool group_exists(const struct lmx_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (strcmp(cfg->groups[i].name, name) == 0 ||
            (cfg->groups[i].wildcard && glob_match(cfg->groups[i].name, name)))
            return true;
    return false;
}

/* router_settings.model_group_alias: alias -> group, or -> {model: group, hidden: bool}. */
static void load_aliases(struct ld *ld)
{
    const struct lmx__ynode *m = ld->alias_node;
    size_t errors = ld->diag->errors;
    char ex[72], ex2[72], d96[96];

    if (!present(m) || m->kind != LMX__Y_MAP)
        return;
    for (size_t i = 0; i + 1 < m->nitems; i += 2) {
        const struct lmx__ynode *k = m->items[i], *v = m->items[i + 1];
        const char *target = NULL;
        const struct lmx__ynode *at = v;

        if (!present(v))
            continue;
        if (is_plain_string(v->json)) {
            target = json_string_value(v->json);
        } else if (v->kind == LMX__Y_MAP) {
            const struct lmx__ynode *model = lmx__ymap_get(v, "model");
            const struct lmx__ynode *hidden = lmx__ymap_get(v, "hidden");
            bool b;

            for (size_t j = 0; j + 1 < v->nitems; j += 2)
                if (strcmp(v->items[j]->text, "model") != 0 &&
                    strcmp(v->items[j]->text, "hidden") != 0)
                    WARN(ld, v->items[j], "unknown key '%s' in 'router_settings.model_group_alias'",
                         excerpt(v->items[j]->text, ex));
            if (!present(model) || !is_plain_string(model->json)) {
                ERR(ld, present(model) ? model : v,
                    "'router_settings.model_group_alias.%s' needs 'model', the name of a group",
                    excerpt(k->text, ex));
                continue;
            }
            if (present(hidden) && !to_bool(hidden->json, &b))
                ERR(ld, hidden,
                    "'router_settings.model_group_alias.%s.hidden' must be true or false, got %s",
                    excerpt(k->text, ex), describe(hidden, d96));
            target = json_string_value(model->json);
            at = model;
        } else {
            ERR(ld, v,
                "'router_settings.model_group_alias.%s' must be a group name or {model, hidden}, "
                "got %s",
                excerpt(k->text, ex), describe(v, d96));
            continue;
        }
        if (!group_exists(ld->cfg, target))
            WARN(ld, at, "model_group_alias '%s' points to '%s', which no model_list entry serves",
                 excerpt(k->text, ex), excerpt(target, ex2));
    }
    if (ld->diag->errors == errors)
        ld->cfg->model_group_alias = json_incref(m->json);
}

static void load_model_list(struct ld *ld, struct lmx__ynode *list)
{
    struct lmx_config *cfg = ld->cfg;
    struct path p = {{0}, 0};

    path_key(&p, "model_list");
    if (list->kind != LMX__Y_SEQ)
        return; /* type error reported by check_keys; null is just empty */
    if (list->nitems == 0)
        return;
    cfg->deps = lmx_calloc(list->nitems, sizeof(*cfg->deps));
    ld->extra = lmx_calloc(list->nitems, sizeof(*ld->extra));
    if (cfg->deps == NULL || ld->extra == NULL) {
        ld->oom = true;
        return;
    }
    for (size_t i = 0; i < list->nitems && !ld->oom; i++) {
        size_t old = path_idx(&p, i);

        load_entry(ld, list->items[i], i, &p);
        path_set(&p, old);
    }
}

/* ------------------------------------------------------------------------ */
/* snapshot */

static bool is_digit_char(char c)
{
    return c >= '0' && c <= '9';
}

static void free_deployment(struct lmx_deployment *d)
{
    lmx_free(d->model_name);
    lmx_free(d->model);
    lmx_free(d->provider);
    lmx_free(d->upstream_model);
    lmx_free(d->api_base);
    lmx_free(d->api_key);
    lmx_free(d->api_version);
    lmx_free(d->organization);
    lmx_free(d->id);
    lmx_free(d->region_name);
    json_decref(d->litellm_params);
    json_decref(d->model_info);
}

static void config_free(struct lmx_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ndeps; i++)
        free_deployment(&c->deps[i]);
    lmx_free(c->deps);
    for (size_t i = 0; i < c->ngroups; i++) {
        lmx_free(c->groups[i].name);
        lmx_free(c->groups[i].deps);
    }
    lmx_free(c->groups);
    lmx_free(c->path);
    lmx_free(c->master_key);
    lmx_free(c->ca_bundle);
    json_decref(c->model_group_alias);
    json_decref(c->root);
    if (c->router != NULL && c->router_free != NULL)
        c->router_free(c->router);
    lmx_free(c);
}

struct lmx_config *lmx_config_ref(struct lmx_config *c)
{
    if (c != NULL)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void lmx_config_unref(struct lmx_config *c)
{
    if (c == NULL)
        return;
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        config_free(c);
}

static struct lmx_config *config_new(const char *name)
{
    struct lmx_config *c = lmx_calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    atomic_init(&c->refs, 1);
    c->path = lmx_strdup(name);
    if (c->path == NULL) {
        lmx_free(c);
        return NULL;
    }
    c->max_request_bytes = DEFAULT_MAX_REQUEST_BYTES;
    c->request_timeout = DEFAULT_REQUEST_TIMEOUT;
    /* LiteLLM's Router retries twice when no num_retries is set (DEFAULT_MAX_RETRIES) */
    c->num_retries = 2;
    c->max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
    c->header_timeout = DEFAULT_HEADER_TIMEOUT;
    c->idle_timeout = DEFAULT_IDLE_TIMEOUT;
    c->shutdown_grace = DEFAULT_SHUTDOWN_GRACE;
    return c;
}

/* Walks the top level in file order, environment_variables first. */
static void load_root(struct ld *ld, struct lmx__ynode *root)
{
    struct lmx_config *cfg = ld->cfg;
    struct lmx__ynode *env = lmx__ymap_get(root, "environment_variables");
    struct lmx__ynode *list = lmx__ymap_get(root, "model_list");
    struct path p = {{0}, 0};
    const char *mk;

    if (env != NULL)
        load_env_section(ld, env);
    cfg->root = json_incref(resolve(ld, root, &p));
    if (cfg->root == NULL) {
        ld->oom = true;
        return;
    }
    check_keys(ld, root, &p, "", TAB(tab_top), true);

    for (size_t i = 0; i + 1 < root->nitems; i += 2) {
        const char *key = root->items[i]->text;
        struct lmx__ynode *v = root->items[i + 1];

        if (!present(v))
            continue;
        if (strcmp(key, "model_list") == 0)
            load_model_list(ld, v);
        else if (v->kind != LMX__Y_MAP)
            continue; /* the sections below are mappings: type errors already reported */
        else if (strcmp(key, "litellm_settings") == 0)
            load_litellm_settings(ld, v);
        else if (strcmp(key, "router_settings") == 0)
            load_router_settings(ld, v);
        else if (strcmp(key, "general_settings") == 0)
            load_general_settings(ld, v);
        else if (strcmp(key, "llmux_settings") == 0)
            load_llmux_settings(ld, v);
    }
    if (ld->oom)
        return;
    if (!present(list) || (list->kind == LMX__Y_SEQ && list->nitems == 0))
        WARN(ld, present(list) ? list : NULL,
             "no deployments in model_list: every model request will fail");

    assign_ids(ld);
    build_groups(ld);
    for (size_t i = 0; i < cfg->ndeps; i++) /* once here, not per request */
        cfg->deps[i].quirks = lmx_quirks_for(&cfg->deps[i]);
    load_aliases(ld);

    /* a key in both router_settings and litellm_settings: router_settings wins */
    if (ld->router_retries_set)
        cfg->num_retries = ld->router_retries;
    else if (ld->litellm_retries_set)
        cfg->num_retries = ld->litellm_retries;
    if (ld->router_timeout_set)
        cfg->request_timeout = ld->router_timeout; /* Router(timeout=) beats request_timeout */

    if (cfg->master_key == NULL) {
        mk = ld_getenv(ld, "LITELLM_MASTER_KEY");
        if (mk != NULL && *mk && !set_str(&cfg->master_key, mk))
            ld->oom = true;
    }
}

struct sorted_line {
    size_t line, col, seq;
    char *text;
};

static int cmp_lines(const void *a, const void *b)
{
    const struct sorted_line *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Position of a line "name:L:C: ..." (0:0 for "name: ..."). */
static void line_pos(const char *s, size_t name_len, size_t *line, size_t *col)
{
    char *end;

    *line = *col = 0;
    if (strncmp(s + name_len, ":", 1) != 0 || !is_digit_char(s[name_len + 1]))
        return;
    *line = (size_t)strtoull(s + name_len + 1, &end, 10);
    if (*end == ':')
        *col = (size_t)strtoull(end + 1, NULL, 10);
}

/*
 * Moves the lines of `from` to the end of `to`, sorted by position (file-wide
 * problems first, equal positions in the order found), so that `llmux check`
 * reads top to bottom. Counts move too. `from` is left empty.
 */
static void move_sorted(struct lmx_diag *to, struct lmx_diag *from, const char *name)
{
    struct sorted_line *v = from->n ? lmx_calloc(from->n, sizeof(*v)) : NULL;
    size_t name_len = strlen(name);

    if (v != NULL) {
        for (size_t i = 0; i < from->n; i++) {
            v[i].seq = i;
            v[i].text = from->lines[i];
            line_pos(from->lines[i], name_len, &v[i].line, &v[i].col);
        }
        qsort(v, from->n, sizeof(*v), cmp_lines);
        for (size_t i = 0; i < from->n; i++)
            from->lines[i] = v[i].text;
        lmx_free(v);
    }
    for (size_t i = 0; i < from->n; i++) {
        if (to->n == to->cap) {
            size_t cap = to->cap ? to->cap * 2 : 16;
            char **lines = lmx_realloc(to->lines, cap * sizeof(*lines));

            if (lines == NULL) {
                lmx_free(from->lines[i]); /* dropped, still counted */
                continue;
            }
            to->lines = lines;
            to->cap = cap;
        }
        to->lines[to->n++] = from->lines[i];
    }
    to->errors += from->errors;
    to->warnings += from->warnings;
    lmx_free(from->lines);
    lmx_diag_init(from);
}

int lmx_config_load_string(
    const char *name, const char *text, size_t len, struct lmx_config **out, struct lmx_diag *diag)
{
    struct lmx_diag mine, *caller = diag;
    struct ld ld = {.name = name, .diag = &mine};
    struct lmx__ydoc *doc = NULL;
    int err;

    if (name == NULL)
        ld.name = name = "<config>";
    lmx_diag_init(&mine);
    err = lmx__yaml_load(name, text, len, &mine, &doc);
    if (err < 0)
        goto out;
    diag = &mine; /* everything below reports here; sorted into the caller's at the end */
    err = LMX_ENOMEM;
    ld.cfg = config_new(name);
    ld.overlay = json_object();
    ld.warned = json_object();
    if (ld.cfg == NULL || ld.overlay == NULL || ld.warned == NULL)
        goto out;

    if (doc->root == NULL || (doc->root->kind == LMX__Y_SCALAR && json_is_null(doc->root->value))) {
        lmx_diag_add(diag, false, name, 0, 0, "the file is empty: no models, no settings");
        ld.cfg->root = json_object();
        if (ld.cfg->root == NULL)
            goto out;
    } else if (doc->root->kind != LMX__Y_MAP) {
        char d96[96];

        doc->root->json = json_incref(doc->root->value);
        ERR(&ld, doc->root,
            "the top level must be a mapping (model_list:, litellm_settings:...), "
            "got %s",
            describe(doc->root, d96));
    } else {
        load_root(&ld, doc->root);
    }
    if (ld.oom) {
        lmx_diag_add(diag, true, name, 0, 0, "out of memory while loading the config");
        goto out;
    }
    if (diag->errors != 0) {
        err = LMX_ECONFIG;
        goto out;
    }
    export_env(&ld);
    *out = ld.cfg;
    ld.cfg = NULL;
    err = 0;
out:
    if (ld.cfg != NULL)
        lmx_config_unref(ld.cfg);
    lmx_free(ld.extra);
    json_decref(ld.overlay);
    json_decref(ld.warned);
    lmx__ydoc_free(doc);
    move_sorted(caller, &mine, name);
    return err;
}

int lmx_config_load(const char *path, struct lmx_config **out, struct lmx_diag *diag)
{
    struct lmx_buf b;
    FILE *f = NULL;
    int err = LMX_EIO;

    lmx_buf_init(&b, MAX_CONFIG_BYTES);
    f = fopen(path, "rb");
    if (f == NULL) {
        lmx_diag_add(diag, true, path, 0, 0, "cannot read the config: %s", strerror(errno));
        goto out;
    }
    for (;;) {
        char chunk[16384];
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        int rc;

        if (n > 0) {
            rc = lmx_buf_append(&b, chunk, n);
            if (rc == LMX_ETOOBIG) {
                lmx_diag_add(diag, true, path, 0, 0, "the config is larger than %zu MiB",
                             MAX_CONFIG_BYTES >> 20);
                err = LMX_ECONFIG;
                goto out;
            }
            if (rc < 0) {
                err = LMX_ENOMEM;
                goto out;
            }
        }
        if (n < sizeof(chunk)) {
            if (ferror(f)) {
                lmx_diag_add(diag, true, path, 0, 0, "cannot read the config: %s", strerror(errno));
                goto out;
            }
            break;
        }
    }
    err = lmx_config_load_string(path, b.data ? b.data : "", b.len, out, diag);
out:
    if (f != NULL)
        fclose(f);
    lmx_buf_release(&b);
    return err;
}
