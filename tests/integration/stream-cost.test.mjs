// litellm_settings.include_cost_in_streaming_usage: the usage chunk of a
// stream carries usage.cost, computed from the deployment's prices, on the
// OpenAI fast path (spliced into the upstream's bytes) and on translated
// families (the adapter's usage chunk); without the setting no cost appears.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { UPSTREAM_KEY, cleanup, config, dep, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const PRICES = { input_cost_per_token: 0.001, output_cost_per_token: 0.002 };

let mock;
let on;
let off;

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  const models = [
    dep('gpt', 'up-openai', mock, PRICES),
    {
      model_name: 'claude',
      litellm_params: { model: 'anthropic/claude-cost-1', api_base: mock.base, api_key: UPSTREAM_KEY, ...PRICES },
    },
    dep('unpriced', 'up-unpriced-model', mock),
  ];
  on = await startLlmux(config(models, { litellm: { include_cost_in_streaming_usage: true } }));
  off = await startLlmux(config(models));
});

after(cleanup);

function stream(lx, model, includeUsage = true) {
  return streamRequest(lx.url('/v1/chat/completions'), {
    body: {
      model,
      messages: [{ role: 'user', content: 'hello there' }],
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    },
  });
}

function usageChunk(r) {
  const u = r.json.filter((c) => c.usage && Array.isArray(c.choices) && c.choices.length === 0);
  assert.equal(u.length, 1, `one usage chunk: ${r.text.slice(-400)}`);
  return u[0].usage;
}

const expected = (u) => u.prompt_tokens * PRICES.input_cost_per_token + u.completion_tokens * PRICES.output_cost_per_token;

describe('include_cost_in_streaming_usage', () => {
  for (const model of ['gpt', 'claude']) {
    test(`${model}: usage.cost is the call's cost`, async () => {
      const r = await stream(on, model);
      assert.equal(r.status, 200);
      assert.ok(r.done);
      const u = usageChunk(r);
      assert.ok(u.prompt_tokens > 0 && u.completion_tokens > 0);
      assert.equal(typeof u.cost, 'number');
      assert.ok(Math.abs(u.cost - expected(u)) < 1e-12, `${u.cost} vs ${expected(u)}`);
    });
  }

  test('the rest of the upstream usage chunk is unchanged on the fast path', async () => {
    const r = await stream(on, 'gpt');
    const u = usageChunk(r);
    const { cost, ...rest } = u;
    assert.ok(cost > 0);
    const plain = usageChunk(await stream(off, 'gpt'));
    assert.deepEqual(Object.keys(rest).sort(), Object.keys(plain).sort());
  });

  test('off by default; no price known: no cost; no usage asked: no usage chunk', async () => {
    assert.equal(usageChunk(await stream(off, 'gpt')).cost, undefined);
    assert.equal(usageChunk(await stream(off, 'claude')).cost, undefined);
    assert.equal(usageChunk(await stream(on, 'unpriced')).cost, undefined);
    const r = await stream(on, 'claude', false);
    assert.equal(r.json.filter((c) => c.usage).length, 0);
  });
});
