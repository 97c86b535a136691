// End-to-end: the official Anthropic TypeScript SDK (@anthropic-ai/sdk),
// unmodified (only baseURL and apiKey changed), against a real llmux serving
// POST /v1/messages from an OpenAI-format and a Gemini-format deployment of
// the real mock (and an Anthropic-format one for signed thinking): create,
// streams with their helpers (text events, finalMessage), a tool round trip,
// thinking, and the SDK's typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, dep, startLlmux, startMock } from '../lib/harness.mjs';

const GEM_TEXT = 'Hello from the Gemini mock.';
const GEM_THOUGHT = 'Thinking about the question.';
const TOOL = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const MSGS = [{ role: 'user', content: 'hello from the sdk' }];

let mock;
let lx;
let client;

function ndep(name, model) {
  return { model_name: name, litellm_params: { model, api_base: mock.base, api_key: UPSTREAM_KEY } };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([
      dep('oa', 'gpt-up', mock),
      dep('oa-429', 'mock-status-429', mock),
      ndep('gem', 'gemini/gemini-2.5-flash'),
      ndep('gem-midstream', 'gemini/mock-stream-error'),
      ndep('cl', 'anthropic/claude-up'),
    ]),
  );
  client = new Anthropic({ baseURL: lx.base, apiKey: MASTER_KEY, maxRetries: 0, timeout: 20000 });
});

after(cleanup);

for (const [label, model] of [
  ['OpenAI-format', 'oa'],
  ['Gemini-format', 'gem'],
]) {
  describe(`Anthropic SDK, ${label} upstream`, () => {
    test('messages.create', async () => {
      const m = await client.messages.create({ model, max_tokens: 64, messages: MSGS });
      assert.equal(m.type, 'message');
      assert.equal(m.role, 'assistant');
      assert.equal(m.model, model);
      assert.match(m.id, /^msg_/);
      assert.equal(m.content[0].type, 'text');
      if (model === 'gem') assert.equal(m.content[0].text, GEM_TEXT);
      else assert.match(m.content[0].text, /mock/);
      assert.equal(m.stop_reason, 'end_turn');
      assert.equal(m.usage.input_tokens, 4);
      assert.ok(m.usage.output_tokens > 0);
    });

    test('messages.stream: text events and finalMessage', async () => {
      const s = client.messages.stream({ model, max_tokens: 64, system: 'Be brief.', messages: MSGS });
      let text = '';
      let events = 0;
      s.on('text', (delta) => {
        text += delta;
      });
      s.on('streamEvent', () => {
        events++;
      });
      const m = await s.finalMessage();
      assert.ok(events >= 5, 'message_start, block start/delta/stop, message_delta, message_stop');
      assert.equal(m.content.length, 1);
      assert.equal(m.content[0].type, 'text');
      assert.equal(m.content[0].text, text);
      assert.ok(text.length > 0);
      assert.equal(m.stop_reason, 'end_turn');
      assert.equal(m.usage.input_tokens, 6, 'message_delta carries the final input count');
      assert.ok(m.usage.output_tokens > 0);
      assert.equal(m.model, model);
    });

    test('the raw stream (stream: true) yields Anthropic events', async () => {
      const s = await client.messages.create({ model, max_tokens: 64, messages: MSGS, stream: true });
      const types = [];
      for await (const ev of s) types.push(ev.type);
      assert.equal(types[0], 'message_start');
      assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
      assert.ok(types.includes('content_block_delta'));
    });
  });
}

