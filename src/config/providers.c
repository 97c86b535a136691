/*
 * config/providers.c - every provider prefix LiteLLM's `litellm_params.model` may carry.
 *
 * One row per prefix, from docs PROVIDERS.md: the native families (their own
 * wire format: accepted, not served by this build yet) and the
 * OpenAI-compatible presets with their default base URL and the environment
 * variables that stand in for a missing api_key / api_base, in LiteLLM's
 * lookup order. Rows with a "(verify)" note there keep the documented value.
 *
 * The flags word of a row is data too: config/'s own LMX__PF_* bits (0-7),
 * the header that carries the key (LMX_AUTH_*, Bearer when 0) and the quirks
 * of the provider's answers (LMX_Q_*), both from provider/quirks.h, which
 * also declares the two lookups at the end of this file.
 *
 * Not here: how a request is sent (provider/), what the loader does with a row
 * (load.c), how a quirk is fixed (provider/quirks.c).
 */
#include "core/lmx.h"

#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "provider/quirks.h"

#define C LMX__P_COMPAT
#define N LMX__P_NATIVE

/* short names for the quirk bits, so that a row stays one line */
#define Q_RC             LMX_Q_REASONING_CONTENT
#define Q_REASONING      LMX_Q_DELTA_REASONING
#define Q_USAGE_CHOICE   LMX_Q_USAGE_IN_CHOICE
#define Q_EMPTY_ID       LMX_Q_EMPTY_TOOL_ID
#define Q_KEEPALIVE      LMX_Q_SSE_KEEPALIVE
#define Q_ERRORS         LMX_Q_ERROR_CHUNKS
#define Q_THINK          LMX_Q_THINK_TAGS
#define Q_NO_CHOICE      LMX_Q_NO_CHOICE_CHUNKS
#define Q_XGROQ          LMX_Q_XGROQ_USAGE
#define Q_FLATTEN        LMX_Q_FLATTEN_CONTENT
#define Q_MAX_TOKENS     LMX_Q_MAX_TOKENS_ONLY
#define Q_NO_STREAM_OPTS LMX_Q_NO_STREAM_OPTIONS
#define Q_SUBKEY         LMX_Q_SUBSCRIPTION_KEY
#define Q_CACHE_HIT      LMX_Q_CACHE_HIT_TOKENS
#define Q_NO_TOOLS       LMX_Q_NO_TOOLS

