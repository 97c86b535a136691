// End-to-end: the official OpenAI Node SDK's client.responses.* (what Codex
// speaks), unmodified but for baseURL and apiKey, against llmux bridging the
// Responses API to an Anthropic-format upstream (llmux-mock).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, startLlmux, startMock } from '../lib/harness.mjs';

const TEXT = 'Hello from the mock Anthropic model.';
const TOOLS = [
  {
    type: 'function',
    name: 'lookup',
    description: 'Look something up',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'], additionalProperties: false },
    strict: true,
  },
];

let mock;
let lx;
let client;

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  const adep = (name, upstream) => ({
    model_name: name,
    litellm_params: { model: `anthropic/${upstream}`, api_base: mock.base, api_key: UPSTREAM_KEY },
  });
  lx = await startLlmux(config([adep('claude', 'claude-mock-1'), adep('claude-midstream', 'mock-stream-error')]), {
    env: { LLMUX_DB: '' },
  });
  client = new OpenAI({ baseURL: `${lx.base}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 20000 });
});

after(cleanup);

describe('OpenAI SDK: responses', () => {
  test('responses.create, then retrieve, inputItems.list and delete', async () => {
    const r = await client.responses.create({ model: 'claude', input: 'hello from the sdk', instructions: 'Be brief.' });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.equal(r.output_text, TEXT, 'the SDK computes output_text from our output items');
    assert.ok(r.usage.input_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);

    const got = await client.responses.retrieve(r.id);
    assert.equal(got.id, r.id);
    assert.equal(got.output_text, TEXT);
    const items = await client.responses.inputItems.list(r.id);
    assert.equal(items.data.length, 1);
    assert.equal(items.data[0].type, 'message');
    await client.responses.delete(r.id);
    await assert.rejects(client.responses.retrieve(r.id), (e) => e instanceof OpenAI.NotFoundError);
  });

  test('responses.create with stream: true', async () => {
    const stream = await client.responses.create({ model: 'claude', input: 'hello from the sdk', stream: true });
    const types = [];
    let text = '';
    let completed = null;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(types[types.length - 1], 'response.completed');
    assert.equal(text, TEXT);
    assert.equal(completed.status, 'completed');
    assert.ok(completed.usage.output_tokens > 0);
  });

  test('responses.stream helper: finalResponse', async () => {
    const stream = client.responses.stream({ model: 'claude', input: 'hello from the sdk' });
    let deltas = '';
    stream.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    assert.equal(final.output_text, TEXT);
    assert.equal(deltas, TEXT);
  });

  test('function calling with previous_response_id', async () => {
    const r1 = await client.responses.create({ model: 'claude', input: 'look up x', tools: TOOLS, tool_choice: 'required' });
    const call = r1.output.find((o) => o.type === 'function_call');
    assert.ok(call, JSON.stringify(r1.output));
    assert.equal(call.name, 'lookup');
    assert.deepEqual(JSON.parse(call.arguments), { query: 'mock' });

    const r2 = await client.responses.create({
      model: 'claude',
      previous_response_id: r1.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ found: true }) }],
      tools: TOOLS,
    });
    assert.equal(r2.previous_response_id, r1.id);
    const last = await mock.last();
    const blocks = last.body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
    assert.ok(blocks.some((b) => b.type === 'tool_use' && b.id === call.call_id));
    assert.ok(blocks.some((b) => b.type === 'tool_result' && b.tool_use_id === call.call_id));
  });

  test('streamed function call: the SDK assembles the arguments', async () => {
    const stream = client.responses.stream({ model: 'claude', input: 'look up x', tools: TOOLS });
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    assert.ok(call);
    assert.deepEqual(JSON.parse(call.arguments), { query: 'mock' });
  });

  test('errors: unknown previous_response_id and a mid-stream failure', async () => {
    await assert.rejects(
      client.responses.create({ model: 'claude', input: 'x', previous_response_id: 'resp_nope' }),
      (e) => e instanceof OpenAI.BadRequestError && /Previous response with id 'resp_nope' not found/.test(e.message),
    );
    const stream = await client.responses.create({ model: 'claude-midstream', input: 'hello', stream: true });
    await assert.rejects(
      (async () => {
        for await (const ev of stream) void ev;
      })(),
      (e) => /Overloaded/.test(e.message),
    );
  });
});
