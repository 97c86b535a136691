// The Gemini inbound dialect: POST /v1beta/models/{model}:generateContent and
// :streamGenerateContent served from an OpenAI-format deployment and an
// Anthropic-format one (both llmux-mock). Checks what the client gets (Google's
// GenerateContentResponse, `data: {...}\r\n\r\n` events, Google's error shape)
// and what the mock got (the canonical request, translated once more for
// Anthropic): text, parameters, a function call round trip, auth by
// x-goog-api-key and ?key=, wrong key, unknown model, malformed bodies,
// upstream failures before and during a stream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  MASTER_KEY,
  UPSTREAM_KEY,
  cleanup,
  config,
  dep,
  request,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

const ANTH_TEXT = 'Hello from the mock Anthropic model.';
const MOCK_TEXT = 'mock '.repeat(16); // the OpenAI mock's default 80 bytes

let mock;
let lx;

function adep(name, upstream) {
  return {
    model_name: name,
    litellm_params: { model: `anthropic/${upstream}`, api_base: mock.base, api_key: UPSTREAM_KEY },
  };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([
      dep('g-openai', 'up-openai', mock),
      dep('g-500', 'mock-status-500', mock),
      dep('g-429', 'mock-status-429', mock),
      dep('g-cut', 'mock-fault-disconnect-3', mock),
      adep('g-claude', 'claude-mock-1'),
      adep('g-claude-midstream', 'mock-stream-error'),
    ]),
  );
});

after(cleanup);

const USER = { role: 'user', parts: [{ text: 'hello there friend' }] };

/** POST :generateContent; the key goes in x-goog-api-key unless `query` puts it in ?key=. */
function generate(model, body, { key = MASTER_KEY, query = false, headers = {} } = {}) {
  const q = query ? `?key=${encodeURIComponent(key)}` : '';
  const h = { ...headers };
  if (!query && key !== null) h['x-goog-api-key'] = key;
  return request(lx.url(`/v1beta/models/${model}:generateContent${q}`), { method: 'POST', key: null, headers: h, body });
}

function streamGenerate(model, body, { key = MASTER_KEY, alt = true } = {}) {
  const q = [alt ? 'alt=sse' : '', `key=${encodeURIComponent(key)}`].filter(Boolean).join('&');
  return streamRequest(lx.url(`/v1beta/models/${model}:streamGenerateContent?${q}`), { key: null, body });
}

/** The text of the non-thought parts of candidate 0 over a list of responses. */
function textOf(responses) {
  return responses
    .flatMap((r) => r.candidates?.[0]?.content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('');
}

/** Asserts Google's error shape: {"error":{"code","message","status"}} with the HTTP status as code. */
function assertGoogleError(r, status, rpc, message) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'], /application\/json/);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.equal(r.json.error.code, status);
  assert.equal(r.json.error.status, rpc);
  assert.equal(typeof r.json.error.message, 'string');
  if (message) assert.match(r.json.error.message, message);
}

