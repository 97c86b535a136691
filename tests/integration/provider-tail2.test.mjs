// Smaller native families, second batch. gigachat/: llmux fetches an OAuth
// token at GigaChat's endpoint (llmux-mock's /api/v2/oauth, via
// GIGACHAT_AUTH_URL) with the Basic credentials and a RqUID, caches it, and
// calls {api_base}/chat/completions with GigaChat's body (functions instead
// of tools, function messages). Covers: chat, tools both ways, structured
// output, streams (text, tool call, usage), the token fetched once, refused
// credentials -> 401, an upstream error status, an unsupported parameter.
// azure_text/: chat and /completions requests go to Azure's legacy
// {api_base}/openai/deployments/{d}/completions (llmux-mock's Azure routes)
// with the api-key header; the prompt comes from the messages and the
// text_completion answer (and stream) comes back as chat.
// nlp_cloud/: {api_base}/{model}/generation with "Authorization: Token"; the
// messages' texts become one text, the NUL-separated raw stream chat chunks.
// datarobot/: the OpenAI body forwarded to {api_base}/api/v2/genai/llmgw/chat/completions/.
// bytez/: {"messages" (content item lists),"stream","params"} on {api_base}/{model}, "Key".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hello there friend' }];
const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object' } } }];

let mock;
let lx;

function gdep(name, model, extra = {}) {
  return { model_name: name, litellm_params: { model, api_base: `${mock.base}/api/v1`, api_key: 'Y2xpZW50OnNlY3JldA==', ...extra } };
}

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([
      gdep('gc', 'gigachat/GigaChat-2-Max'),
      gdep('gc-refused', 'gigachat/GigaChat', { api_key: 'refused-creds' }),
      gdep('gc-404', 'gigachat/mock-status-404'),
      { model_name: 'azt', litellm_params: { model: 'azure_text/gpt-35-turbo-instruct', api_base: mock.base, api_key: 'az-key', api_version: '2024-02-01' } },
      { model_name: 'nlp', litellm_params: { model: 'nlp_cloud/finetuned-llama-3-70b', api_base: `${mock.base}/v1/gpu/`, api_key: 'nc-key' } },
      { model_name: 'dr', litellm_params: { model: 'datarobot/azure/gpt-4o-mini', api_base: mock.base, api_key: 'dr-key' } },
      { model_name: 'bz', litellm_params: { model: 'bytez/google/gemma-3-4b-it', api_base: `${mock.base}/models/v2`, api_key: 'bz-key' } },
      { model_name: 'nlp-503', litellm_params: { model: 'nlp_cloud/mock-status-503', api_base: `${mock.base}/v1/gpu`, api_key: 'nc-key' } },
    ]),
    { env: { GIGACHAT_AUTH_URL: `${mock.base}/api/v2/oauth` }, unset: ['GIGACHAT_SCOPE', 'GIGACHAT_API_BASE'] },
  );
});

after(cleanup);

function chat(model, body = {}) {
  return lx.req(CHAT, { method: 'POST', body: { model, messages: MSGS, ...body } });
}

function stream(model, body = {}) {
  return streamRequest(lx.url(CHAT), {
    body: { model, messages: MSGS, stream: true, stream_options: { include_usage: true }, ...body },
  });
}

