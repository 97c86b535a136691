// End-to-end: Google's @google/genai SDK, unmodified (only apiKey and
// httpOptions.baseUrl changed), against a real llmux in front of the real mock.
// llmux serves Gemini's generateContent from OpenAI-format and Anthropic-format
// deployments: text, streams, chats, function calls and errors as the SDK sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ApiError, GoogleGenAI, Type, createPartFromFunctionResponse } from '@google/genai';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, dep, startLlmux, startMock } from '../lib/harness.mjs';

const MOCK_TEXT = 'mock '.repeat(16); // the OpenAI mock's default answer
const ANTH_TEXT = 'Hello from the mock Anthropic model.';

let mock;
let lx;
let ai;

const lookup = {
  name: 'lookup',
  description: 'Look something up',
  parameters: { type: Type.OBJECT, properties: { query: { type: Type.STRING } }, required: ['query'] },
};

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([
      dep('gemini-ok', 'up-ok', mock),
      dep('gemini-broken', 'mock-status-500', mock),
      dep('gemini-cut', 'mock-fault-disconnect-3', mock),
      {
        model_name: 'gemini-claude',
        litellm_params: { model: 'anthropic/claude-mock-1', api_base: mock.base, api_key: UPSTREAM_KEY },
      },
    ]),
  );
  ai = new GoogleGenAI({ apiKey: MASTER_KEY, httpOptions: { baseUrl: lx.base } });
});

after(cleanup);

describe('@google/genai against an OpenAI-format upstream', () => {
  test('models.generateContent', async () => {
    const r = await ai.models.generateContent({
      model: 'gemini-ok',
      contents: 'hello from the sdk',
      config: { systemInstruction: 'Be brief.', temperature: 0.2, maxOutputTokens: 50 },
    });
    assert.equal(r.text, MOCK_TEXT);
    assert.equal(r.candidates[0].finishReason, 'STOP');
    assert.equal(r.usageMetadata.promptTokenCount, 6);
    assert.equal(r.usageMetadata.candidatesTokenCount, 16);
    assert.equal(r.usageMetadata.totalTokenCount, 22);
    assert.equal(r.modelVersion, 'gemini-ok');
    assert.match(r.responseId, /^chatcmpl-mock-/);
    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'up-ok');
    assert.deepEqual(last.body.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello from the sdk' },
    ]);
    assert.equal(last.body.temperature, 0.2);
    assert.equal(last.body.max_tokens, 50);
  });

  test('models.generateContentStream', async () => {
    const stream = await ai.models.generateContentStream({ model: 'gemini-ok', contents: 'hello from the sdk' });
    let text = '';
    let chunks = 0;
    let last;
    for await (const c of stream) {
      chunks++;
      text += c.text ?? '';
      last = c;
    }
    assert.ok(chunks >= 3, `chunks: ${chunks}`);
    assert.equal(text, MOCK_TEXT);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.equal(last.usageMetadata.promptTokenCount, 4);
    assert.equal(last.usageMetadata.candidatesTokenCount, 16);
    assert.equal((await mock.last()).body.stream, true);
  });

  test('chats: the history goes back as user and assistant messages', async () => {
    const chat = ai.chats.create({ model: 'gemini-ok' });
    const r1 = await chat.sendMessage({ message: 'first question' });
    assert.equal(r1.text, MOCK_TEXT);
    const r2 = await chat.sendMessage({ message: 'second question' });
    assert.equal(r2.text, MOCK_TEXT);
    assert.deepEqual((await mock.last()).body.messages, [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: MOCK_TEXT },
      { role: 'user', content: 'second question' },
    ]);
  });

  test('a function call history: tool_calls and a tool message with the same id', async () => {
    const r = await ai.models.generateContent({
      model: 'gemini-ok',
      contents: [
        { role: 'user', parts: [{ text: 'look up llmux' }] },
        { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { query: 'llmux' } } }] },
        { role: 'user', parts: [createPartFromFunctionResponse('', 'lookup', { output: 'a gateway' })] },
      ],
      config: { tools: [{ functionDeclarations: [lookup] }] },
    });
    assert.equal(r.text, MOCK_TEXT);
    const body = (await mock.last()).body;
    assert.equal(body.tools[0].function.name, 'lookup');
    assert.deepEqual(body.tools[0].function.parameters, {
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
    });
    const [, call, result] = body.messages;
    assert.equal(call.tool_calls[0].function.name, 'lookup');
    assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { query: 'llmux' });
    assert.equal(result.role, 'tool');
    assert.equal(result.tool_call_id, call.tool_calls[0].id);
    assert.deepEqual(JSON.parse(result.content), { output: 'a gateway' });
  });
});