describe('gemini dialect: OpenAI-format deployment', () => {
  test('generateContent: a GenerateContentResponse; the mock gets a chat request', async () => {
    const r = await generate('g-openai', {
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [USER],
      generationConfig: { temperature: 0.3, topP: 0.5, maxOutputTokens: 64, stopSequences: ['END'], seed: 3 },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /application\/json/);
    const c = r.json.candidates[0];
    assert.equal(c.content.role, 'model');
    assert.deepEqual(c.content.parts, [{ text: MOCK_TEXT }]);
    assert.equal(c.finishReason, 'STOP');
    assert.equal(c.index, 0);
    assert.deepEqual(r.json.usageMetadata, { promptTokenCount: 5, candidatesTokenCount: 16, totalTokenCount: 21 });
    assert.equal(r.json.modelVersion, 'g-openai');
    assert.match(r.json.responseId, /^chatcmpl-mock-/);

    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.deepEqual(last.body, {
      model: 'up-openai',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there friend' },
      ],
      temperature: 0.3,
      top_p: 0.5,
      max_tokens: 64,
      seed: 3,
      stop: ['END'],
      stream: false,
    });
  });

  test('streamGenerateContent?alt=sse: CRLF-framed events, finishReason and usage last', async () => {
    const r = await streamGenerate('g-openai', { contents: [USER] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.match(r.text, /^data: \{/);
    assert.ok(r.text.endsWith('}\r\n\r\n'), JSON.stringify(r.text.slice(-40)));
    assert.equal(r.text.split('\r\n\r\n').length - 1, r.json.length, 'every event ends with a blank CRLF line');
    assert.ok(r.json.length >= 3, `events: ${r.json.length}`);
    assert.equal(textOf(r.json), MOCK_TEXT);
    for (const ev of r.json.slice(0, -1)) {
      assert.equal(ev.candidates[0].finishReason, undefined);
      assert.equal(ev.usageMetadata, undefined);
      assert.equal(ev.modelVersion, 'g-openai');
    }
    const lastEv = r.json.at(-1);
    assert.equal(lastEv.candidates[0].finishReason, 'STOP');
    assert.deepEqual(lastEv.usageMetadata, { promptTokenCount: 3, candidatesTokenCount: 16, totalTokenCount: 19 });
    assert.ok(r.json.every((ev) => ev.responseId === lastEv.responseId));

    const last = await mock.last();
    assert.equal(last.body.stream, true);
    assert.deepEqual(last.body.stream_options, { include_usage: true });
  });

  test("streamGenerateContent without alt=sse streams Google's JSON array", async () => {
    for (const model of ['g-openai', 'g-claude']) {
      const r = await streamGenerate(model, { contents: [USER] }, { alt: false });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /application\/json/);
      assert.ok(!r.text.includes('data:'), 'no SSE framing');
      const arr = JSON.parse(r.text); // the whole body is one JSON array of responses
      assert.ok(Array.isArray(arr) && arr.length >= 2, r.text);
      assert.equal(textOf(arr), model === 'g-openai' ? MOCK_TEXT : ANTH_TEXT);
      assert.equal(arr.at(-1).candidates[0].finishReason, 'STOP');
      assert.ok(arr.at(-1).usageMetadata.totalTokenCount > 0);
    }
  });

  test('a failure mid-stream in the JSON-array form ends with an error element and a closed array', async () => {
    const r = await streamGenerate('g-claude-midstream', { contents: [USER] }, { alt: false });
    assert.equal(r.status, 200, r.text);
    const arr = JSON.parse(r.text);
    assert.ok(arr.at(-1).error, r.text);
    assert.equal(typeof arr.at(-1).error.code, 'number');
  });

  test('a function call conversation becomes tool_calls and tool messages with matching ids', async () => {
    const r = await generate('g-openai', {
      contents: [
        USER,
        { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { query: 'q1' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { result: 'r1' } } }] },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'lookup',
              description: 'Look something up',
              parameters: { type: 'OBJECT', properties: { query: { type: 'STRING' } }, required: ['query'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });
    assert.equal(r.status, 200, r.text);
    const body = (await mock.last()).body;
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Look something up',
          parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
        },
      },
    ]);
    assert.equal(body.tool_choice, 'auto');
    const [, call, result] = body.messages;
    assert.equal(call.role, 'assistant');
    assert.equal(call.tool_calls[0].function.name, 'lookup');
    assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { query: 'q1' });
    assert.deepEqual(result, { role: 'tool', tool_call_id: call.tool_calls[0].id, content: '{"result":"r1"}' });
  });
});

