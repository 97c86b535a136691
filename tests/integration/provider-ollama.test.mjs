// Ollama deployments: ollama_chat/... -> POST /api/chat, ollama/... ->
// POST /api/generate, embeddings -> POST /api/embed, against llmux-mock's
// Ollama routes. The answers (one JSON object, or NDJSON lines) come back as
// OpenAI objects and SSE chunks: text, thinking, tool calls (ids made up,
// arguments stringified), usage, error statuses, an error line mid-stream,
// and the bearer token Ollama's cloud wants. /mock/last shows what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assembleChat as assemble, cleanup, config, envelopeProblem, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'Hello from the mock Ollama model.';
const OLLAMA_KEY = 'sk-ollama-cloud';
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const MSGS = [{ role: 'user', content: 'hello there friend' }];

let mock; // a local Ollama: no auth
let cloud; // Ollama's cloud: bearer token
let lx;

function odep(name, model, base, extra = {}) {
  const { model_info, ...params } = extra;
  const e = { model_name: name, litellm_params: { model, api_base: base, ...params } };
  if (model_info) e.model_info = model_info;
  return e;
}

before(async () => {
  mock = await startMock();
  cloud = await startMock({ apiKey: OLLAMA_KEY });
  lx = await startLlmux(
    config([
      odep('ol', 'ollama_chat/llama3.2', mock.base),
      odep('ol-gen', 'ollama/llama3.2', mock.base),
      odep('ol-404', 'ollama_chat/mock-status-404', mock.base),
      odep('ol-500', 'ollama_chat/mock-status-500', mock.base),
      odep('ol-midstream', 'ollama/mock-stream-error', mock.base),
      odep('ol-emb', 'ollama/nomic-embed-text', mock.base, { model_info: { mode: 'embedding' } }),
      odep('ol-defaults', 'ollama_chat/llama3.2', mock.base, { keep_alive: '10m', num_ctx: 8192 }),
      odep('ol-cloud', 'ollama_chat/gpt-oss:120b', cloud.base, { api_key: OLLAMA_KEY }),
      odep('ol-cloud-nokey', 'ollama_chat/gpt-oss:120b', cloud.base),
    ]),
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

describe('ollama: configuration', () => {
  test('ollama deployments load without the "not served by this build" warning', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'ollama(_chat)?' is not served/);
  });
});

describe('ollama_chat: /api/chat', () => {
  test('a non-stream chat answers an OpenAI chat.completion', async () => {
    const r = await chat('ol');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
  });

  test('the mock received an Ollama chat request: options, stream false, no auth', async () => {
    await chat('ol', { max_tokens: 20, temperature: 0.4, top_p: 0.7, seed: 3, stop: ['END'], top_k: 12 });
    const last = await mock.last();
    assert.equal(last.path, '/api/chat');
    assert.equal(last.headers.authorization, undefined);
    const b = last.body;
    assert.equal(b.model, 'llama3.2');
    assert.deepEqual(b.messages, [{ role: 'user', content: 'hello there friend' }]);
    assert.equal(b.stream, false);
    assert.deepEqual(b.options, { num_predict: 20, temperature: 0.4, top_p: 0.7, seed: 3, stop: ['END'], top_k: 12 });
    for (const k of ['max_tokens', 'temperature', 'top_p', 'seed', 'stop']) assert.ok(!(k in b), `no top-level "${k}"`);
  });

  test('litellm_params are call defaults: keep_alive on top, num_ctx in options', async () => {
    const r = await chat('ol-defaults');
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.equal(b.keep_alive, '10m');
    assert.deepEqual(b.options, { num_ctx: 8192 });
  });

  test('response_format json_object is format "json"; a schema is the format', async () => {
    let r = await chat('ol', { response_format: { type: 'json_object' } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).body.format, 'json');
    assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { answer: 'mock' });
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    r = await chat('ol', { response_format: { type: 'json_schema', json_schema: { name: 'a', schema } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await mock.last()).body.format, schema);
  });

  test('reasoning_effort turns think on; thinking comes back as reasoning_content', async () => {
    const r = await chat('ol', { reasoning_effort: 'high' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).body.think, true);
    assert.equal(r.json.choices[0].message.reasoning_content, 'Mock thinking.');
    const s = await stream('ol', { reasoning_effort: 'low' });
    assert.equal(assemble(s.json).reasoning, 'Mock thinking.');
  });

  test('a stream (NDJSON upstream) is OpenAI SSE: role, content, finish, usage, [DONE]', async () => {
    const r = await stream('ol');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.done, true);
    assert.equal(r.events[r.events.length - 1].data, '[DONE]');
    const a = assemble(r.json);
    assert.ok(a.roleFirst);
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.deepEqual(a.usage, { prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    assert.equal((await mock.last()).body.stream, true);
  });

  test('a tool call comes back with an id and stringified arguments (non-stream)', async () => {
    const r = await chat('ol', { tools: TOOLS, tool_choice: 'auto' });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.tool_calls.length, 1);
    assert.match(m.tool_calls[0].id, /^call_/);
    assert.equal(m.tool_calls[0].type, 'function');
    assert.equal(m.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { query: 'mock' });
    const b = (await mock.last()).body;
    assert.deepEqual(b.tools, TOOLS);
    assert.ok(!('tool_choice' in b), 'tool_choice is not sent (it makes Ollama hang)');
  });

  test('a streamed tool call assembles into parseable arguments', async () => {
    const r = await stream('ol', { tools: TOOLS });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.tools.length, 1);
    assert.match(a.tools[0].id, /^call_/);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { query: 'mock' });
    assert.equal(a.finish, 'tool_calls');
  });

  test('tool-call history goes out with object arguments and the tool name', async () => {
    const messages = [
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
    ];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'ol', messages } });
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages[1].tool_calls, [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }]);
    assert.deepEqual(b.messages[2], { role: 'tool', content: 'sunny', tool_name: 'get_weather' });
  });
});

