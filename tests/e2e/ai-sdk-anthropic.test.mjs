// End-to-end: the Vercel AI SDK (`ai` + @ai-sdk/anthropic), unmodified, with
// its Anthropic provider pointed at llmux (createAnthropic({baseURL:
// llmux/v1})): generateText and streamText with one tool, the tool executed by
// the SDK and its result sent back, against a Gemini-format deployment of the
// real mock (it calls the tool, then answers the tool result with text), and
// plain text from an OpenAI-format one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createAnthropic } from '@ai-sdk/anthropic';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, dep, startLlmux, startMock } from '../lib/harness.mjs';

const GEM_TEXT = 'Hello from the Gemini mock.';

let mock;
let lx;
let anthropic;
let calls;

const weather = () =>
  tool({
    description: 'Weather for a city',
    inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async ({ city }) => {
      calls.push(city);
      return { city, temperature: 18 };
    },
  });

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  lx = await startLlmux(
    config([
      dep('oa', 'gpt-up', mock),
      { model_name: 'gem', litellm_params: { model: 'gemini/gemini-2.5-flash', api_base: mock.base, api_key: UPSTREAM_KEY } },
    ]),
  );
  anthropic = createAnthropic({ baseURL: `${lx.base}/v1`, apiKey: MASTER_KEY });
});

after(cleanup);

describe('AI SDK (@ai-sdk/anthropic) against llmux', () => {
  test('generateText: plain text', async () => {
    const r = await generateText({ model: anthropic('oa'), prompt: 'hello there', maxRetries: 0 });
    assert.match(r.text, /mock/);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.usage.inputTokens, 2);
    assert.ok(r.usage.outputTokens > 0);
  });

  test('generateText with one tool: called, executed, answered', async () => {
    calls = [];
    const r = await generateText({
      model: anthropic('gem'),
      prompt: 'weather in Paris?',
      tools: { get_weather: weather() },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    assert.deepEqual(calls, ['mock']);
    assert.equal(r.steps.length, 2);
    assert.equal(r.steps[0].finishReason, 'tool-calls');
    assert.equal(r.steps[0].toolCalls[0].toolName, 'get_weather');
    assert.deepEqual(r.steps[0].toolCalls[0].input, { city: 'mock' });
    assert.equal(r.text, GEM_TEXT);
    assert.equal(r.finishReason, 'stop');
    const contents = (await mock.last()).body.contents;
    assert.ok(
      contents.flatMap((c) => c.parts).some((p) => p.functionResponse?.name === 'get_weather'),
      'the tool result reached the upstream',
    );
  });

  test('streamText with one tool: streamed call, executed, streamed answer', async () => {
    calls = [];
    const r = streamText({
      model: anthropic('gem'),
      prompt: 'weather in Paris?',
      tools: { get_weather: weather() },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const kinds = new Set();
    let text = '';
    for await (const part of r.fullStream) {
      kinds.add(part.type);
      if (part.type === 'text-delta') text += part.text;
      if (part.type === 'error') throw part.error;
    }
    assert.ok(kinds.has('tool-call'), [...kinds].join(','));
    assert.ok(kinds.has('tool-result'), [...kinds].join(','));
    assert.deepEqual(calls, ['mock']);
    assert.equal(text, GEM_TEXT);
    assert.equal(await r.finishReason, 'stop');
    const usage = await r.totalUsage;
    assert.ok(usage.outputTokens > 0);
  });
});
