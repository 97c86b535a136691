// Token counting: /v1/messages/count_tokens (Anthropic) and :countTokens
// (Gemini). A deployment that speaks the client's dialect answers with the
// provider's own counting API (checked at llmux-mock, whose count is not
// llmux's estimate); any other deployment, or a failed count, answers the
// estimate. x-llmux-token-count says which.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MASTER_KEY, UPSTREAM_KEY, cleanup, config, dep, request, startLlmux, startMock } from '../lib/harness.mjs';

let mock;
let lx;

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  const native = (name, model, extra = {}) => ({
    model_name: name,
    litellm_params: { model, api_base: mock.base, api_key: UPSTREAM_KEY, ...extra },
  });
  lx = await startLlmux(
    config([
      native('claude', 'anthropic/claude-count-1'),
      native('claude-down', 'anthropic/mock-status-500'),
      native('gem', 'gemini/gemini-2.5-flash'),
      dep('gpt', 'up-openai', mock),
    ]),
  );
});

after(cleanup);

const MESSAGES = [{ role: 'user', content: 'one two three four five' }];

function count(body, { key = MASTER_KEY } = {}) {
  return request(lx.url('/v1/messages/count_tokens'), { method: 'POST', key: null, headers: { 'x-api-key': key }, body });
}

function gcount(model, body, { key = MASTER_KEY } = {}) {
  return request(lx.url(`/v1beta/models/${model}:countTokens`), {
    method: 'POST',
    key: null,
    headers: { 'x-goog-api-key': key },
    body,
  });
}

describe('/v1/messages/count_tokens', () => {
  test("an anthropic/ deployment: the provider's count, the body as sent with the model rewritten", async () => {
    const r = await count({ model: 'claude', system: 'be brief', messages: MESSAGES });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-llmux-token-count'], 'provider');
    assert.deepEqual(r.json, { input_tokens: 5 + 2 + 7 }); // the mock: words + 7
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages/count_tokens');
    assert.equal(last.headers['x-api-key'], UPSTREAM_KEY, 'the deployment key, not the client one');
    assert.ok(last.headers['anthropic-version']);
    assert.equal(last.body.model, 'claude-count-1');
    assert.equal(last.body.system, 'be brief');
    assert.deepEqual(last.body.messages, MESSAGES);
  });

  test('an OpenAI-format deployment: the estimate', async () => {
    const r = await count({ model: 'gpt', messages: MESSAGES });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-llmux-token-count'], 'estimate');
    assert.ok(Number.isInteger(r.json.input_tokens) && r.json.input_tokens > 0);
  });

  test('the provider failing: the estimate, not an error', async () => {
    const r = await count({ model: 'claude-down', messages: MESSAGES });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-llmux-token-count'], 'estimate');
  });

  test('errors in the Anthropic shape: wrong key, unknown model, no model, malformed body', async () => {
    let r = await count({ model: 'claude', messages: MESSAGES }, { key: 'sk-wrong' });
    assert.equal(r.status, 401);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'authentication_error');
    r = await count({ model: 'nope', messages: MESSAGES });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.match(r.json.error.message, /nope/);
    r = await count({ messages: MESSAGES });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /model/);
    r = await request(lx.url('/v1/messages/count_tokens'), {
      method: 'POST',
      key: null,
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' },
      body: '{"model":',
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.type, 'error');
  });
});

describe(':countTokens', () => {
  test("a gemini/ deployment: the provider's count", async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'one two three' }] }] };
    const r = await gcount('gem', body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-llmux-token-count'], 'provider');
    assert.deepEqual(r.json, { totalTokens: 3 + 3 });
    const last = await mock.last();
    assert.match(last.path, /\/models\/gemini-2\.5-flash:countTokens$/);
    assert.deepEqual(last.body, body);
  });

  test('another deployment: the estimate; key by ?key= works; a wrong key is Google-shaped', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'one two three' }] }] };
    let r = await request(lx.url(`/v1beta/models/gpt:countTokens?key=${MASTER_KEY}`), { method: 'POST', key: null, body });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-llmux-token-count'], 'estimate');
    assert.ok(r.json.totalTokens > 0);
    r = await gcount('gpt', body, { key: 'sk-wrong' });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 401);
    assert.equal(r.json.error.status, 'UNAUTHENTICATED');
  });
});