/* clang-format off */
static const struct lmx__provider providers[] = {
    /* name, kind, flags (LMX__PF_* | LMX_AUTH_* | quirks), default base URL, key env, base env,
       host under openai/ */

    /* OpenAI and generic OpenAI-compatible servers */
    {"openai", C, LMX__PF_OPENAI_ORG, "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL OPENAI_API_BASE", NULL},
    {"text-completion-openai", C, LMX__PF_OPENAI_ORG, "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL OPENAI_API_BASE", NULL},
    {"aiohttp_openai", C, LMX__PF_OPENAI_ORG, "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL OPENAI_API_BASE", NULL},
    {"custom_openai", C, 0, NULL, NULL, NULL, NULL},
    {"openai_like", C, 0, NULL, NULL, NULL, NULL},
    {"azure", LMX__P_AZURE, 0, NULL, "AZURE_API_KEY AZURE_OPENAI_API_KEY", "AZURE_API_BASE", NULL},

    /* model vendors and first-party APIs (PROVIDERS.md 2.1) */
    {"xai", C, 0, "https://api.x.ai/v1", "XAI_API_KEY", NULL, NULL},
    {"mistral", C, LMX_Q_MISTRAL_REQUEST, "https://api.mistral.ai/v1", "MISTRAL_AZURE_API_KEY MISTRAL_API_KEY", "MISTRAL_AZURE_API_BASE", "api.mistral.ai/v1"},
    {"codestral", C, LMX_Q_MISTRAL_REQUEST, "https://codestral.mistral.ai/v1", "CODESTRAL_API_KEY", NULL, "codestral.mistral.ai"},
    /* FIM: `prompt` + `suffix` on {base}/completions = LiteLLM's .../v1/fim/completions */
    {"text-completion-codestral", C, LMX_Q_MISTRAL_REQUEST, "https://codestral.mistral.ai/v1/fim", "CODESTRAL_API_KEY", NULL, NULL},
    {"ai21_chat", C, 0, "https://api.ai21.com/studio/v1", "AI21_API_KEY", NULL, "api.ai21.com/studio/v1"},
    {"ai21", C, 0, "https://api.ai21.com/studio/v1", "AI21_API_KEY", NULL, NULL},
    {"perplexity", C, Q_THINK | Q_NO_TOOLS, "https://api.perplexity.ai", "PERPLEXITYAI_API_KEY PERPLEXITY_API_KEY", NULL, "api.perplexity.ai"},
    {"groq", C, Q_REASONING | Q_XGROQ, "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_API_BASE", "api.groq.com/openai/v1"},
    {"cerebras", C, 0, "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", NULL, "api.cerebras.ai/v1"},
    {"sambanova", C, 0, "https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY", NULL, "api.sambanova.ai/v1"},
    {"meta_llama", C, 0, "https://api.llama.com/compat/v1", "LLAMA_API_KEY", NULL, "api.llama.com/compat/v1"},
    {"amazon_nova", C, 0, "https://api.nova.amazon.com/v1", "AMAZON_NOVA_API_KEY", NULL, NULL}, /* base (verify) */
    {"inception", C, 0, "https://api.inceptionlabs.ai/v1", "INCEPTION_API_KEY", NULL, NULL},
    {"morph", C, 0, "https://api.morphllm.com/v1", "MORPH_API_KEY", NULL, NULL},
    {"v0", C, 0, "https://api.v0.dev/v1", "V0_API_KEY", NULL, NULL},
    {"sarvam", C, Q_SUBKEY, "https://api.sarvam.ai/v1", "SARVAM_API_KEY", NULL, NULL},
    {"maritalk", C, LMX_AUTH_KEY, "https://chat.maritaca.ai/api", "MARITALK_API_KEY", NULL, NULL}, /* auth (verify) */
    {"compactifai", C, 0, "https://api.compactif.ai/v1", "COMPACTIFAI_API_KEY", NULL, NULL},
    {"empower", C, 0, "https://app.empower.dev/api/v1", "EMPOWER_API_KEY", NULL, "app.empower.dev/api/v1"},
    {"galadriel", C, 0, "https://api.galadriel.com/v1", "GALADRIEL_API_KEY", NULL, "api.galadriel.com/v1"},
    {"friendliai", C, 0, "https://api.friendli.ai/serverless/v1", "FRIENDLIAI_API_KEY FRIENDLI_TOKEN", "FRIENDLI_API_BASE", "api.friendli.ai/serverless/v1"},
    {"nvidia_nim", C, 0, "https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_KEY", "NVIDIA_NIM_API_BASE", "integrate.api.nvidia.com/v1"},
    {"github", C, 0, "https://models.inference.ai.azure.com", "GITHUB_API_KEY", NULL, NULL},

    /* Chinese providers (2.2) */
    {"deepseek", C, Q_RC | Q_KEEPALIVE | Q_CACHE_HIT, "https://api.deepseek.com/beta", "DEEPSEEK_API_KEY", "DEEPSEEK_API_BASE", "api.deepseek.com/v1"},
    {"moonshot", C, Q_RC | Q_USAGE_CHOICE, "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "MOONSHOT_API_BASE", NULL},
    {"dashscope", C, Q_RC | Q_EMPTY_ID | Q_NO_CHOICE, "https://dashscope.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY", "DASHSCOPE_API_BASE", NULL},
    {"zai", C, Q_RC | Q_FLATTEN, "https://api.z.ai/api/paas/v4", "ZAI_API_KEY", NULL, NULL},
    {"zhipu", C, Q_RC | Q_FLATTEN | Q_MAX_TOKENS | Q_NO_STREAM_OPTS, "https://open.bigmodel.cn/api/paas/v4", "ZHIPUAI_API_KEY", NULL, NULL},
    {"volcengine", C, Q_RC, "https://ark.cn-beijing.volces.com/api/v3", "VOLCENGINE_API_KEY ARK_API_KEY", NULL, NULL},
    {"byteplus", C, Q_RC, "https://ark.ap-southeast.bytepluses.com/api/v3", "ARK_API_KEY", NULL, NULL},
    {"siliconflow", C, Q_RC | Q_NO_CHOICE, "https://api.siliconflow.cn/v1", "SILICONFLOW_API_KEY", NULL, NULL},
    {"minimax", C, Q_THINK, "https://api.minimax.io/v1", "MINIMAX_API_KEY", NULL, NULL},
    {"baichuan", C, 0, "https://api.baichuan-ai.com/v1", "BAICHUAN_API_KEY", NULL, NULL},
    {"lingyiwanwu", C, 0, "https://api.lingyiwanwu.com/v1", "YI_API_KEY", NULL, NULL},
    {"stepfun", C, 0, "https://api.stepfun.com/v1", "STEPFUN_API_KEY", NULL, NULL},
    {"hunyuan", C, 0, "https://api.hunyuan.cloud.tencent.com/v1", "HUNYUAN_API_KEY", NULL, NULL},
    {"tencent", C, 0, "https://tokenhub-intl.tencentmaas.com/v1", "TENCENT_API_KEY", NULL, NULL},
    {"qianfan", C, 0, "https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY", NULL, NULL},
    {"spark", C, 0, "https://spark-api-open.xf-yun.com/v1", "SPARK_API_KEY", NULL, NULL},
    {"modelscope", C, Q_FLATTEN, "https://api-inference.modelscope.cn/v1", "MODELSCOPE_API_KEY", NULL, NULL},
    {"xiaomi_mimo", C, 0, "https://api.xiaomimimo.com/v1", "XIAOMI_MIMO_API_KEY", NULL, NULL},

    /* inference clouds and hosts (2.3) */
    {"together_ai", C, 0, "https://api.together.xyz/v1", "TOGETHER_API_KEY TOGETHER_AI_API_KEY TOGETHERAI_API_KEY TOGETHER_AI_TOKEN", "TOGETHER_AI_API_BASE", NULL},
    {"fireworks_ai", C, 0, "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY FIREWORKS_AI_API_KEY FIREWORKSAI_API_KEY FIREWORKS_AI_TOKEN", "FIREWORKS_API_BASE", NULL},
    {"deepinfra", C, 0, "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", NULL, "api.deepinfra.com/v1/openai"},
    {"nebius", C, 0, "https://api.studio.nebius.ai/v1", "NEBIUS_API_KEY", NULL, NULL},
    {"novita", C, 0, "https://api.novita.ai/v3/openai", "NOVITA_API_KEY", NULL, NULL},
    {"hyperbolic", C, 0, "https://api.hyperbolic.xyz/v1", "HYPERBOLIC_API_KEY", NULL, NULL},
    {"lambda_ai", C, 0, "https://api.lambda.ai/v1", "LAMBDA_API_KEY", NULL, NULL},
    {"featherless_ai", C, 0, "https://api.featherless.ai/v1", "FEATHERLESS_API_KEY FEATHERLESS_AI_API_KEY", NULL, NULL},
    {"nscale", C, 0, "https://inference.api.nscale.com/v1", "NSCALE_API_KEY", NULL, "inference.api.nscale.com/v1"},
    {"baseten", C, 0, "https://inference.baseten.co/v1", "BASETEN_API_KEY", NULL, NULL},
    {"wandb", C, 0, "https://api.inference.wandb.ai/v1", "WANDB_API_KEY", NULL, NULL},
    {"ovhcloud", C, Q_RC | Q_REASONING | Q_ERRORS, "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1", "OVHCLOUD_API_KEY", NULL, NULL},
    {"scaleway", C, 0, "https://api.scaleway.ai/v1", "SCW_SECRET_KEY", NULL, NULL},
    {"gradient_ai", C, 0, "https://inference.do-ai.run/v1", "GRADIENT_AI_API_KEY", NULL, NULL},
    {"heroku", C, LMX__PF_APPEND_V1 | Q_FLATTEN, NULL, "HEROKU_API_KEY", "HEROKU_API_BASE", NULL},
    {"clarifai", C, 0, "https://api.clarifai.com/v2/ext/openai/v1", "CLARIFAI_API_KEY CLARIFAI_PAT", NULL, NULL},
    {"cloudflare", C, LMX__PF_CLOUDFLARE, NULL, "CLOUDFLARE_API_KEY", NULL, NULL},
    /* Bearer only (LiteLLM falls back to SigV4 without a key); region us-east-1 unless api_base says otherwise */
    {"bedrock_mantle", C, 0, "https://bedrock-mantle.us-east-1.api.aws/v1", "BEDROCK_MANTLE_API_KEY AWS_BEARER_TOKEN_BEDROCK", "BEDROCK_MANTLE_API_BASE", NULL},
    {"crusoe", C, 0, "https://managed-inference-api-proxy.crusoecloud.com/v1", "CRUSOE_API_KEY", NULL, NULL},
    {"gmi", C, 0, "https://api.gmi-serving.com/v1", "GMI_API_KEY", NULL, NULL},
    {"chutes", C, 0, "https://llm.chutes.ai/v1", "CHUTES_API_KEY", NULL, NULL},
    {"synthetic", C, 0, "https://api.synthetic.new/openai/v1", "SYNTHETIC_API_KEY", NULL, NULL},
    {"abliteration", C, 0, "https://api.abliteration.ai/v1", "ABLITERATION_API_KEY", NULL, NULL},
    {"publicai", C, Q_FLATTEN, "https://api.publicai.co/v1", "PUBLICAI_API_KEY", NULL, NULL},
    {"veniceai", C, 0, "https://api.venice.ai/api/v1", "VENICE_AI_API_KEY", NULL, NULL},
    {"charity_engine", C, 0, "https://api.charityengine.services/remotejobs/v2/inference", "CHARITY_ENGINE_API_KEY", NULL, NULL},
    {"salad_cloud", C, 0, "https://ai.salad.cloud/v1", "SALAD_CLOUD_API_KEY", NULL, NULL},
    {"parasail", C, 0, "https://api.parasail.io/v1", "PARASAIL_API_KEY", NULL, NULL},

    /* aggregators and gateways (2.4) */
    {"openrouter", C, Q_REASONING | Q_ERRORS | Q_KEEPALIVE, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_API_BASE", NULL},
    {"vercel_ai_gateway", C, 0, "https://ai-gateway.vercel.sh/v1", "VERCEL_AI_GATEWAY_API_KEY VERCEL_OIDC_TOKEN", NULL, NULL},
    {"helicone", C, 0, "https://ai-gateway.helicone.ai", "HELICONE_API_KEY", NULL, NULL},
    {"aiml", C, 0, "https://api.aimlapi.com/v1", "AIML_API_KEY", NULL, NULL},
    {"cometapi", C, Q_REASONING, "https://api.cometapi.com/v1", "COMETAPI_KEY", NULL, NULL},
    {"aihubmix", C, 0, "https://aihubmix.com/v1", "AIHUBMIX_API_KEY", NULL, NULL},
    {"poe", C, 0, "https://api.poe.com/v1", "POE_API_KEY", NULL, NULL},
    {"nano-gpt", C, 0, "https://nano-gpt.com/api/v1", "NANOGPT_API_KEY", NULL, NULL},
    {"apertis", C, 0, "https://api.stima.tech/v1", "STIMA_API_KEY", NULL, NULL},
    {"llamagate", C, 0, "https://api.llamagate.dev/v1", "LLAMAGATE_API_KEY", NULL, NULL},
    {"assemblyai", C, 0, "https://llm-gateway.assemblyai.com/v1", "ASSEMBLYAI_API_KEY", NULL, NULL},
    {"litellm_proxy", C, 0, NULL, "LITELLM_PROXY_API_KEY", "LITELLM_PROXY_API_BASE", NULL},

    /* self-hosted and local (2.5) */
    {"hosted_vllm", C, 0, NULL, "HOSTED_VLLM_API_KEY", "HOSTED_VLLM_API_BASE", NULL},
    {"vllm", C, 0, NULL, "HOSTED_VLLM_API_KEY", "HOSTED_VLLM_API_BASE", NULL},
    {"sglang", C, 0, "http://localhost:30000/v1", NULL, NULL, NULL},
    {"lm_studio", C, 0, "http://localhost:1234/v1", "LM_STUDIO_API_KEY", "LM_STUDIO_API_BASE", NULL},
    {"llamafile", C, 0, "http://127.0.0.1:8080/v1", "LLAMAFILE_API_KEY", NULL, NULL},
    {"lemonade", C, 0, "http://localhost:8000/api/v1", "LEMONADE_API_KEY", NULL, NULL},
    {"docker_model_runner", C, 0, "http://localhost:12434/engines/v1", "DOCKER_MODEL_RUNNER_API_KEY", NULL, NULL},
    {"xinference", C, 0, "http://127.0.0.1:9997/v1", "XINFERENCE_API_KEY", "XINFERENCE_API_BASE", NULL},
    {"oobabooga", C, 0, NULL, NULL, NULL, NULL},

    /* embedding and rerank specialists, legacy (2.6) */
    {"jina_ai", C, 0, "https://api.jina.ai/v1", "JINA_AI_API_KEY", NULL, NULL},
    {"voyage", C, 0, "https://api.voyageai.com/v1", "VOYAGE_API_KEY", NULL, NULL},
    {"infinity", C, 0, NULL, "INFINITY_API_KEY", "INFINITY_API_BASE", NULL},
    {"anyscale", C, 0, "https://api.endpoints.anyscale.com/v1", "ANYSCALE_API_KEY", NULL, "api.endpoints.anyscale.com/v1"},

    /* in LiteLLM's endpoint map, base URL unconfirmed: served once api_base is set */
    {"neosantara", C, 0, "https://api.neosantara.xyz/v1", "NEOSANTARA_API_KEY", NULL, NULL}, /* (verify) */
    {"monet", C, 0, NULL, NULL, NULL, NULL},
    {"darkbloom", C, 0, NULL, NULL, NULL, NULL},
    {"pinstripes", C, 0, NULL, NULL, NULL, NULL},
    {"scx-ai", C, 0, NULL, NULL, NULL, NULL},
    {"tensormesh", C, 0, NULL, NULL, NULL, NULL},
    {"libertai", C, 0, NULL, NULL, NULL, NULL},
    {"empiriolabs", C, 0, NULL, NULL, NULL, NULL},
    {"cognition", C, 0, NULL, NULL, NULL, NULL},
    {"cursor", C, 0, NULL, NULL, NULL, NULL},
    {"gdc", C, 0, NULL, NULL, NULL, NULL},

    /* native families (PROVIDERS.md part 1): their own wire format, auth or URL scheme */
    {"azure_text", LMX__P_AZURE, 0, NULL, "AZURE_API_KEY AZURE_OPENAI_API_KEY", "AZURE_API_BASE", NULL}, /* served: provider/azure_text.c */
    {"azure_ai", C, 0, NULL, "AZURE_AI_API_KEY", "AZURE_AI_API_BASE", NULL}, /* served: provider/compat.c */
    {"anthropic", C, 0, "https://api.anthropic.com", "ANTHROPIC_API_KEY", "ANTHROPIC_API_BASE ANTHROPIC_BASE_URL", NULL}, /* served by provider/anthropic.c */
    {"anthropic_text", N, 0, NULL, "ANTHROPIC_API_KEY", "ANTHROPIC_API_BASE ANTHROPIC_BASE_URL", NULL},
    {"bedrock", C, 0, "https://bedrock-runtime.{region}.amazonaws.com", "AWS_BEARER_TOKEN_BEDROCK", "AWS_BEDROCK_RUNTIME_ENDPOINT", NULL}, /* served: provider/bedrock.c fills {region} */
    {"sagemaker", C, 0, "https://runtime.sagemaker.{region}.amazonaws.com", NULL, NULL, NULL}, /* served: provider/sagemaker.c fills {region} */
    {"sagemaker_chat", C, 0, "https://runtime.sagemaker.{region}.amazonaws.com", NULL, NULL, NULL},
    {"vertex_ai", C, 0, "https://{location}-aiplatform.googleapis.com", NULL, NULL, NULL}, /* served: provider/vertex.c */
    {"vertex_ai_beta", C, 0, "https://{location}-aiplatform.googleapis.com", NULL, NULL, NULL},
    {"gemini", C, 0, "https://generativelanguage.googleapis.com", "GOOGLE_API_KEY GEMINI_API_KEY PALM_API_KEY", "GEMINI_API_BASE", NULL}, /* served: provider/gemini.c */
    /* served by provider/cohere.c and provider/ollama.c (their own wire format) */
    {"cohere", C, 0, "https://api.cohere.com", "COHERE_API_KEY CO_API_KEY", NULL, NULL},
    {"cohere_chat", C, 0, "https://api.cohere.com", "COHERE_API_KEY CO_API_KEY", NULL, NULL},
    {"ollama", C, 0, "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", NULL},
    {"ollama_chat", C, 0, "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", NULL},
    {"watsonx", C, 0, NULL, "WATSONX_APIKEY WATSONX_API_KEY", "WATSONX_URL WATSONX_API_BASE WX_URL WML_URL", NULL}, /* served: provider/watsonx.c */
    {"watsonx_text", C, 0, NULL, "WATSONX_APIKEY WATSONX_API_KEY", "WATSONX_URL", NULL}, /* served: provider/watsonx.c */
    /* served by provider/compat.c (URL, auth or answer rules) and provider/tgi.c (prompt APIs) */
    {"databricks", C, 0, NULL, "DATABRICKS_API_KEY", "DATABRICKS_API_BASE", NULL},
    {"replicate", C, 0, "https://api.replicate.com", "REPLICATE_API_KEY REPLICATE_API_TOKEN", NULL, NULL}, /* served: provider/replicate.c */
    {"huggingface", C, 0, "https://router.huggingface.co/v1", "HF_TOKEN HUGGINGFACE_API_KEY", "HF_API_BASE HUGGINGFACE_API_BASE", NULL},
    {"snowflake", C, 0, NULL, "SNOWFLAKE_JWT", NULL, NULL}, /* base from SNOWFLAKE_ACCOUNT_ID in the adapter */
    {"oci", C, 0, "https://inference.generativeai.{region}.oci.oraclecloud.com", NULL, NULL, NULL}, /* served: provider/oci.c fills {region} */
    {"predibase", C, 0, "https://serving.app.predibase.com", "PREDIBASE_API_KEY", "PREDIBASE_API_BASE", NULL},
    {"triton", C, 0, NULL, NULL, NULL, NULL},
    {"github_copilot", N, 0, NULL, NULL, NULL, NULL},
    {"datarobot", C, 0, "https://app.datarobot.com", "DATAROBOT_API_KEY", NULL, NULL}, /* served: provider/datarobot.c */
    {"chatgpt", N, 0, NULL, NULL, NULL, NULL},
    {"manus", N, 0, NULL, NULL, NULL, NULL},
    /* smaller native adapters (1.4) and legacy prefixes */
    {"nlp_cloud", C, 0, "https://api.nlpcloud.io/v1/gpu", "NLP_CLOUD_API_KEY", NULL, NULL}, /* served: provider/nlp_cloud.c */
    {"gigachat", C, 0, "https://gigachat.devices.sberbank.ru/api/v1", "GIGACHAT_CREDENTIALS GIGACHAT_API_KEY", "GIGACHAT_API_BASE", NULL}, /* served: provider/gigachat.c */
    {"sap", N, 0, NULL, NULL, NULL, NULL},
    {"bytez", C, 0, "https://api.bytez.com/models/v2", "BYTEZ_API_KEY", NULL, NULL}, /* served: provider/bytez.c */
    {"deepgram", N, 0, NULL, "DEEPGRAM_API_KEY", NULL, NULL},
    {"elevenlabs", N, 0, NULL, "ELEVENLABS_API_KEY", NULL, NULL},
    {"aws_polly", N, 0, NULL, NULL, NULL, NULL},
    {"fal_ai", N, 0, NULL, "FAL_AI_API_KEY", NULL, NULL},
    {"recraft", C, 0, "https://external.api.recraft.ai/v1", "RECRAFT_API_KEY", "RECRAFT_API_BASE", NULL}, /* OpenAI's images/generations shape */
    {"stability", N, 0, NULL, "STABILITY_API_KEY", NULL, NULL},
    {"black_forest_labs", N, 0, NULL, "BFL_API_KEY", NULL, NULL},
    {"topaz", N, 0, NULL, "TOPAZ_API_KEY", NULL, NULL},
    {"runwayml", N, 0, NULL, NULL, NULL, NULL},
    {"soniox", N, 0, NULL, "SONIOX_API_KEY", NULL, NULL},
    {"nvidia_riva", N, 0, NULL, "NVIDIA_RIVA_API_KEY NVIDIA_NIM_API_KEY", NULL, NULL},
    {"aleph_alpha", N, 0, NULL, "ALEPHALPHA_API_KEY", NULL, NULL},
    {"palm", N, 0, NULL, "PALM_API_KEY", NULL, NULL},
    {"petals", N, 0, NULL, NULL, NULL, NULL},
};
/* clang-format on */

/*
 * Other documented base URLs of a preset (regional or plan endpoints), for
 * recognising the provider behind a generic prefix's api_base.
 */
/* clang-format off */
static const struct {
    const char *name, *base;
} alt_bases[] = {
    {"moonshot", "https://api.moonshot.cn/v1"},
    {"dashscope", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"},
    {"zai", "https://api.z.ai/api/coding/paas/v4"},
    {"siliconflow", "https://api.siliconflow.com/v1"},
    {"minimax", "https://api.minimaxi.com/v1"},
    {"stepfun", "https://api.stepfun.ai/v1"},
    {"hunyuan", "https://hunyuan.cloud.tencent.com/openai/v1"},
    {"tencent", "https://tokenhub.tencentmaas.com/v1"},
    {"github", "https://models.github.ai/inference"},
};
/* clang-format on */

#undef C
#undef N

const struct lmx__provider *lmx__provider_find(const char *name, size_t len)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(providers); i++)
        if (strlen(providers[i].name) == len && memcmp(providers[i].name, name, len) == 0)
            return &providers[i];
    return NULL;
}

const struct lmx__provider *lmx__provider_by_host(const char *api_base)
{
    if (api_base == NULL)
        return NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(providers); i++)
        if (providers[i].host != NULL && strstr(api_base, providers[i].host) != NULL)
            return &providers[i];
    return NULL;
}

