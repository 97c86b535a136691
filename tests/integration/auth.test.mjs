// Authentication: the master key in every header LiteLLM reads, and the 401
// envelope when it is missing or wrong.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MASTER_KEY, cleanup, config, dep, envelopeProblem, startLlmux, startMock } from '../lib/harness.mjs';

let mock;
let lx;

const BODY = { model: 'gpt-ok', messages: [{ role: 'user', content: 'hi' }] };

before(async () => {
  mock = await startMock();
  lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock)]));
});

after(cleanup);

function assert401(r, what) {
  assert.equal(r.status, 401, `${what}: ${r.text}`);
  assert.equal(envelopeProblem(r.json, 401), null, `${what}: ${r.text}`);
  assert.match(r.json.error.message, /^Authentication Error/, what);
  assert.equal(r.json.error.type, 'auth_error', what);
  assert.equal(r.json.error.param, null, what);
  assert.equal(r.json.error.code, '401', what);
}

describe('accepted key headers', () => {
  const forms = {
    'Authorization: Bearer': { authorization: `Bearer ${MASTER_KEY}` },
    'authorization: bearer (lower case)': { authorization: `bearer ${MASTER_KEY}` },
    'x-api-key': { 'x-api-key': MASTER_KEY },
    'api-key': { 'api-key': MASTER_KEY },
    'x-litellm-api-key': { 'x-litellm-api-key': MASTER_KEY },
    'x-litellm-api-key wins over a provider key in Authorization': {
      'x-litellm-api-key': MASTER_KEY,
      authorization: 'Bearer sk-some-provider-key',
    },
  };
  for (const [name, headers] of Object.entries(forms)) {
    test(`${name} authenticates chat and /v1/models`, async () => {
      const before = await mock.count('/v1/chat/completions');
      const r = await lx.req('/v1/chat/completions', { method: 'POST', key: null, headers, body: BODY });
      assert.equal(r.status, 200, r.text);
      assert.equal(await mock.count('/v1/chat/completions'), before + 1);
      const m = await lx.req('/v1/models', { key: null, headers });
      assert.equal(m.status, 200, m.text);
    });
  }
});

describe('rejected', () => {
  const cases = {
    'no key': {},
    'wrong Bearer key': { authorization: 'Bearer sk-wrong' },
    'empty Bearer': { authorization: 'Bearer ' },
    'wrong x-api-key': { 'x-api-key': 'sk-wrong' },
    'wrong api-key': { 'api-key': 'sk-wrong' },
    'wrong x-litellm-api-key': { 'x-litellm-api-key': 'sk-wrong' },
    'master key prefix only': { authorization: `Bearer ${MASTER_KEY.slice(0, -1)}` },
    'master key plus a suffix': { authorization: `Bearer ${MASTER_KEY}x` },
  };
  for (const [name, headers] of Object.entries(cases)) {
    test(`${name} → 401 auth_error envelope, and no upstream call`, async () => {
      const before = await mock.count('/v1/chat/completions');
      const r = await lx.req('/v1/chat/completions', { method: 'POST', key: null, headers, body: BODY });
      assert401(r, `chat with ${name}`);
      assert.equal(await mock.count('/v1/chat/completions'), before, 'a rejected call never reaches the upstream');
      assert401(await lx.req('/v1/models', { key: null, headers }), `/v1/models with ${name}`);
      assert401(await lx.req('/v1/embeddings', { method: 'POST', key: null, headers, body: { model: 'gpt-ok', input: 'x' } }), `embeddings with ${name}`);
      assert401(await lx.req('/health', { key: null, headers }), `/health with ${name}`);
    });
  }

  test('no key message says no key was passed', async () => {
    const r = await lx.req('/v1/chat/completions', { method: 'POST', key: null, body: BODY });
    assert401(r, 'no key');
    assert.match(r.json.error.message, /No api key passed in/);
  });

  test('a wrong key is never echoed back in full', async () => {
    const secret = 'sk-wrong-0123456789abcdef0123456789';
    const r = await lx.req('/v1/chat/completions', { method: 'POST', key: secret, body: BODY });
    assert401(r, 'wrong key');
    assert.ok(!r.text.includes(secret), 'the full key must not appear in the error');
  });

  test('public routes need no key', async () => {
    for (const p of ['/', '/health/liveliness', '/health/liveness', '/health/readiness']) {
      const r = await lx.req(p, { key: null });
      assert.equal(r.status, 200, p);
    }
  });
});

describe('no master_key configured', () => {
  test('every caller is admin: no key needed', async () => {
    const open = await startLlmux({
      model_list: [dep('gpt-ok', 'up-ok', mock)],
      litellm_settings: { num_retries: 0 },
    });
    try {
      const r = await open.req('/v1/chat/completions', { method: 'POST', key: null, body: BODY });
      assert.equal(r.status, 200, r.text);
      const any = await open.req('/v1/models', { key: 'sk-anything' });
      assert.equal(any.status, 200, any.text);
    } finally {
      await open.stop();
    }
  });
});
