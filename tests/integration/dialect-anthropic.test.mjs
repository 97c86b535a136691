// The Anthropic Messages dialect: POST /v1/messages (and /messages) served
// from any provider. Anthropic clients get Anthropic messages and typed SSE
// events back from an OpenAI-format, a Gemini-format and an Anthropic-format
// deployment of llmux-mock; the mock shows what each upstream received (the
// canonical conversion: system, tools, tool results, thinking). Errors come
// in Anthropic's {"type":"error","error":{type,message}} shape, before a
// stream and in the middle of one (an `event: error`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, dep, request, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const MSG = '/v1/messages';
const GEM_TEXT = 'Hello from the Gemini mock.';
const GEM_THOUGHT = 'Thinking about the question.';
const TOOL = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let mock;
let lx;

function ndep(name, model, extra = {}) {
  return { model_name: name, litellm_params: { model, api_base: mock.base, api_key: UPSTREAM_KEY, ...extra } };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([
      dep('oa', 'gpt-up', mock),
      dep('oa-429', 'mock-status-429', mock),
      dep('oa-cut', 'mock-fault-disconnect', mock),
      ndep('gem', 'gemini/gemini-2.5-flash'),
      ndep('gem-midstream', 'gemini/mock-stream-error'),
      ndep('cl', 'anthropic/claude-up'),
      ndep('cl-529', 'anthropic/mock-status-529'),
      ndep('cl-midstream', 'anthropic/mock-stream-error'),
    ]),
  );
});

after(cleanup);

function messages(body, opts = {}) {
  return lx.req(opts.path ?? MSG, { method: 'POST', body, ...opts });
}

function stream(body, opts = {}) {
  return streamRequest(lx.url(opts.path ?? MSG), { body: { ...body, stream: true }, ...opts });
}

const base = (model, extra = {}) => ({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hello there friend' }],
  ...extra,
});

/** Checks Anthropic's event framing and order; returns what a client assembles. */
function assemble(r) {
  const names = [];
  const out = { text: '', thinking: '', signature: '', tools: [], stop: null, usage: null, start: null, blocks: [] };
  let args = '';
  for (const e of r.events) {
    const m = e.raw.match(/^event: (\S+)$/m);
    assert.ok(m, `every event has a name: ${e.raw}`);
    const d = JSON.parse(e.data);
    assert.equal(d.type, m[1], 'the event name is the data type');
    names.push(m[1]);
    if (d.type === 'message_start') out.start = d.message;
    if (d.type === 'content_block_start') {
      assert.equal(d.index, out.blocks.length, 'block indexes count up from 0');
      out.blocks.push(d.content_block.type);
      if (d.content_block.type === 'tool_use') out.tools.push({ id: d.content_block.id, name: d.content_block.name, input: null });
      args = '';
    }
    if (d.type === 'content_block_delta') {
      assert.equal(d.index, out.blocks.length - 1, 'deltas belong to the open block');
      if (d.delta.type === 'text_delta') out.text += d.delta.text;
      if (d.delta.type === 'thinking_delta') out.thinking += d.delta.thinking;
      if (d.delta.type === 'signature_delta') out.signature += d.delta.signature;
      if (d.delta.type === 'input_json_delta') args += d.delta.partial_json;
    }
    if (d.type === 'content_block_stop' && out.blocks[d.index] === 'tool_use') out.tools.at(-1).input = JSON.parse(args || '{}');
    if (d.type === 'message_delta') {
      out.stop = d.delta.stop_reason;
      out.usage = d.usage;
    }
    if (d.type === 'error') out.error = d.error;
  }
  out.names = names;
  return out;
}

/**
 * message_start, blocks (start, deltas, stop; one open at a time),
 * message_delta, message_stop; pings anywhere (a translated stream sends one
 * right after message_start; an Anthropic upstream's own events pass as they came).
 */
