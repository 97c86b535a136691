/*
 * provider/ollama.h - Ollama's native API: `ollama_chat/` on POST
 * {api_base}/api/chat, `ollama/` on POST {api_base}/api/generate (the chat
 * messages rendered into one prompt, as LiteLLM does), embeddings on POST
 * {api_base}/api/embed. Streams are NDJSON (one JSON object a line, the last
 * with done:true), translated into OpenAI chunks.
 *
 * The base URL is dep->api_base, else $OLLAMA_API_BASE, else
 * http://localhost:11434. Auth: none, or Authorization: Bearer with
 * dep->api_key (OLLAMA_API_KEY) when one is set (Ollama's cloud).
 */
#ifndef LMX_PROVIDER_OLLAMA_H
#define LMX_PROVIDER_OLLAMA_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_ollama_ops;

#endif