describe('Anthropic SDK: tools and thinking (Gemini-format upstream)', () => {
  test('a tool round trip', async () => {
    const first = await client.messages.create({ model: 'gem', max_tokens: 64, tools: [TOOL], messages: [{ role: 'user', content: 'weather in Paris?' }] });
    assert.equal(first.stop_reason, 'tool_use');
    const call = first.content.find((b) => b.type === 'tool_use');
    assert.ok(call, JSON.stringify(first));
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.input, { city: 'mock' });
    const second = await client.messages.create({
      model: 'gem',
      max_tokens: 64,
      tools: [TOOL],
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C and sunny' }] },
      ],
    });
    assert.equal(second.stop_reason, 'end_turn');
    assert.deepEqual(second.content, [{ type: 'text', text: GEM_TEXT }]);
    const parts = (await mock.last()).body.contents.flatMap((c) => c.parts);
    assert.ok(parts.some((p) => p.functionResponse?.name === 'get_weather'), 'the tool result reached Gemini');
  });

  test('a streamed tool call: inputJson events and the parsed input', async () => {
    const s = client.messages.stream({ model: 'gem', max_tokens: 64, tools: [TOOL], tool_choice: { type: 'any' }, messages: MSGS });
    let json = '';
    s.on('inputJson', (delta) => {
      json += delta;
    });
    const m = await s.finalMessage();
    assert.equal(m.stop_reason, 'tool_use');
    const call = m.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(call.input, { city: 'mock' });
    assert.deepEqual(JSON.parse(json), { city: 'mock' });
  });

  test('thinking: a thinking block before the answer, streamed and not', async () => {
    const m = await client.messages.create({ model: 'gem', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: MSGS });
    assert.equal(m.content[0].type, 'thinking');
    assert.equal(m.content[0].thinking, GEM_THOUGHT);
    assert.equal(m.content[1].type, 'text');
    assert.equal(m.content[1].text, GEM_TEXT);
    assert.deepEqual((await mock.last()).body.generationConfig.thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });

    const s = client.messages.stream({ model: 'gem', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: MSGS });
    let thinking = '';
    s.on('thinking', (delta) => {
      thinking += delta;
    });
    const f = await s.finalMessage();
    assert.equal(thinking, GEM_THOUGHT);
    assert.deepEqual(f.content.map((b) => b.type), ['thinking', 'text']);
  });

  test('signed thinking (Anthropic-format upstream) goes back in the next turn', async () => {
    const first = await client.messages.create({ model: 'cl', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: MSGS });
    const th = first.content.find((b) => b.type === 'thinking');
    assert.ok(th?.signature, JSON.stringify(first));
    await client.messages.create({
      model: 'cl',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [...MSGS, { role: 'assistant', content: first.content }, { role: 'user', content: 'go on' }],
    });
    const up = (await mock.last()).body;
    assert.deepEqual(up.messages[1].content.find((b) => b.type === 'thinking'), th);
  });
});

describe('Anthropic SDK: errors', () => {
  test('a wrong key: AuthenticationError', async () => {
    const bad = new Anthropic({ baseURL: lx.base, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'oa', max_tokens: 10, messages: MSGS }), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, String(e));
      assert.equal(e.status, 401);
      assert.equal(e.error?.error?.type, 'authentication_error');
      return true;
    });
  });

  test('an upstream 429: RateLimitError', async () => {
    await assert.rejects(client.messages.create({ model: 'oa-429', max_tokens: 10, messages: MSGS }), (e) => {
      assert.ok(e instanceof Anthropic.RateLimitError, String(e));
      assert.equal(e.error?.error?.type, 'rate_limit_error');
      return true;
    });
  });

  test('a bad request: BadRequestError naming the field', async () => {
    await assert.rejects(
      client.messages.create({ model: 'oa', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'video', data: 'x' }] }] }),
      (e) => {
        assert.ok(e instanceof Anthropic.BadRequestError, String(e));
        assert.match(e.message, /messages\.0\.content\.0\.type/);
        return true;
      },
    );
  });

  test('a failure mid-stream rejects the stream with the error', async () => {
    const s = client.messages.stream({ model: 'gem-midstream', max_tokens: 64, messages: MSGS });
    await assert.rejects(s.finalMessage(), (e) => {
      assert.match(String(e.message ?? e), /rate_limit_error|RESOURCE_EXHAUSTED|quota|429/i);
      return true;
    });
  });
});