function assertSequence(all, { translated = true } = {}) {
  const names = all.filter((n) => n !== 'ping');
  if (translated) assert.equal(all[1], 'ping', 'a ping follows message_start');
  assert.equal(names[0], 'message_start');
  assert.deepEqual(names.slice(-2), ['message_delta', 'message_stop']);
  let open = false;
  for (const n of names.slice(1, -2)) {
    if (n === 'content_block_start') {
      assert.ok(!open, 'one block open at a time');
      open = true;
    } else if (n === 'content_block_stop') {
      assert.ok(open);
      open = false;
    } else {
      assert.equal(n, 'content_block_delta');
      assert.ok(open, 'deltas only inside a block');
    }
  }
  assert.ok(!open, 'every block closed before message_delta');
}

describe('anthropic dialect: OpenAI-format upstream', () => {
  test('a message: Anthropic shape, the client\'s model, usage', async () => {
    const r = await messages(base('oa'));
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.match(m.id, /^msg_/);
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, 'oa');
    assert.equal(m.content.length, 1);
    assert.equal(m.content[0].type, 'text');
    assert.match(m.content[0].text, /mock/);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.stop_sequence, null);
    assert.equal(m.usage.input_tokens, 3, 'the mock counts the words of the prompt');
    assert.ok(m.usage.output_tokens > 0);
    assert.equal(m.usage.cache_read_input_tokens, 0);
    assert.equal(m.usage.cache_creation_input_tokens, 0);
  });

  test('the upstream gets the canonical chat request', async () => {
    const r = await messages(
      base('oa', {
        system: [{ type: 'text', text: 'Be brief.' }],
        stop_sequences: ['END'],
        temperature: 0.2,
        top_p: 0.9,
        metadata: { user_id: 'u-42' },
      }),
    );
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'gpt-up');
    assert.deepEqual(last.body.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: 'hello there friend' },
    ]);
    assert.equal(last.body.max_tokens, 100);
    assert.deepEqual(last.body.stop, ['END']);
    assert.equal(last.body.temperature, 0.2);
    assert.equal(last.body.top_p, 0.9);
    assert.equal(last.body.user, 'u-42');
    assert.equal(last.body.stop_sequences, undefined, 'no Anthropic-only field goes to an OpenAI upstream');
    assert.equal(last.body.metadata, undefined);
  });

  test('x-api-key authenticates, as Anthropic SDKs send it; /messages works too', async () => {
    const r = await messages(base('oa'), { key: null, headers: { 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01' } });
    assert.equal(r.status, 200, r.text);
    const r2 = await messages(base('oa'), { path: '/messages' });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.type, 'message');
  });

  test('a stream: the exact event sequence, text and usage', async () => {
    const r = await stream(base('oa'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.ok(!r.done, 'no [DONE] in an Anthropic stream');
    const a = assemble(r);
    assertSequence(a.names);
    assert.equal(a.start.model, 'oa');
    assert.match(a.start.id, /^msg_/);
    assert.deepEqual(a.start.content, []);
    assert.deepEqual(a.blocks, ['text']);
    assert.match(a.text, /^(mock )+/);
    assert.equal(a.stop, 'end_turn');
    assert.equal(a.usage.input_tokens, 3);
    assert.ok(a.usage.output_tokens > 0);
    const last = await mock.last();
    assert.equal(last.body.stream, true);
    assert.deepEqual(last.body.stream_options, { include_usage: true });
  });

  test('tool history: tool_use and tool_result become tool_calls and a tool message', async () => {
    const r = await messages(
      base('oa', {
        tools: [TOOL],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        messages: [
          { role: 'user', content: 'weather in Paris?' },
          { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' }, { type: 'text', text: 'and tomorrow?' }] },
        ],
      }),
    );
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: TOOL.input_schema } }]);
    assert.equal(b.tool_choice, 'required');
    assert.equal(b.parallel_tool_calls, false);
    assert.deepEqual(b.messages.slice(1), [
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'user', content: [{ type: 'text', text: 'and tomorrow?' }] },
    ]);
  });
});