size_t lmx__provider_count(void)
{
    return LMX_ARRAY_SIZE(providers);
}

const struct lmx__provider *lmx__provider_at(size_t i)
{
    return i < LMX_ARRAY_SIZE(providers) ? &providers[i] : NULL;
}

unsigned lmx_preset_flags(const char *name)
{
    const struct lmx__provider *p = name != NULL ? lmx__provider_find(name, strlen(name)) : NULL;

    return p != NULL ? p->flags : 0;
}

/* The host of a URL: the bytes after "scheme://" up to the port, path or end. */
static size_t url_host(const char *url, const char **host)
{
    const char *p = strstr(url, "://"), *e;

    p = p != NULL ? p + 3 : url;
    e = p + strcspn(p, ":/?#");
    *host = p;
    return (size_t)(e - p);
}

static bool same_host(const char *a, const char *b)
{
    const char *ha, *hb;
    size_t la = url_host(a, &ha), lb = url_host(b, &hb);

    return la > 0 && la == lb && strncasecmp(ha, hb, la) == 0;
}

/* A host every local server shares: it names no provider. */
static bool is_loopback(const char *url)
{
    const char *h;
    size_t n = url_host(url, &h);

    return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
           (n >= 4 && strncmp(h, "127.", 4) == 0) || (n > 0 && h[0] == '[');
}

unsigned lmx_preset_flags_by_base(const char *api_base)
{
    if (api_base == NULL || is_loopback(api_base))
        return 0;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(providers); i++)
        if (providers[i].kind == LMX__P_COMPAT && providers[i].base != NULL &&
            same_host(providers[i].base, api_base))
            return providers[i].flags;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(alt_bases); i++)
        if (same_host(alt_bases[i].base, api_base))
            return lmx_preset_flags(alt_bases[i].name);
    return 0;
}