describe('@google/genai: function calls', () => {
  test('response.functionCalls, then the functionResponse round trip', async () => {
    const cfg = { tools: [{ functionDeclarations: [lookup] }] };
    const user = { role: 'user', parts: [{ text: 'look up llmux' }] };
    const r1 = await ai.models.generateContent({ model: 'gemini-claude', contents: [user], config: cfg });
    assert.equal(r1.functionCalls.length, 1);
    const fc = r1.functionCalls[0];
    assert.equal(fc.name, 'lookup');
    assert.deepEqual(fc.args, { query: 'mock' });
    assert.ok(fc.id);

    const r2 = await ai.models.generateContent({
      model: 'gemini-claude',
      contents: [
        user,
        r1.candidates[0].content,
        { role: 'user', parts: [createPartFromFunctionResponse(fc.id, fc.name, { output: 'a gateway' })] },
      ],
      config: { ...cfg, toolConfig: { functionCallingConfig: { mode: 'NONE' } } },
    });
    assert.equal(r2.text, ANTH_TEXT);
    const msgs = (await mock.last()).body.messages;
    assert.equal(msgs[1].content.find((b) => b.type === 'tool_use').id, fc.id);
    assert.equal(msgs[2].content.find((b) => b.type === 'tool_result').tool_use_id, fc.id);
  });

  test('a streamed function call', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-claude',
      contents: 'look up llmux',
      config: { tools: [{ functionDeclarations: [lookup] }] },
    });
    const calls = [];
    for await (const c of stream) calls.push(...(c.functionCalls ?? []));
    assert.equal(calls.length, 1);
    assert.equal(calls[0].name, 'lookup');
    assert.deepEqual(calls[0].args, { query: 'mock' });
  });
});

describe('@google/genai: errors', () => {
  test('a wrong key: ApiError 401', async () => {
    const bad = new GoogleGenAI({ apiKey: 'sk-wrong', httpOptions: { baseUrl: lx.base } });
    await assert.rejects(
      bad.models.generateContent({ model: 'gemini-ok', contents: 'x' }),
      (e) => e instanceof ApiError && e.status === 401 && /UNAUTHENTICATED/.test(e.message),
    );
  });

  test('an unknown model: ApiError with the model named', async () => {
    await assert.rejects(
      ai.models.generateContent({ model: 'no-such-model', contents: 'x' }),
      (e) => e instanceof ApiError && (e.status === 400 || e.status === 404) && /no-such-model/.test(e.message),
    );
  });

  test('an upstream failure: ApiError 500 INTERNAL', async () => {
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-broken', contents: 'x' }),
      (e) => e instanceof ApiError && e.status === 500 && /INTERNAL/.test(e.message),
    );
  });

  test('a stream cut upstream: the SDK throws after the first chunks', async () => {
    const stream = await ai.models.generateContentStream({ model: 'gemini-cut', contents: 'x' });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const c of stream) text += c.text ?? '';
      })(),
      (e) => e instanceof ApiError && e.status === 500,
    );
    assert.ok(text.length > 0, 'some text arrived before the error');
  });
});
