// Cohere deployments (cohere_chat/..., cohere/...): llmux translates OpenAI
// chat and embeddings requests into POST /v2/chat and /v2/embed against
// llmux-mock's Cohere routes, and the answers (JSON and typed SSE events)
// back into OpenAI objects: text, tool calls, usage, upstream error statuses,
// a failed stream, unsupported parameters. /mock/last shows what the mock got.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  UPSTREAM_KEY,
  assembleChat as assemble,
  cleanup,
  config,
  envelopeProblem,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'Hello from the mock Cohere model.';
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'Look something up',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
  },
];
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];

let mock;
let lx;

function cdep(name, model, extra = {}) {
  const { model_info, ...params } = extra;
  const e = { model_name: name, litellm_params: { model, api_base: mock.base, api_key: UPSTREAM_KEY, ...params } };
  if (model_info) e.model_info = model_info;
  return e;
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY }); // the Cohere routes check the bearer token
  lx = await startLlmux(
    config([
      cdep('co', 'cohere_chat/command-r-mock'),
      cdep('co-plain', 'cohere/command-a-mock'),
      cdep('co-429', 'cohere_chat/mock-status-429'),
      cdep('co-503', 'cohere_chat/mock-status-503'),
      cdep('co-midstream', 'cohere_chat/mock-stream-error'),
      cdep('co-wrongkey', 'cohere_chat/command-r-mock', { api_key: 'sk-wrong' }),
      cdep('co-emb', 'cohere/embed-english-v3.0', { model_info: { mode: 'embedding' } }),
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

describe('cohere: configuration', () => {
  test('cohere deployments load without the "not served by this build" warning', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'cohere(_chat)?' is not served/);
  });
});

describe('cohere: chat', () => {
  test('a non-stream chat answers an OpenAI chat.completion', async () => {
    const r = await chat('co', { temperature: 0.3, top_p: 0.8, stop: 'END', max_tokens: 40, seed: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    // usage comes from usage.tokens (the mock adds 5 to billed input tokens there)
    assert.deepEqual(r.json.usage, { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 });
  });

  test('the mock received a Cohere v2 chat request', async () => {
    await chat('co', { temperature: 0.3, top_p: 0.8, top_k: 10, stop: 'END', max_tokens: 40, seed: 5 });
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/v2/chat');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.match(last.headers['content-type'], /application\/json/);
    const b = last.body;
    assert.equal(b.model, 'command-r-mock');
    assert.deepEqual(b.messages, MSGS);
    assert.equal(b.temperature, 0.3);
    assert.equal(b.p, 0.8);
    assert.equal(b.k, 10);
    assert.deepEqual(b.stop_sequences, ['END']);
    assert.equal(b.max_tokens, 40);
    assert.equal(b.seed, 5);
    for (const k of ['top_p', 'top_k', 'stop', 'stream', 'stream_options']) assert.ok(!(k in b), `no "${k}" upstream`);
  });

  test('cohere/ (not only cohere_chat/) speaks v2 too', async () => {
    const r = await chat('co-plain');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT);
    const last = await mock.last();
    assert.equal(last.path, '/v2/chat');
    assert.equal(last.body.model, 'command-a-mock');
  });

  test('a stream is OpenAI SSE: role first, content, finish, usage, [DONE]', async () => {
    const r = await stream('co');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.done, true, 'ends with [DONE]');
    assert.equal(r.events[r.events.length - 1].data, '[DONE]');
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const a = assemble(r.json);
    assert.ok(a.roleFirst, 'the first chunk carries the assistant role');
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.deepEqual(a.usage, { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 });
    const usageChunk = r.json[r.json.length - 1];
    assert.deepEqual(usageChunk.choices, []);
    const last = await mock.last();
    assert.equal(last.body.stream, true);
    assert.match(last.headers.accept ?? '', /text\/event-stream/);
  });

  test('without include_usage a stream carries no usage chunk', async () => {
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'co', messages: MSGS, stream: true } });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    assert.ok(!r.json.some((c) => c.usage), 'no usage');
  });
});