describe('ollama: /api/generate', () => {
  test('ollama/ renders the chat into prompt and system on /api/generate', async () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, ...MSGS];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'ol-gen', messages, max_tokens: 8 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.deepEqual(r.json.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    const last = await mock.last();
    assert.equal(last.path, '/api/generate');
    assert.equal(last.body.prompt, 'hello there friend');
    assert.equal(last.body.system, 'Be brief.');
    assert.deepEqual(last.body.options, { num_predict: 8 });
    assert.equal(last.body.stream, false);
  });

  test('an ollama/ stream is OpenAI chat chunks', async () => {
    const r = await stream('ol-gen');
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.equal(a.usage.completion_tokens, 6);
  });

  test('/v1/completions goes to /api/generate and answers a text_completion', async () => {
    const r = await lx.req('/v1/completions', { method: 'POST', body: { model: 'ol-gen', prompt: 'Once upon a time', max_tokens: 5 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.equal(r.json.choices[0].text, TEXT);
    const last = await mock.last();
    assert.equal(last.path, '/api/generate');
    assert.equal(last.body.prompt, 'Once upon a time');
    const s = await streamRequest(lx.url('/v1/completions'), { body: { model: 'ol-gen', prompt: 'Once', stream: true } });
    assert.equal(s.status, 200);
    assert.ok(s.done);
    assert.equal(assemble(s.json).content, TEXT);
  });

  test('tools on ollama/ are refused (generate has none), unless dropped', async () => {
    const r = await chat('ol-gen', { tools: TOOLS });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /does not support parameter 'tools'/);
    const ok = await chat('ol-gen', { tools: TOOLS, drop_params: true });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('ollama: errors and auth', () => {
  for (const [model, status] of [
    ['ol-404', 404],
    ['ol-500', 500],
  ]) {
    test(`an upstream ${status} {"error"} is an OpenAI error envelope with status ${status}`, async () => {
      const r = await chat(model);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.match(r.json.error.message, new RegExp(`ollama error ${status}`));
    });
  }

  test('an {"error"} line mid-stream ends the stream with an error event, not [DONE]', async () => {
    const r = await stream('ol-midstream');
    assert.equal(r.status, 200);
    assert.equal(r.done, false);
    const err = r.json.find((c) => c.error);
    assert.ok(err, `an error event reached the client: ${r.text}`);
    assert.match(err.error.message, /stream failure/);
    assert.ok(assemble(r.json.filter((c) => !c.error)).content.startsWith('Hello'));
  });

  test("Ollama's cloud gets the key as a bearer token; without it the 401 is kept", async () => {
    const r = await chat('ol-cloud', { reasoning_effort: 'medium' });
    assert.equal(r.status, 200, r.text);
    const last = await cloud.last();
    assert.equal(last.headers.authorization, `Bearer ${OLLAMA_KEY}`);
    assert.equal(last.body.think, 'medium', 'gpt-oss models get the level');
    const bad = await chat('ol-cloud-nokey');
    assert.equal(bad.status, 401, bad.text);
    assert.equal(envelopeProblem(bad.json, 401), null, bad.text);
  });
});

describe('ollama: embeddings', () => {
  test('embeddings go to /api/embed and come back as an OpenAI list', async () => {
    const r = await lx.req('/v1/embeddings', { method: 'POST', body: { model: 'ol-emb', input: ['hello there', 'friend'] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.data.length, 2);
    assert.ok(r.json.data.every((d, i) => d.index === i && Array.isArray(d.embedding) && d.embedding.length > 0));
    assert.equal(r.json.usage.prompt_tokens, 3);
    const last = await mock.last();
    assert.equal(last.path, '/api/embed');
    assert.deepEqual(last.body, { model: 'nomic-embed-text', input: ['hello there', 'friend'] });
  });
});
