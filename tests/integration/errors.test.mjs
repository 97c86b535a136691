// Errors: the §6.1 envelope for llmux's own errors and for upstream failures,
// retries (counted at the mock), timeouts, unreachable upstreams and
// mid-stream failures.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  UPSTREAM_KEY,
  cleanup,
  closedPort,
  config,
  dep,
  envelopeProblem,
  mockCtl,
  request,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hi' }];

let mock;
let mock2; // requires its own key: upstream 401
let lx;
const RETRIES = 2;

before(async () => {
  mock = await startMock();
  mock2 = await startMock({ apiKey: 'sk-right' });
  const dead = await closedPort();
  lx = await startLlmux(
    config(
      [
        dep('gpt-ok', 'up-ok', mock),
        dep('e429', 'mock-status-429', mock),
        dep('e500', 'mock-status-500', mock),
        dep('e400', 'mock-status-400', mock),
        dep('flaky', 'mock-status-503', mock, { model_info: { id: 'dep-bad' } }),
        dep('flaky', 'up-ok', mock, { model_info: { id: 'dep-good' } }),
        dep('dead', 'up-ok', `http://127.0.0.1:${dead}/v1`),
        dep('reset', 'mock-fault-reset', mock),
        dep('hang', 'mock-fault-hang', mock, { timeout: 1, stream_timeout: 1 }),
        dep('slow', 'mock-latency-4000', mock, { timeout: 1 }),
        dep('cut', 'mock-fault-disconnect-3', mock),
        dep('malformed', 'mock-fault-malformed', mock),
        dep('wrongkey', 'up-ok', mock2.v1, { api_key: 'sk-wrong' }),
      ],
      { litellm: { num_retries: RETRIES } },
    ),
  );
});

after(cleanup);

function assertEnvelope(r, status, what = '') {
  assert.equal(r.status, status, `${what} status: ${r.text}`);
  assert.equal(envelopeProblem(r.json, status), null, `${what} envelope: ${r.text}`);
}

describe("llmux's own errors", () => {
  test('unknown model → 400 naming the model and where to find the available ones', async () => {
    const before = await mock.modelRequests();
    const r = await lx.chat('no-such-model');
    assertEnvelope(r, 400);
    const msg = r.json.error.message;
    assert.match(msg, /no-such-model/);
    assert.ok(/\/v1\/models/.test(msg) || /gpt-ok/.test(msg), `message names the available models or /v1/models: ${msg}`);
    assert.equal(await mock.modelRequests(), before, 'no upstream call for an unknown model');
    assert.ok(r.headers['x-litellm-call-id'], 'error responses of model routes carry x-litellm-call-id');
  });

  test('unknown model on embeddings and completions → 400', async () => {
    assertEnvelope(await lx.req('/v1/embeddings', { method: 'POST', body: { model: 'nope', input: 'x' } }), 400, 'embeddings');
    assertEnvelope(await lx.req('/v1/completions', { method: 'POST', body: { model: 'nope', prompt: 'x' } }), 400, 'completions');
  });

  test('invalid JSON → 400 saying the line and column', async () => {
    const r = await lx.req(CHAT, { method: 'POST', body: '{"model": "gpt-ok",\n  "messages": [}\n' });
    assertEnvelope(r, 400);
    assert.match(r.json.error.message, /line\D{0,3}2/i, `message names line 2: ${r.json.error.message}`);
    assert.match(r.json.error.message, /col(umn)?\D{0,3}\d+/i, `message names a column: ${r.json.error.message}`);
  });

  test('an empty body, a non-object body and a missing model → 400', async () => {
    assertEnvelope(await lx.req(CHAT, { method: 'POST', body: '' }), 400, 'empty body');
    assertEnvelope(await lx.req(CHAT, { method: 'POST', body: '[1,2]' }), 400, 'array body');
    assertEnvelope(await lx.req(CHAT, { method: 'POST', body: { messages: MSGS } }), 400, 'no model');
    assertEnvelope(await lx.req(CHAT, { method: 'POST', body: { model: 42, messages: MSGS } }), 400, 'model not a string');
  });
});