describe('anthropic dialect: Gemini-format upstream', () => {
  test('thinking and a tool call come back as thinking and tool_use blocks', async () => {
    const r = await messages(base('gem', { tools: [TOOL], thinking: { type: 'enabled', budget_tokens: 1024 } }));
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.equal(m.model, 'gem');
    assert.equal(m.stop_reason, 'tool_use');
    assert.deepEqual(m.content[0], { type: 'thinking', thinking: GEM_THOUGHT, signature: '' });
    assert.equal(m.content[1].type, 'tool_use');
    assert.equal(m.content[1].name, 'get_weather');
    assert.deepEqual(m.content[1].input, { city: 'mock' });
    assert.ok(m.content[1].id);
    const b = (await mock.last()).body;
    assert.equal(b.tools[0].functionDeclarations[0].name, 'get_weather');
    assert.deepEqual(b.generationConfig.thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });
  });

  test('a text answer', async () => {
    const r = await messages(base('gem'));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.content, [{ type: 'text', text: GEM_TEXT }]);
    assert.equal(r.json.stop_reason, 'end_turn');
    assert.equal(r.json.usage.input_tokens, 3);
    assert.equal(r.json.usage.output_tokens, 5);
  });

  test('a stream with thinking and a tool call', async () => {
    const r = await stream(base('gem', { tools: [TOOL], thinking: { type: 'enabled', budget_tokens: 2048 } }));
    assert.equal(r.status, 200, r.text);
    const a = assemble(r);
    assertSequence(a.names);
    assert.deepEqual(a.blocks, ['thinking', 'tool_use']);
    assert.equal(a.thinking, GEM_THOUGHT);
    assert.equal(a.tools.length, 1);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.deepEqual(a.tools[0].input, { city: 'mock' });
    assert.equal(a.stop, 'tool_use');
    assert.deepEqual((await mock.last()).body.generationConfig.thinkingConfig, { thinkingBudget: 2048, includeThoughts: true });
  });

  test('tool round trip: the tool_result goes back, the answer is text', async () => {
    const first = await messages(base('gem', { tools: [TOOL] }));
    assert.equal(first.status, 200, first.text);
    const call = first.json.content.find((c) => c.type === 'tool_use');
    assert.ok(call, first.text);
    const r = await messages(
      base('gem', {
        tools: [TOOL],
        messages: [
          { role: 'user', content: 'hello there friend' },
          { role: 'assistant', content: first.json.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: [{ type: 'text', text: '18C' }] }] },
        ],
      }),
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.content, [{ type: 'text', text: GEM_TEXT }]);
    assert.equal(r.json.stop_reason, 'end_turn');
    const contents = (await mock.last()).body.contents;
    assert.equal(contents.length, 3);
    assert.deepEqual(contents[1].parts.find((p) => p.functionCall).functionCall, { name: 'get_weather', args: { city: 'mock' } });
    const fr = contents[2].parts.find((p) => p.functionResponse);
    assert.ok(fr, JSON.stringify(contents));
    assert.equal(fr.functionResponse.name, 'get_weather');
  });
});

describe('anthropic dialect: Anthropic-format upstream', () => {
  test('signed thinking, cache_control and the budget survive the round trip', async () => {
    const r = await messages(
      base('cl', {
        system: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral' } }],
        tools: [TOOL],
        thinking: { type: 'enabled', budget_tokens: 1500 },
      }),
    );
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.equal(m.content[0].type, 'thinking');
    assert.ok(m.content[0].signature, 'the signature comes back');
    assert.equal(m.content[1].type, 'tool_use');
    let up = (await mock.last()).body;
    assert.deepEqual(up.system, [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(up.thinking, { type: 'enabled', budget_tokens: 1500 });
    // the next turn sends the signed thinking block back unchanged
    const r2 = await messages(
      base('cl', {
        tools: [TOOL],
        thinking: { type: 'enabled', budget_tokens: 1500 },
        messages: [
          { role: 'user', content: 'hello there friend' },
          { role: 'assistant', content: m.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: m.content[1].id, content: 'sunny' }] },
        ],
      }),
    );
    assert.equal(r2.status, 200, r2.text);
    up = (await mock.last()).body;
    assert.deepEqual(up.messages[1].content[0], m.content[0]);
    assert.deepEqual(up.messages[1].content[1], m.content[1]);
    assert.deepEqual(up.messages[2].content, [{ type: 'tool_result', tool_use_id: m.content[1].id, content: 'sunny' }]);
  });

  test('a stream: thinking with its signature_delta, then tool_use', async () => {
    const r = await stream(base('cl', { tools: [TOOL], thinking: { type: 'enabled', budget_tokens: 1024 } }));
    assert.equal(r.status, 200, r.text);
    const a = assemble(r);
    assertSequence(a.names, { translated: false });
    assert.deepEqual(a.blocks, ['thinking', 'tool_use']);
    assert.ok(a.thinking.length > 0);
    assert.ok(a.signature.length > 0);
    assert.deepEqual(a.tools[0].input, { query: 'mock' });
    assert.equal(a.stop, 'tool_use');
  });
});

