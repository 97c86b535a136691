// End-to-end: the Vercel AI SDK (`ai` + `@ai-sdk/openai`), whose
// provider(model) speaks the Responses API, against llmux bridging it to an
// Anthropic-format upstream (llmux-mock): generateText and streamText, with
// and without one tool.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, startLlmux, startMock } from '../lib/harness.mjs';

const TEXT = 'Hello from the mock Anthropic model.';

let mock;
let lx;
let provider;

const lookup = () =>
  tool({
    description: 'Look something up',
    inputSchema: jsonSchema({
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
      additionalProperties: false,
    }),
    execute: async ({ query }) => ({ answer: `found ${query}` }),
  });

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([{ model_name: 'claude', litellm_params: { model: 'anthropic/claude-mock-1', api_base: mock.base, api_key: UPSTREAM_KEY } }]),
    { env: { LLMUX_DB: '' } },
  );
  provider = createOpenAI({ baseURL: `${lx.base}/v1`, apiKey: MASTER_KEY });
});

after(cleanup);

describe('AI SDK (@ai-sdk/openai, Responses API)', () => {
  test('generateText', async () => {
    const r = await generateText({ model: provider('claude'), prompt: 'hello from the ai sdk', maxRetries: 0 });
    assert.equal(r.text, TEXT);
    assert.equal(r.finishReason, 'stop');
    assert.ok(r.usage.inputTokens > 0);
    assert.ok(r.usage.outputTokens > 0);
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
  });

  test('generateText with one tool', async () => {
    const r = await generateText({
      model: provider('claude'),
      prompt: 'look up x',
      tools: { lookup: lookup() },
      toolChoice: 'required',
      maxRetries: 0,
    });
    assert.equal(r.toolCalls.length, 1);
    assert.equal(r.toolCalls[0].toolName, 'lookup');
    assert.deepEqual(r.toolCalls[0].input, { query: 'mock' });
    assert.equal(r.toolResults.length, 1);
    assert.deepEqual(r.toolResults[0].output, { answer: 'found mock' });
    const last = await mock.last();
    assert.equal(last.body.tools[0].name, 'lookup');
  });

  test('two steps: the tool result goes back with item_reference to our stored call', async () => {
    const r = await generateText({
      model: provider('claude'),
      prompt: 'look up x',
      tools: { lookup: lookup() },
      stopWhen: stepCountIs(2),
      prepareStep: ({ stepNumber }) => (stepNumber === 1 ? { toolChoice: 'none' } : {}),
      maxRetries: 0,
    });
    assert.equal(r.steps.length, 2);
    assert.equal(r.steps[0].toolCalls.length, 1);
    assert.equal(r.text, TEXT);
    const last = await mock.last();
    const blocks = last.body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
    const use = blocks.find((b) => b.type === 'tool_use');
    assert.ok(use, JSON.stringify(last.body.messages));
    assert.ok(blocks.some((b) => b.type === 'tool_result' && b.tool_use_id === use.id));
  });

  test('streamText', async () => {
    const r = streamText({ model: provider('claude'), prompt: 'hello from the ai sdk', maxRetries: 0 });
    let text = '';
    for await (const part of r.textStream) text += part;
    assert.equal(text, TEXT);
    assert.equal(await r.finishReason, 'stop');
    const usage = await r.usage;
    assert.ok(usage.outputTokens > 0);
  });

  test('streamText with one tool', async () => {
    const r = streamText({
      model: provider('claude'),
      prompt: 'look up x',
      tools: { lookup: lookup() },
      maxRetries: 0,
    });
    const calls = await r.toolCalls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0].toolName, 'lookup');
    assert.deepEqual(calls[0].input, { query: 'mock' });
    const results = await r.toolResults;
    assert.deepEqual(results[0].output, { answer: 'found mock' });
  });
});