describe('gigachat: chat', () => {
  test('a non-stream chat: URL, bearer, body, OpenAI answer', async () => {
    const r = await chat('gc', { max_completion_tokens: 20, temperature: 0, stop: ['x'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.model, 'GigaChat-2-Max');
    assert.equal(r.json.choices[0].message.content, 'Hello from the gigachat mock.');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { completion_tokens: 5, prompt_tokens: 3, total_tokens: 8 });
    const last = await mock.last();
    assert.equal(last.path, '/api/v1/chat/completions');
    assert.match(last.headers.authorization, /^Bearer gc\.mock-\d+$/);
    assert.equal(last.body.model, 'GigaChat-2-Max');
    assert.equal(last.body.max_tokens, 20);
    assert.equal(last.body.top_p, 0);
    assert.equal(last.body.temperature, undefined);
    assert.equal(last.body.stop, undefined);
  });

  test('tools go out as functions; a function_call comes back as a tool call', async () => {
    const r = await chat('gc', { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    assert.equal(r.status, 200, r.text);
    const c = r.json.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.match(c.message.tool_calls[0].id, /^call_[0-9a-f]{24}$/);
    assert.equal(c.message.tool_calls[0].type, 'function');
    assert.equal(c.message.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(c.message.tool_calls[0].function.arguments), { q: 'mock' });
    assert.equal(c.message.functions_state_id, undefined);
    const last = await mock.last();
    assert.deepEqual(last.body.functions, [{ name: 'get_weather', description: 'weather', parameters: { type: 'object' } }]);
    assert.deepEqual(last.body.function_call, { name: 'get_weather' });
  });

  test('a tool result goes out as a function message', async () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"q":"x"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const r = await chat('gc', { messages, tools: TOOLS });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the gigachat mock.');
    const last = await mock.last();
    assert.deepEqual(last.body.messages, [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: '', function_call: { name: 'get_weather', arguments: { q: 'x' } } },
      { role: 'function', content: 'sunny' },
    ]);
  });

  test('a json_schema response_format answers the arguments as content', async () => {
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    const r = await chat('gc', { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { q: 'mock' });
    const last = await mock.last();
    assert.equal(last.body.functions[0].name, 'answer');
    assert.deepEqual(last.body.functions[0].parameters, schema);
    assert.deepEqual(last.body.function_call, { name: 'answer' });
  });

  test('a stream: chunks, finish and a usage chunk', async () => {
    const s = await stream('gc');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the gigachat mock.');
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
    const u = s.json.find((c) => c.usage);
    assert.deepEqual(u.usage, { completion_tokens: 5, prompt_tokens: 3, total_tokens: 8 });
    for (const c of s.json) assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(new Set(s.json.map((c) => c.id)).size, 1);
    const last = await mock.last();
    assert.equal(last.body.stream, true);
  });

  test('a streamed function call becomes a tool call chunk', async () => {
    const s = await stream('gc', { tools: TOOLS });
    assert.equal(s.status, 200, s.text);
    const calls = s.json.flatMap((c) => c.choices?.[0]?.delta?.tool_calls ?? []);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { q: 'mock' });
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'tool_calls'));
  });

  test('an upstream error keeps its status and message', async () => {
    const r = await chat('gc-404');
    assert.equal(r.status, 404, r.text);
    assert.match(r.json.error.message, /mock-status/);
  });

  test('an OpenAI parameter GigaChat lacks is refused', async () => {
    const r = await chat('gc', { seed: 7 });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /gigachat does not support parameters: \['seed'\]/);
  });
});

