// Routing: wildcard groups, weighted load balancing, model_info.id, and the
// /health endpoint (one real call per deployment).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { UPSTREAM_KEY, cleanup, closedPort, config, dep, startLlmux, startMock } from '../lib/harness.mjs';

let mock;
let lx;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([
      dep('exact', 'exact-up', mock),
      dep('groq/*', '*', mock, { model_info: { id: 'dep-groq' } }),
      dep('*', '*', mock, { model_info: { id: 'dep-star' } }),
      dep('balanced', 'bal-heavy', mock, { weight: 9, model_info: { id: 'dep-heavy' } }),
      dep('balanced', 'bal-light', mock, { weight: 1, model_info: { id: 'dep-light' } }),
    ]),
  );
});

after(cleanup);

describe('wildcards', () => {
  test('an exact group wins over "*"', async () => {
    const r = await lx.chat('exact');
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).body.model, 'exact-up');
  });

  test('"*" with openai/* passes the caller\'s model through', async () => {
    const r = await lx.chat('some-new-model-2026');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-litellm-model-id'], 'dep-star');
    const last = await mock.last();
    assert.equal(last.body.model, 'some-new-model-2026');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
  });

  test('"groq/*" matches by prefix and sends the matched part', async () => {
    const r = await lx.chat('groq/llama-3.3-70b');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-litellm-model-id'], 'dep-groq', 'the prefix wildcard is more specific than "*"');
    assert.equal((await mock.last()).body.model, 'llama-3.3-70b');
  });

  test('wildcards work for embeddings too', async () => {
    const r = await lx.req('/v1/embeddings', { method: 'POST', body: { model: 'any-embedder', input: 'x' } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).body.model, 'any-embedder');
  });

  test('/v1/models lists the concrete groups', async () => {
    const r = await lx.req('/v1/models');
    assert.equal(r.status, 200);
    const ids = r.json.data.map((m) => m.id);
    for (const g of ['exact', 'balanced']) assert.ok(ids.includes(g), `${g} in ${ids}`);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  });
});

describe('load balancing', () => {
  test('weights 9:1 spread calls over both deployments, mostly the heavy one', async () => {
    const counts = { 'dep-heavy': 0, 'dep-light': 0 };
    const N = 200;
    const batch = 20;
    for (let i = 0; i < N; i += batch) {
      const rs = await Promise.all(Array.from({ length: batch }, () => lx.chat('balanced')));
      for (const r of rs) {
        assert.equal(r.status, 200, r.text);
        const id = r.headers['x-litellm-model-id'];
        assert.ok(id in counts, `unexpected model id ${id}`);
        counts[id]++;
      }
    }
    assert.ok(counts['dep-light'] > 0, `the light deployment got some calls: ${JSON.stringify(counts)}`);
    assert.ok(counts['dep-heavy'] > counts['dep-light'] * 2, `the heavy one got clearly more: ${JSON.stringify(counts)}`);
  });

  test('the mock saw the upstream model of the chosen deployment', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await lx.chat('balanced');
      const up = (await mock.last()).body.model;
      assert.equal(up, r.headers['x-litellm-model-id'] === 'dep-heavy' ? 'bal-heavy' : 'bal-light');
    }
  });

  test('a model_info.id as the model goes to that deployment', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await lx.chat('dep-light');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-litellm-model-id'], 'dep-light');
      assert.equal((await mock.last()).body.model, 'bal-light');
    }
  });
});

describe('/health', () => {
  test('one real call per deployment; healthy and unhealthy counted; no secrets', async () => {
    const dead = await closedPort();
    const h = await startLlmux(
      config([
        dep('good', 'health-good', mock, { api_key: 'sk-secret-upstream-key' }),
        dep('bad', 'health-bad', `http://127.0.0.1:${dead}/v1`, { api_key: 'sk-secret-upstream-key' }),
        dep('emb', 'health-emb', mock, { model_info: { mode: 'embedding' }, api_key: 'sk-secret-upstream-key' }),
      ]),
    );
    try {
      const before = await mock.stats();
      const r = await h.req('/health', { timeout: 30000 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.healthy_count, 2, r.text);
      assert.equal(r.json.unhealthy_count, 1, r.text);
      assert.equal(r.json.healthy_endpoints.length, 2);
      assert.equal(r.json.unhealthy_endpoints.length, 1);
      const healthyModels = r.json.healthy_endpoints.map((e) => e.model).sort();
      assert.deepEqual(healthyModels, ['openai/health-emb', 'openai/health-good']);
      assert.equal(r.json.unhealthy_endpoints[0].model, 'openai/health-bad');
      assert.ok(r.json.unhealthy_endpoints[0].error, 'the unhealthy endpoint says why');
      assert.equal(r.json.healthy_endpoints[0].api_base, mock.v1);
      assert.ok(!r.text.includes('sk-secret-upstream-key'), 'never secrets in /health');
      assert.ok(!r.text.includes('sk-test'), 'never the master key in /health');

      const after = await mock.stats();
      const d = (p) => ((after.by_path[p] ?? 0) - (before.by_path[p] ?? 0));
      assert.equal(d('/v1/chat/completions'), 1, 'one chat call for the chat deployment');
      assert.equal(d('/v1/embeddings'), 1, 'one embeddings call for the embedding deployment');
    } finally {
      await h.stop();
    }
  });

  test('/health?model=<group> checks only that group', async () => {
    const r = await lx.req('/health?model=exact', { timeout: 30000 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.healthy_count + r.json.unhealthy_count, 1, r.text);
    assert.equal(r.json.healthy_count, 1);
  });
});