describe('upstream errors', () => {
  async function directError(upstreamModel) {
    const r = await request(`${mock.v1}/chat/completions`, { method: 'POST', key: UPSTREAM_KEY, body: { model: upstreamModel, messages: MSGS } });
    return r;
  }

  test('429 keeps the status and the upstream message; retried num_retries times', async () => {
    const direct = await directError('mock-status-429');
    assert.equal(direct.status, 429);
    const before = await mock.count(CHAT);
    const r = await lx.chat('e429');
    assertEnvelope(r, 429);
    assert.ok(r.json.error.message.includes(direct.json.error.message), `upstream message kept: ${r.json.error.message}`);
    assert.equal(await mock.count(CHAT), before + 1 + RETRIES, `1 call + ${RETRIES} retries reached the mock`);
    assert.equal(r.headers['x-litellm-attempted-retries'], String(RETRIES));
    assert.ok(r.headers['x-litellm-call-id']);
  });

  test('500 keeps the status and message; retried', async () => {
    const direct = await directError('mock-status-500');
    const before = await mock.count(CHAT);
    const r = await lx.chat('e500');
    assertEnvelope(r, 500);
    assert.ok(r.json.error.message.includes(direct.json.error.message), r.json.error.message);
    assert.equal(await mock.count(CHAT), before + 1 + RETRIES);
    assert.equal(r.headers['x-litellm-attempted-retries'], String(RETRIES));
  });

  test('400 from the upstream is passed on and not retried', async () => {
    const before = await mock.count(CHAT);
    const r = await lx.chat('e400');
    assertEnvelope(r, 400);
    assert.equal(await mock.count(CHAT), before + 1, 'a 400 is never retried');
    assert.equal(r.headers['x-litellm-attempted-retries'], '0');
  });

  test('401 from the upstream (wrong deployment key) is passed on with its message, not retried', async () => {
    const before = await mock2.count(CHAT);
    const r = await lx.chat('wrongkey');
    assertEnvelope(r, 401);
    assert.match(r.json.error.message, /Incorrect API key provided/);
    const last = await mock2.last();
    assert.equal(last.headers.authorization, 'Bearer sk-wrong');
    assert.equal(await mock2.count(CHAT), before + 1, 'a 401 is not retried');
  });

  test('a failing deployment is retried on the other deployment of the group', async () => {
    const before = await mock.count(CHAT);
    let retries = 0;
    const N = 12;
    for (let i = 0; i < N; i++) {
      const r = await lx.chat('flaky');
      assert.equal(r.status, 200, `call ${i}: ${r.text}`);
      assert.equal(r.headers['x-litellm-model-id'], 'dep-good', 'the answer came from the good deployment');
      const n = Number(r.headers['x-litellm-attempted-retries']);
      assert.ok(n === 0 || n === 1, `attempted-retries 0 or 1, got ${r.headers['x-litellm-attempted-retries']}`);
      retries += n;
    }
    assert.equal(await mock.count(CHAT), before + N + retries, 'upstream calls = requests + reported retries');
  });

  test('unreachable upstream → 500 envelope after retries', async () => {
    const r = await lx.chat('dead');
    assertEnvelope(r, 500);
    assert.equal(r.headers['x-litellm-attempted-retries'], String(RETRIES));
  });

  test('connection reset by the upstream → 500 envelope', async () => {
    const r = await lx.chat('reset');
    assertEnvelope(r, 500);
  });

  test('upstream that never answers → 408 after the deployment timeout', async () => {
    const r = await lx.chat('hang', { timeout: 30000 });
    assertEnvelope(r, 408);
  });

  test('upstream slower than the timeout → 408', async () => {
    const r = await lx.chat('slow', { timeout: 30000 });
    assertEnvelope(r, 408);
  });

  test('stream whose upstream never answers → 408 before any byte was sent', async () => {
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'hang', messages: MSGS, stream: true }, timeout: 30000 });
    assertEnvelope(r, 408);
  });

  test('mid-stream upstream failure → one data: {"error":...} event, then the stream ends', async () => {
    // Chunks 100 ms apart, so the first ones surely reached the client before the cut.
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'cut', messages: MSGS, stream: true }, headers: mockCtl({ 'interval-ms': 100 }) });
    assert.equal(r.status, 200);
    assert.ok(!r.done, 'no [DONE] after a failure');
    const errs = r.events.filter((e) => e.data && e.data.includes('"error"'));
    assert.equal(errs.length, 1, `exactly one error event; stream was:\n${r.text}`);
    assert.equal(r.events.at(-1), errs[0], 'the error event is the last one');
    const e = JSON.parse(errs[0].data);
    assert.equal(envelopeProblem(e), null, errs[0].data);
    const chunks = r.json.filter((c) => c.object === 'chat.completion.chunk');
    assert.ok(chunks.length >= 1 && chunks.length <= 3, `the chunks sent before the cut came through (${chunks.length})`);
  });

  // LiteLLM (through the OpenAI Python client) fails to parse such answers and
  // returns a 500 APIError, or an error event once a stream has started; a 200
  // with a body that is not JSON would break every SDK.
  test('a non-JSON 200 from the upstream → 5xx error envelope, never a 200 with a broken body', async () => {
    const r = await lx.chat('malformed');
    assert.ok(r.status >= 500 && r.status < 600, `status ${r.status}; body: ${r.text.slice(0, 200)}`);
    assert.equal(envelopeProblem(r.json, r.status), null, r.text);
    const ok = await lx.chat('gpt-ok');
    assert.equal(ok.status, 200, 'llmux keeps serving');
  });

  test('a broken data line mid-stream → an error event, never a broken event passed on', async () => {
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'malformed', messages: MSGS, stream: true } });
    if (r.status !== 200) {
      assert.equal(envelopeProblem(JSON.parse(r.text), r.status), null, r.text);
      return;
    }
    const bad = r.events.filter((e) => e.data !== null && e.data !== '[DONE]' && (() => {
      try {
        JSON.parse(e.data);
        return false;
      } catch {
        return true;
      }
    })());
    assert.deepEqual(bad.map((e) => e.data), [], 'every data event the client gets is JSON');
    assert.ok(r.events.at(-1)?.data?.includes('"error"'), `the stream ends with an error event:\n${r.text.slice(-400)}`);
    const ok = await lx.chat('gpt-ok');
    assert.equal(ok.status, 200, 'llmux keeps serving');
  });

  test('100 failing calls in parallel with 100 good ones: every good one succeeds', async () => {
    const jobs = [];
    for (let i = 0; i < 100; i++) {
      jobs.push(lx.chat('gpt-ok').then((r) => ['ok', r.status]));
      jobs.push(lx.chat('e400').then((r) => ['bad', r.status]));
    }
    const res = await Promise.all(jobs);
    for (const [kind, st] of res) assert.equal(st, kind === 'ok' ? 200 : 400);
  });
});
