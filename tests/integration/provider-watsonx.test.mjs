// IBM watsonx.ai deployments (watsonx/...): llmux exchanges the API key at
// IBM Cloud IAM (llmux-mock's /identity/token, via WATSONX_IAM_URL) for a
// bearer token, caches it, and calls /ml/v1/text/chat(_stream) and
// /ml/v1/deployments/{id}/text/chat with it. Covers: chat and stream with
// tools, a deployment, the token fetched once and reused (the mock counts
// /identity/token requests), a refused API key -> 401. watsonx_text/
// deployments: /ml/v1/text/generation(_stream) with the prompt built from the
// messages (generic and Granite chat templates), parameters mapped, the
// answer and the stream as OpenAI objects, the same IAM token reused, a
// deployment URL, tools refused with 400, upstream errors kept.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hello there friend' }];
const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

let mock;
let lx;

function wdep(name, model, extra = {}) {
  return { model_name: name, litellm_params: { model, api_base: mock.base, api_key: 'wx-key-1', project_id: 'proj-9', ...extra } };
}

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([
      wdep('wx', 'watsonx/ibm/granite-3-8b-instruct'),
      wdep('wx-dep', 'watsonx/deployment/dep-42'),
      wdep('wx-refused', 'watsonx/ibm/granite-3-8b-instruct', { api_key: 'refused-key' }),
      wdep('wx-404', 'watsonx/mock-status-404'),
      wdep('wxt', 'watsonx_text/google/flan-t5-xxl'),
      wdep('wxt-granite', 'watsonx_text/ibm/granite-13b-chat-v2'),
      wdep('wxt-dep', 'watsonx_text/deployment/dep-9'),
      wdep('wxt-500', 'watsonx_text/mock-status-500'),
    ]),
    { env: { WATSONX_IAM_URL: `${mock.base}/identity/token` }, unset: ['WATSONX_TOKEN', 'WATSONX_ZENAPIKEY'] },
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

describe('watsonx: chat', () => {
  test('a non-stream chat: URL, bearer, body, OpenAI answer', async () => {
    const r = await chat('wx', { max_tokens: 20, temperature: 0.1 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, 'Hello from the watsonx mock.');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { completion_tokens: 5, prompt_tokens: 3, total_tokens: 8 });
    assert.equal(r.json.model_id, undefined);
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/text/chat');
    assert.equal(last.query, 'version=2024-03-13');
    assert.match(last.headers.authorization, /^Bearer wx\.mock-\d+$/);
    assert.equal(last.body.model_id, 'ibm/granite-3-8b-instruct');
    assert.equal(last.body.project_id, 'proj-9');
    assert.equal(last.body.max_tokens, 20);
  });

  test('tools: a tool call', async () => {
    const r = await chat('wx', { tools: TOOLS, tool_choice: 'auto' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(r.json.choices[0].message.tool_calls[0].function.name, 'get_weather');
    const last = await mock.last();
    assert.equal(last.body.tool_choice_option, 'auto');
  });

  test('a stream: chunks, finish and a usage chunk', async () => {
    const s = await stream('wx');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the watsonx mock.');
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
    const u = s.json.find((c) => c.usage);
    assert.deepEqual(u.usage, { completion_tokens: 5, prompt_tokens: 3, total_tokens: 8 });
    for (const c of s.json) assert.equal(c.object, 'chat.completion.chunk');
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/text/chat_stream');
  });

  test('a deployment: its own URL, no model_id', async () => {
    const r = await chat('wx-dep');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/deployments/dep-42/text/chat');
    assert.equal(last.body.model_id, undefined);
  });

  test('an upstream error keeps its status and message', async () => {
    const r = await chat('wx-404');
    assert.equal(r.status, 404, r.text);
    assert.match(r.json.error.message, /mock-status/);
  });
});

describe('watsonx: IAM tokens', () => {
  test('the token is fetched once and reused', async () => {
    await chat('wx');
    const n = await mock.count('/identity/token');
    assert.ok(n >= 1);
    for (let i = 0; i < 3; i++) assert.equal((await chat('wx')).status, 200);
    assert.equal((await stream('wx')).status, 200);
    assert.equal(await mock.count('/identity/token'), n);
  });

  test('a refused API key answers 401', async () => {
    const r = await chat('wx-refused');
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /API key could not be found/);
  });
});

describe('watsonx_text: text generation', () => {
  const CONV = [
    { role: 'system', content: 'Be brief' },
    { role: 'user', content: 'hello there friend' },
  ];

  test('a non-stream call: URL, prompt, parameters, OpenAI answer', async () => {
    const r = await chat('wxt', { messages: CONV, max_tokens: 50, temperature: 0.3, seed: 4, stop: 'END' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.model, 'google/flan-t5-xxl');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, 'Hello from the watsonx mock.');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/text/generation');
    assert.equal(last.query, 'version=2024-03-13');
    assert.match(last.headers.authorization, /^Bearer wx\.mock-\d+$/);
    assert.equal(last.body.input, 'Be brief hello there friend');
    assert.equal(last.body.model_id, 'google/flan-t5-xxl');
    assert.equal(last.body.project_id, 'proj-9');
    assert.deepEqual(last.body.parameters, {
      decoding_method: 'sample', max_new_tokens: 50, temperature: 0.3, random_seed: 4, stop_sequences: ['END'],
    });
  });

  test('max_tokens reached: finish_reason length', async () => {
    const r = await chat('wxt', { max_tokens: 2 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from');
    assert.equal(r.json.choices[0].finish_reason, 'length');
  });

  test('a Granite chat model gets the Granite template', async () => {
    const r = await chat('wxt-granite', { messages: CONV });
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.body.input, '<|system|>\nBe brief\n<|user|>\nhello there friend\n<|assistant|>');
  });

  test('a stream: chunks, finish and a usage chunk; the IAM token is reused', async () => {
    const n = await mock.count('/identity/token');
    const s = await stream('wxt');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const text = s.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'Hello from the watsonx mock.');
    assert.equal(s.json[0].choices[0].delta.role, 'assistant');
    assert.ok(s.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'));
    for (const c of s.json) assert.equal(c.object, 'chat.completion.chunk');
    const u = s.json.find((c) => c.usage);
    assert.deepEqual(u.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/text/generation_stream');
    assert.equal(await mock.count('/identity/token'), n);
  });

  test('a deployment: its own URL, no model_id', async () => {
    const r = await chat('wxt-dep');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/ml/v1/deployments/dep-9/text/generation');
    assert.equal(last.body.model_id, undefined);
    assert.equal(last.body.input, 'hello there friend');
  });

  test('tools are refused with 400; upstream errors keep their status', async () => {
    const r = await chat('wxt', { tools: TOOLS });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /does not support parameters/);
    const e = await chat('wxt-500');
    assert.equal(e.status, 500, e.text);
    assert.match(e.json.error.message, /mock-status/);
  });
});
