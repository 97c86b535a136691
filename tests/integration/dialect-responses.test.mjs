// The OpenAI Responses API (POST /v1/responses) served from any provider:
// llmux turns the request into a canonical chat request, routes it to an
// Anthropic-format or an OpenAI-format mock deployment, and turns the answer
// (JSON or the typed event stream) back into a Response. Stored responses
// answer GET/DELETE /v1/responses/{id} and /input_items, chain through
// previous_response_id, and survive a restart (SQLite, LLMUX_DB).
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { UPSTREAM_KEY, cleanup, config, dep, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const TEXT = 'Hello from the mock Anthropic model.';
const TOOLS = [
  {
    type: 'function',
    name: 'lookup',
    description: 'Look something up',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
];

let mock;
let lx;
let cfg;
const db = path.join(os.tmpdir(), `llmux-resp-${process.pid}-${crypto.randomBytes(4).toString('hex')}.db`);

function adep(name, upstream) {
  return {
    model_name: name,
    litellm_params: { model: `anthropic/${upstream}`, api_base: mock.base, api_key: UPSTREAM_KEY },
  };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  cfg = config([adep('claude', 'claude-mock-1'), adep('claude-midstream', 'mock-stream-error'), dep('gpt', 'gpt-mock', mock)]);
  lx = await startLlmux(cfg, { env: { LLMUX_DB: db } });
});

after(async () => {
  await cleanup();
  for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
});

function create(body, opts = {}) {
  return lx.req(opts.path ?? '/v1/responses', { method: 'POST', body, ...opts });
}

function stream(body) {
  return streamRequest(lx.url('/v1/responses'), { body: { ...body, stream: true } });
}

/** Event names, data types and sequence numbers agree; returns the parsed events. */
function events(r) {
  const out = [];
  for (const e of r.events) {
    const m = e.raw.match(/^event: (.+)$/m);
    assert.ok(m, `every event has an event: line: ${e.raw}`);
    const d = JSON.parse(e.data);
    assert.equal(d.type, m[1]);
    out.push(d);
  }
  out.forEach((d, i) => assert.equal(d.sequence_number, i, 'sequence_number counts from 0'));
  return out;
}

function outputText(resp) {
  return resp.output
    .filter((o) => o.type === 'message')
    .flatMap((o) => o.content)
    .map((c) => c.text)
    .join('');
}

describe('POST /v1/responses', () => {
  test('non-stream from an Anthropic deployment', async () => {
    const r = await create({ model: 'claude', input: 'hello there friend', instructions: 'Be brief.', max_output_tokens: 100, metadata: { a: 'b' } });
    assert.equal(r.status, 200, r.text);
    const j = r.json;
    assert.match(j.id, /^resp_[0-9a-f]{48}$/);
    assert.equal(j.object, 'response');
    assert.equal(j.status, 'completed');
    assert.equal(j.model, 'claude');
    assert.equal(j.instructions, 'Be brief.');
    assert.equal(j.max_output_tokens, 100);
    assert.equal(j.store, true);
    assert.deepEqual(j.metadata, { a: 'b' });
    assert.equal(j.error, null);
    assert.equal(j.output.length, 1);
    assert.equal(j.output[0].type, 'message');
    assert.equal(j.output[0].role, 'assistant');
    assert.match(j.output[0].id, /^msg_/);
    assert.equal(j.output[0].content[0].type, 'output_text');
    assert.equal(j.output[0].content[0].text, TEXT);
    assert.equal(j.usage.input_tokens, 5);
    assert.equal(j.usage.output_tokens, 6);
    assert.equal(j.usage.total_tokens, 11);
    assert.equal(j.usage.input_tokens_details.cached_tokens, 0);
    assert.equal(j.usage.output_tokens_details.reasoning_tokens, 0);
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.body.system, 'Be brief.');
    assert.equal(last.body.max_tokens, 100);
    assert.deepEqual(last.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello there friend' }] }]);
    assert.equal(last.body.metadata, undefined, 'metadata is not sent upstream');
  });

  test('non-stream from an OpenAI deployment goes natively to its /responses, on every path', async () => {
    for (const p of ['/v1/responses', '/responses', '/openai/v1/responses']) {
      const input = [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }];
      const r = await create({ model: 'gpt', input, temperature: 0.2, metadata: { k: 'v' } }, { path: p });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.equal(r.json.object, 'response');
      assert.equal(outputText(r.json), 'Hello from the mock Responses API.');
      const last = await mock.last();
      assert.equal(last.path, '/v1/responses', 'the provider got the Responses request');
      assert.equal(last.body.temperature, 0.2);
      assert.deepEqual(last.body.input, input, 'input items as the client sent them');
      assert.deepEqual(last.body.metadata, { k: 'v' }, "the API's own metadata passes");
      const got = await lx.req(`/v1/responses/${r.json.id}`);
      assert.equal(got.status, 200, 'a native answer is kept for GET too');
      assert.equal(got.json.id, r.json.id);
    }
  });

  test("an OpenAI deployment continues the provider's own previous_response_id natively", async () => {
    const first = await create({ model: 'gpt', input: 'one' });
    assert.equal(first.status, 200, first.text);
    assert.match(first.json.id, /^resp_mock/);
    const second = await create({ model: 'gpt', input: 'two', previous_response_id: first.json.id });
    assert.equal(second.status, 200, second.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/responses');
    assert.equal(last.body.previous_response_id, first.json.id);
    // an id neither llmux nor the provider knows: the provider's own 400, relayed
    const bad = await create({ model: 'gpt', input: 'x', previous_response_id: 'resp_unknown' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /resp_unknown/);
  });

  test("a chat-only deployment cannot continue another server's response id", async () => {
    const r = await create({ model: 'claude', input: 'x', previous_response_id: 'resp_elsewhere' });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /Previous response with id 'resp_elsewhere' not found/);
  });

  for (const model of ['claude', 'gpt']) {
    test(`stream from ${model}: the full event sequence`, async () => {
      const r = await stream({ model, input: 'hello there friend' });
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /text\/event-stream/);
      assert.equal(r.done, false, 'no [DONE] in the Responses framing');
      const ev = events(r);
      const types = ev.map((e) => e.type);
      const deltas = types.filter((t) => t === 'response.output_text.delta').length;
      assert.ok(deltas >= 1);
      assert.deepEqual(types, [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(deltas).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const text = ev.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
      const done = ev[ev.length - 1].response;
      assert.equal(done.status, 'completed');
      assert.equal(done.id, ev[0].response.id);
      assert.equal(outputText(done), text);
      if (model === 'claude') assert.equal(text, TEXT);
      assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
      assert.equal(done.usage.total_tokens, done.usage.input_tokens + done.usage.output_tokens);
      const got = await lx.req(`/v1/responses/${done.id}`);
      assert.equal(got.status, 200);
      assert.equal(outputText(got.json), text);
    });
  }

  test('function calling, then function_call_output with previous_response_id', async () => {
    const r1 = await create({ model: 'claude', input: 'find x', tools: TOOLS, tool_choice: 'required' });
    assert.equal(r1.status, 200, r1.text);
    const fc = r1.json.output.find((o) => o.type === 'function_call');
    assert.ok(fc, r1.text);
    assert.equal(fc.name, 'lookup');
    assert.match(fc.call_id, /^toolu_/);
    assert.match(fc.id, /^fc_/);
    assert.deepEqual(JSON.parse(fc.arguments), { query: 'mock' });
    assert.equal(r1.json.tools[0].name, 'lookup');
    let last = await mock.last();
    assert.deepEqual(last.body.tool_choice, { type: 'any' });
    assert.equal(last.body.tools[0].name, 'lookup');

    const r2 = await create({
      model: 'claude',
      previous_response_id: r1.json.id,
      input: [{ type: 'function_call_output', call_id: fc.call_id, output: '{"x":1}' }],
      tools: TOOLS,
      tool_choice: 'none',
    });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.previous_response_id, r1.json.id);
    assert.equal(outputText(r2.json), TEXT);
    last = await mock.last();
    const msgs = last.body.messages;
    assert.equal(msgs.length, 3, JSON.stringify(msgs));
    assert.equal(msgs[0].role, 'user');
    assert.equal(msgs[1].role, 'assistant');
    const use = msgs[1].content.find((b) => b.type === 'tool_use');
    assert.equal(use.id, fc.call_id);
    assert.deepEqual(use.input, { query: 'mock' });
    const res = msgs[2].content.find((b) => b.type === 'tool_result');
    assert.equal(res.tool_use_id, fc.call_id);
  });

  test('streamed function call: added, argument deltas, done', async () => {
    const r = await stream({ model: 'claude', input: 'find x', tools: TOOLS });
    const ev = events(r);
    const added = ev.find((e) => e.type === 'response.output_item.added');
    assert.equal(added.item.type, 'function_call');
    assert.equal(added.item.name, 'lookup');
    const args = ev.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
    const done = ev.find((e) => e.type === 'response.function_call_arguments.done');
    assert.equal(done.arguments, args);
    assert.deepEqual(JSON.parse(args), { query: 'mock' });
    assert.equal(ev[ev.length - 1].type, 'response.completed');
    assert.equal(ev[ev.length - 1].response.output[0].arguments, args);
  });
});

describe('stored responses', () => {
  test('store:false is not kept', async () => {
    const r = await create({ model: 'claude', input: 'hi', store: false });
    assert.equal(r.status, 200);
    assert.equal(r.json.store, false);
    const g = await lx.req(`/v1/responses/${r.json.id}`);
    assert.equal(g.status, 404);
    assert.equal(g.json.error.message, `Response with id '${r.json.id}' not found.`);
  });

  test('GET, input_items, DELETE', async () => {
    const r = await create({
      model: 'claude',
      input: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'three' }] },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const id = r.json.id;
    const g = await lx.req(`/v1/responses/${id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, r.json);

    const items = await lx.req(`/v1/responses/${id}/input_items`);
    assert.equal(items.status, 200, items.text);
    assert.equal(items.json.object, 'list');
    assert.equal(items.json.has_more, false);
    assert.deepEqual(
      items.json.data.map((i) => i.content[0].text),
      ['three', 'two', 'one'],
      'newest first by default',
    );
    assert.equal(items.json.data[1].content[0].type, 'output_text');
    assert.equal(items.json.first_id, items.json.data[0].id);
    assert.equal(items.json.last_id, items.json.data[2].id);
    const asc = await lx.req(`/v1/responses/${id}/input_items?order=asc&limit=2`);
    assert.deepEqual(asc.json.data.map((i) => i.content[0].text), ['one', 'two']);
    assert.equal(asc.json.has_more, true);
    const next = await lx.req(`/v1/responses/${id}/input_items?order=asc&after=${asc.json.last_id}`);
    assert.deepEqual(next.json.data.map((i) => i.content[0].text), ['three']);
    assert.equal((await lx.req(`/v1/responses/${id}/input_items?limit=0`)).status, 400);

    const d = await lx.req(`/v1/responses/${id}`, { method: 'DELETE' });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json, { id, object: 'response', deleted: true });
    assert.equal((await lx.req(`/v1/responses/${id}`)).status, 404);
    assert.equal((await lx.req(`/v1/responses/${id}/input_items`)).status, 404);
    assert.equal((await lx.req(`/v1/responses/${id}`, { method: 'DELETE' })).status, 404);
  });

  test('the GET endpoints need the key', async () => {
    const r = await lx.req('/v1/responses/resp_x', { key: 'sk-wrong' });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.type, 'auth_error');
  });

  test('stored responses survive a restart (SQLite)', async () => {
    const r = await create({ model: 'claude', input: 'remember me' });
    assert.equal(r.status, 200);
    await lx.stop();
    lx = await startLlmux(cfg, { env: { LLMUX_DB: db } });
    const g = await lx.req(`/v1/responses/${r.json.id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.id, r.json.id);
    const r2 = await create({ model: 'claude', previous_response_id: r.json.id, input: 'and now?' });
    assert.equal(r2.status, 200, r2.text);
    const last = await mock.last();
    assert.equal(last.body.messages.length, 3);
  });
});

describe('errors', () => {
  test('wrong key: 401 in the OpenAI envelope', async () => {
    const r = await create({ model: 'claude', input: 'hi' }, { key: 'sk-wrong' });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.type, 'auth_error');
  });

  test('unknown model', async () => {
    const r = await create({ model: 'no-such-model', input: 'hi' });
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.text}`);
    assert.equal(typeof r.json.error.message, 'string');
    assert.match(r.json.error.message, /no-such-model/);
  });

  test('malformed body and bad fields: 400', async () => {
    const bad = await lx.req('/v1/responses', { method: 'POST', body: '{"model":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(typeof bad.json.error.message, 'string');
    const noInput = await create({ model: 'claude' });
    assert.equal(noInput.status, 400);
    assert.equal(noInput.json.error.type, 'invalid_request_error');
    const hosted = await create({ model: 'claude', input: 'x', tools: [{ type: 'web_search' }] });
    assert.equal(hosted.status, 400);
    assert.match(hosted.json.error.message, /web_search/);
  });

  test('unknown previous_response_id: 400 with OpenAI message', async () => {
    const r = await create({ model: 'claude', input: 'hi', previous_response_id: 'resp_nope' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.message, "Previous response with id 'resp_nope' not found.");
    assert.equal(r.json.error.type, 'invalid_request_error');
  });

  test('upstream failure mid-stream: an error event, then response.failed', async () => {
    const r = await stream({ model: 'claude-midstream', input: 'hello there friend' });
    assert.equal(r.status, 200);
    const ev = events(r);
    const types = ev.map((e) => e.type);
    assert.equal(types[0], 'response.created');
    assert.ok(types.includes('response.output_text.delta'), 'content before the error was sent');
    const err = ev.find((e) => e.type === 'error');
    assert.ok(err, r.text);
    assert.match(err.message, /Overloaded/);
    assert.equal(typeof err.code, 'string');
    assert.equal(types[types.length - 1], 'response.failed');
    assert.ok(!types.includes('response.completed'));
    assert.equal(ev[ev.length - 1].response.status, 'failed');
  });
});