describe('cohere: tools', () => {
  test('a tool call arrives with parseable arguments (non-stream)', async () => {
    const r = await chat('co', { tools: TOOLS, tool_choice: 'required' });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.content, null);
    assert.equal(m.tool_calls.length, 1);
    assert.equal(m.tool_calls[0].type, 'function');
    assert.equal(m.tool_calls[0].function.name, 'lookup');
    assert.ok(m.tool_calls[0].id, 'the call has an id');
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { query: 'mock' });
    const last = await mock.last();
    assert.equal(last.body.tools[0].type, 'function');
    assert.equal(last.body.tools[0].function.name, 'lookup');
    assert.deepEqual(last.body.tools[0].function.parameters, TOOLS[0].function.parameters);
    assert.equal(last.body.tool_choice, 'REQUIRED');
  });

  test('a streamed tool call assembles into parseable arguments', async () => {
    const r = await stream('co', { tools: TOOLS });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.tools.length, 1);
    assert.equal(a.tools[0].name, 'lookup');
    assert.ok(a.tools[0].id);
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { query: 'mock' });
    assert.equal(a.finish, 'tool_calls');
  });

  test('a tool result turn goes out as Cohere tool_plan / tool_calls / tool messages', async () => {
    const messages = [
      { role: 'user', content: 'look it up' },
      {
        role: 'assistant',
        content: 'I will look.',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"query":"x"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'found it' },
    ];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'co', messages } });
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages[1], {
      role: 'assistant',
      tool_plan: 'I will look.',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"query":"x"}' } }],
    });
    assert.deepEqual(b.messages[2], { role: 'tool', tool_call_id: 'c1', content: 'found it' });
  });
});

describe('cohere: errors', () => {
  for (const [model, status] of [
    ['co-429', 429],
    ['co-503', 503],
  ]) {
    test(`an upstream ${status} is an OpenAI error envelope with status ${status}`, async () => {
      const r = await chat(model);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.match(r.json.error.message, new RegExp(`cohere error ${status}`));
    });
  }

  test('a wrong key is a 401 from the provider, kept', async () => {
    const r = await chat('co-wrongkey');
    assert.equal(r.status, 401, r.text);
    assert.equal(envelopeProblem(r.json, 401), null, r.text);
    assert.match(r.json.error.message, /invalid api token/);
    assert.equal((await mock.last()).headers.authorization, 'Bearer sk-wrong');
  });

  test('a stream that fails mid-way ends with an error event, not [DONE]', async () => {
    const r = await stream('co-midstream');
    assert.equal(r.status, 200);
    assert.equal(r.done, false, 'no [DONE] after a failure');
    const err = r.json.find((c) => c.error);
    assert.ok(err, `an error event reached the client: ${r.text}`);
    assert.match(err.error.message, /stream failure/);
    assert.ok(assemble(r.json.filter((c) => !c.error)).content.startsWith('Hello'), 'content before the error was sent');
  });

  test('an OpenAI parameter Cohere lacks is a 400 naming it, unless dropped', async () => {
    const before = await mock.modelRequests();
    const r = await chat('co', { logit_bias: { 42: 1 } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /does not support parameter 'logit_bias'/);
    assert.equal(await mock.modelRequests(), before, 'nothing was sent upstream');
    const ok = await chat('co', { logit_bias: { 42: 1 }, drop_params: true });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!('logit_bias' in (await mock.last()).body));
  });
});

describe('cohere: embeddings', () => {
  test('embeddings go to /v2/embed and come back as an OpenAI list', async () => {
    const r = await lx.req('/v1/embeddings', { method: 'POST', body: { model: 'co-emb', input: ['hello there', 'friend'] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.data.length, 2);
    r.json.data.forEach((d, i) => {
      assert.equal(d.object, 'embedding');
      assert.equal(d.index, i);
      assert.ok(Array.isArray(d.embedding) && d.embedding.length > 0);
    });
    assert.equal(r.json.usage.prompt_tokens, 3);
    const last = await mock.last();
    assert.equal(last.path, '/v2/embed');
    assert.deepEqual(last.body.texts, ['hello there', 'friend']);
    assert.equal(last.body.input_type, 'search_document');
    assert.deepEqual(last.body.embedding_types, ['float']);
    assert.equal(last.body.model, 'embed-english-v3.0');
  });
});