describe('gemini dialect: Anthropic-format deployment', () => {
  test('generateContent: Messages API upstream, Gemini answer', async () => {
    const r = await generate('g-claude', {
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [USER],
      generationConfig: { maxOutputTokens: 100 },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.candidates[0].content, { parts: [{ text: ANTH_TEXT }], role: 'model' });
    assert.equal(r.json.candidates[0].finishReason, 'STOP');
    assert.deepEqual(r.json.usageMetadata, { promptTokenCount: 5, candidatesTokenCount: 6, totalTokenCount: 11 });
    assert.equal(r.json.modelVersion, 'g-claude');
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.body.model, 'claude-mock-1');
    assert.equal(last.body.max_tokens, 100);
    assert.equal(last.body.system, 'Be brief.');
  });

  test('streamGenerateContent?alt=sse from Anthropic events', async () => {
    const r = await streamGenerate('g-claude', { contents: [USER] });
    assert.equal(r.status, 200, r.text);
    assert.equal(textOf(r.json), ANTH_TEXT);
    assert.equal(r.json.at(-1).candidates[0].finishReason, 'STOP');
    assert.equal(r.json.at(-1).usageMetadata.totalTokenCount, r.json.at(-1).usageMetadata.promptTokenCount + 6);
  });

  test('function call round trip: functionCall out, functionResponse back as a tool_result', async () => {
    const tools = [
      { functionDeclarations: [{ name: 'lookup', parameters: { type: 'OBJECT', properties: { query: { type: 'STRING' } } } }] },
    ];
    const r1 = await generate('g-claude', { contents: [USER], tools });
    assert.equal(r1.status, 200, r1.text);
    const part = r1.json.candidates[0].content.parts.find((p) => p.functionCall);
    assert.ok(part, r1.text);
    assert.equal(part.functionCall.name, 'lookup');
    assert.deepEqual(part.functionCall.args, { query: 'mock' });
    assert.match(part.functionCall.id, /^toolu_/);
    assert.equal(r1.json.candidates[0].finishReason, 'STOP');
    assert.deepEqual((await mock.last()).body.tools, [
      { name: 'lookup', input_schema: { type: 'object', properties: { query: { type: 'string' } } } },
    ]);

    const r2 = await generate('g-claude', {
      contents: [
        USER,
        r1.json.candidates[0].content,
        { role: 'user', parts: [{ functionResponse: { id: part.functionCall.id, name: 'lookup', response: { answer: 42 } } }] },
      ],
      tools,
      toolConfig: { functionCallingConfig: { mode: 'NONE' } },
    });
    assert.equal(r2.status, 200, r2.text);
    const msgs = (await mock.last()).body.messages;
    const use = msgs[1].content.find((b) => b.type === 'tool_use');
    const res = msgs[2].content.find((b) => b.type === 'tool_result');
    assert.equal(use.id, part.functionCall.id);
    assert.deepEqual(use.input, { query: 'mock' });
    assert.equal(res.tool_use_id, part.functionCall.id);
    assert.match(JSON.stringify(res.content), /answer/);
  });

  test('a streamed function call arrives as one functionCall part with whole args', async () => {
    const r = await streamGenerate('g-claude', {
      contents: [USER],
      tools: [{ functionDeclarations: [{ name: 'lookup' }] }],
    });
    assert.equal(r.status, 200, r.text);
    const calls = r.json.flatMap((ev) => ev.candidates[0].content.parts.filter((p) => p.functionCall));
    assert.equal(calls.length, 1, r.text);
    assert.equal(calls[0].functionCall.name, 'lookup');
    assert.deepEqual(calls[0].functionCall.args, { query: 'mock' });
    assert.equal(r.json.at(-1).candidates[0].finishReason, 'STOP');
  });
});

describe('gemini dialect: auth', () => {
  const body = { contents: [USER] };

  test('x-goog-api-key, ?key= and Authorization: Bearer are accepted', async () => {
    assert.equal((await generate('g-openai', body)).status, 200);
    assert.equal((await generate('g-openai', body, { query: true })).status, 200);
    const r = await request(lx.url('/v1beta/models/g-openai:generateContent'), { method: 'POST', body });
    assert.equal(r.status, 200, r.text);
  });

  test('a wrong key in either place: 401 UNAUTHENTICATED', async () => {
    assertGoogleError(await generate('g-openai', body, { key: 'sk-wrong' }), 401, 'UNAUTHENTICATED');
    assertGoogleError(await generate('g-openai', body, { key: 'sk-wrong', query: true }), 401, 'UNAUTHENTICATED');
  });

  test('no key at all: 401 in Google shape', async () => {
    assertGoogleError(await generate('g-openai', body, { key: null }), 401, 'UNAUTHENTICATED');
  });
});