describe('anthropic dialect: errors', () => {
  function assertError(r, status, type) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.json?.type, 'error', r.text);
    assert.equal(r.json.error.type, type, r.text);
    assert.equal(typeof r.json.error.message, 'string');
  }

  test('a wrong key: 401 authentication_error', async () => {
    assertError(await messages(base('oa'), { key: 'sk-wrong' }), 401, 'authentication_error');
    assertError(await messages(base('oa'), { key: null, headers: { 'x-api-key': 'sk-wrong' } }), 401, 'authentication_error');
  });

  test('an unknown model: Anthropic\'s error shape', async () => {
    const r = await messages(base('no-such-model'));
    assert.ok(r.status === 400 || r.status === 404, r.text);
    assertError(r, r.status, r.status === 404 ? 'not_found_error' : 'invalid_request_error');
    assert.match(r.json.error.message, /no-such-model/);
  });

  test('a malformed body: 400 invalid_request_error', async () => {
    assertError(await messages('{"model": "oa", '), 400, 'invalid_request_error');
    assertError(await messages('[1,2]'), 400, 'invalid_request_error');
  });

  test('missing max_tokens, a bad block: 400 naming the field', async () => {
    let r = await messages({ model: 'oa', messages: [{ role: 'user', content: 'hi' }] });
    assertError(r, 400, 'invalid_request_error');
    assert.equal(r.json.error.message, 'max_tokens: Field required');
    r = await messages(base('oa', { messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }));
    assertError(r, 400, 'invalid_request_error');
    assert.match(r.json.error.message, /^messages\.0\.content\.0\.type: /);
    r = await messages({ max_tokens: 5, messages: [] });
    assertError(r, 400, 'invalid_request_error');
    assert.equal(r.json.error.message, 'model: Field required');
  });

  test('upstream statuses: 429 rate_limit_error, 529 overloaded_error', async () => {
    assertError(await messages(base('oa-429')), 429, 'rate_limit_error');
    assertError(await messages(base('cl-529')), 529, 'overloaded_error');
  });

  test('an error before a stream starts is a JSON error, not a stream', async () => {
    const r = await stream(base('oa-429'));
    assert.equal(r.status, 429);
    const j = JSON.parse(r.text);
    assert.equal(j.type, 'error');
    assert.equal(j.error.type, 'rate_limit_error');
  });

  test('upstream failure mid-stream: an `event: error`', async () => {
    for (const [model, type] of [
      ['gem-midstream', 'rate_limit_error'],
      ['cl-midstream', 'overloaded_error'],
      ['oa-cut', null],
    ]) {
      const r = await stream(base(model));
      assert.equal(r.status, 200, `${model}: ${r.text}`);
      const ev = r.events.find((x) => /^event: error$/m.test(x.raw));
      assert.ok(ev, `${model}: an error event: ${r.text}`);
      const e = JSON.parse(ev.data);
      assert.equal(e.type, 'error');
      if (type) assert.equal(e.error.type, type, `${model}: ${r.text}`);
      else assert.ok(['api_error', 'overloaded_error'].includes(e.error.type), `${model}: ${r.text}`);
      assert.ok(!r.events.some((x) => /^event: message_stop$/m.test(x.raw)), `${model}: no message_stop after a failure`);
    }
  });
});

describe('anthropic dialect: raw requests', () => {
  test('the body is checked before any provider is called', async () => {
    const before = await mock.modelRequests();
    const r = await request(lx.url(MSG), { method: 'POST', body: { model: 'oa', max_tokens: 'many', messages: [] } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.equal(await mock.modelRequests(), before);
  });
});