describe('gigachat: OAuth tokens', () => {
  test('the token is fetched once and reused', async () => {
    await chat('gc');
    const n = await mock.count('/api/v2/oauth');
    assert.ok(n >= 1);
    for (let i = 0; i < 3; i++) assert.equal((await chat('gc')).status, 200);
    assert.equal((await stream('gc')).status, 200);
    assert.equal(await mock.count('/api/v2/oauth'), n);
  });

  test('refused credentials answer 401; the token request is Basic with a RqUID', async () => {
    const r = await chat('gc-refused');
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /credentials doesn't match/);
    const last = await mock.last();
    assert.equal(last.path, '/api/v2/oauth');
    assert.equal(last.headers.authorization, 'Basic refused-creds');
    assert.match(last.headers.rquid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('azure_text: legacy completions', () => {
  test('a chat becomes a prompt on the deployment completions URL', async () => {
    const r = await chat('azt', { max_completion_tokens: 30, temperature: 0.5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.match(r.json.choices[0].message.content, /^mock( mock)*/);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.prompt_tokens, 3);
    const last = await mock.last();
    assert.equal(last.path, '/openai/deployments/gpt-35-turbo-instruct/completions');
    assert.equal(last.query, 'api-version=2024-02-01');
    assert.equal(last.headers['api-key'], 'az-key');
    assert.equal(last.body.prompt, 'hello there friend');
    assert.equal(last.body.max_tokens, 30);
    assert.equal(last.body.temperature, 0.5);
    assert.equal(last.body.messages, undefined);
  });

  test('several messages become a list of prompts', async () => {
    const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }];
    const r = await chat('azt', { messages });
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.deepEqual(last.body.prompt, ['be brief', 'hi']);
  });

  test('a /completions request keeps its prompt and gets a text_completion', async () => {
    const r = await lx.req('/v1/completions', { method: 'POST', body: { model: 'azt', prompt: 'say hi', max_tokens: 5 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.match(r.json.choices[0].text, /^mock/);
    const last = await mock.last();
    assert.equal(last.path, '/openai/deployments/gpt-35-turbo-instruct/completions');
    assert.equal(last.body.prompt, 'say hi');
  });

  test('a stream: chat chunks and a usage chunk', async () => {
    const s = await stream('azt');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    for (const c of s.json) assert.equal(c.object, 'chat.completion.chunk');
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.match(text, /^mock( mock)*/);
    assert.equal(s.json[0].choices[0].delta.role, 'assistant');
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
    assert.ok(s.json.some((c) => c.usage?.prompt_tokens === 3));
    const last = await mock.last();
    assert.equal(last.body.stream, true);
  });

  test('tools are refused: the completions API has none', async () => {
    const r = await chat('azt', { tools: TOOLS });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /azure_text does not support parameters: \['tools'\]/);
  });
});

describe('nlp_cloud: generation', () => {
  test('a chat becomes one text; generated_text comes back as chat', async () => {
    const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }];
    const r = await chat('nlp', { messages, max_tokens: 12, n: 1, stop: ['\n'], temperature: 0.4 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, 'Hello from the nlp_cloud mock.');
    assert.deepEqual(r.json.usage, { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    const last = await mock.last();
    assert.equal(last.path, '/v1/gpu/finetuned-llama-3-70b/generation');
    assert.equal(last.headers.authorization, 'Token nc-key');
    assert.deepEqual(last.body, { text: 'be brief hello there', max_length: 12, num_return_sequences: 1, stop_sequences: ['\n'], temperature: 0.4 });
  });

  test('a stream of NUL-separated pieces becomes chat chunks', async () => {
    const s = await stream('nlp');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the nlp_cloud mock.');
    assert.equal(s.json[0].choices[0].delta.role, 'assistant');
    assert.equal(s.json.filter((c) => c.choices?.[0]?.finish_reason === 'stop').length, 1);
    const last = await mock.last();
    assert.equal(last.body.stream, true);
  });

  test('a /completions request is served too', async () => {
    const r = await lx.req('/v1/completions', { method: 'POST', body: { model: 'nlp', prompt: 'once upon' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].text, 'Hello from the nlp_cloud mock.');
    assert.equal((await mock.last()).body.text, 'once upon');
  });

  test('errors keep their status; chat-only parameters are refused', async () => {
    const r = await chat('nlp-503');
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error.message, /mock-status/);
    const t = await chat('nlp', { tools: TOOLS });
    assert.equal(t.status, 400, t.text);
    assert.match(t.json.error.message, /nlp_cloud does not support parameters: \['tools'\]/);
  });
});

describe('datarobot: the LLM gateway', () => {
  test('chat: the gateway URL with its trailing slash, bearer, the model unchanged', async () => {
    const r = await chat('dr', { max_tokens: 7 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the datarobot mock.');
    const last = await mock.last();
    assert.equal(last.path, '/api/v2/genai/llmgw/chat/completions/');
    assert.equal(last.headers.authorization, 'Bearer dr-key');
    assert.equal(last.body.model, 'azure/gpt-4o-mini');
    assert.equal(last.body.max_tokens, 7);
  });

  test('a stream with usage', async () => {
    const s = await stream('dr');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the datarobot mock.');
    assert.ok(s.json.some((c) => c.usage?.prompt_tokens === 3));
  });
});

describe('bytez: the model API', () => {
  test('chat: URL, Key header, item lists and params; the output as chat', async () => {
    const r = await chat('bz', { max_tokens: 8, temperature: 0.3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the bytez mock.');
    assert.deepEqual(r.json.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    const last = await mock.last();
    assert.equal(last.path, '/models/v2/google/gemma-3-4b-it');
    assert.equal(last.headers.authorization, 'Key bz-key');
    assert.deepEqual(last.body, {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there friend' }] }],
      stream: false,
      params: { max_new_tokens: 8, temperature: 0.3 },
    });
  });

  test('a raw text stream becomes chat chunks', async () => {
    const s = await stream('bz');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the bytez mock.');
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
  });

  test('a parameter Bytez lacks is refused', async () => {
    const r = await chat('bz', { stop: ['x'] });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /bytez does not support parameters: \['stop'\]/);
  });
});