describe('gemini dialect: errors in Google shape', () => {
  test('unknown model', async () => {
    const r = await generate('no-such-model', { contents: [USER] });
    assert.ok(r.status === 400 || r.status === 404, r.text);
    assertGoogleError(r, r.status, r.status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', /no-such-model/);
  });

  test('a body that is not JSON', async () => {
    assertGoogleError(await generate('g-openai', '{"contents": ['), 400, 'INVALID_ARGUMENT');
  });

  test('contents missing, empty, or with a bad role name the field', async () => {
    assertGoogleError(await generate('g-openai', {}), 400, 'INVALID_ARGUMENT', /contents/);
    assertGoogleError(await generate('g-openai', { contents: [] }), 400, 'INVALID_ARGUMENT', /contents/);
    assertGoogleError(
      await generate('g-openai', { contents: [{ role: 'bot', parts: [{ text: 'x' }] }] }),
      400,
      'INVALID_ARGUMENT',
      /contents\[0\]\.role.*valid role/,
    );
    assertGoogleError(
      await generate('g-openai', { contents: [USER], generationConfig: { temperature: 'hot' } }),
      400,
      'INVALID_ARGUMENT',
      /generationConfig\.temperature/,
    );
  });

  test('a functionResponse without its call', async () => {
    const r = await generate('g-openai', {
      contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }],
    });
    assertGoogleError(r, 400, 'INVALID_ARGUMENT', /functionResponse/);
  });

  test('upstream failures keep their status: 500 INTERNAL, 429 RESOURCE_EXHAUSTED', async () => {
    assertGoogleError(await generate('g-500', { contents: [USER] }), 500, 'INTERNAL');
    assertGoogleError(await generate('g-429', { contents: [USER] }), 429, 'RESOURCE_EXHAUSTED');
  });

  test('a stream that fails before its first event: an error body, not an empty 200', async () => {
    const r = await streamGenerate('g-500', { contents: [USER] });
    assert.equal(r.status, 500, r.text);
    assert.equal(JSON.parse(r.text).error.status, 'INTERNAL');
  });

  test('upstream cut mid-stream (OpenAI format): the events so far, then an error event', async () => {
    const r = await streamGenerate('g-cut', { contents: [USER] });
    assert.equal(r.status, 200);
    const lastEv = r.json.at(-1);
    assert.ok(r.json.length >= 2, r.text);
    assert.equal(lastEv.error?.code, 500, r.text);
    assert.equal(lastEv.error.status, 'INTERNAL');
    assert.ok(r.text.endsWith('\r\n\r\n'));
    assert.ok(r.json.slice(0, -1).every((ev) => ev.candidates && !ev.candidates[0].finishReason));
  });

  test('an Anthropic error event mid-stream: an error event in Google shape', async () => {
    const r = await streamGenerate('g-claude-midstream', { contents: [USER] });
    assert.equal(r.status, 200);
    const lastEv = r.json.at(-1);
    assert.ok(lastEv.error, r.text);
    assert.equal(lastEv.error.message, 'Overloaded');
    assert.equal(lastEv.error.status, 'UNAVAILABLE');
    assert.ok(textOf(r.json.slice(0, -1)).length > 0);
  });
});

describe('gemini dialect: countTokens', () => {
  test('answers {"totalTokens": N}', async () => {
    const r = await request(lx.url('/v1beta/models/g-openai:countTokens'), {
      method: 'POST',
      key: null,
      headers: { 'x-goog-api-key': MASTER_KEY },
      body: { contents: [USER] },
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(Number.isInteger(r.json.totalTokens) && r.json.totalTokens > 0, r.text);
  });
});
