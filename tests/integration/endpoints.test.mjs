// Every public endpoint of llmux against the real mock: bodies, what the
// upstream received, and the x-litellm-* response headers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  MASTER_KEY,
  RawConn,
  UPSTREAM_KEY,
  checkPassed,
  cleanup,
  config,
  dep,
  llmuxVersion,
  mockCtl,
  rawRequest,
  request,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

let mock;
let lx;
let version;

const MSGS = [{ role: 'user', content: 'hello there friend' }];

before(async () => {
  mock = await startMock();
  const cfg = config([
    dep('gpt-ok', 'up-ok', mock, { model_info: { id: 'dep-ok' } }),
    dep('gpt-other', 'up-other', mock),
    dep('emb', 'up-emb', mock, { model_info: { mode: 'embedding' } }),
    {
      model_name: 'az',
      litellm_params: { model: 'azure/az-dep', api_base: mock.base, api_version: '2024-06-01', api_key: 'sk-azure' },
    },
  ]);
  lx = await startLlmux(cfg);
  version = llmuxVersion();
});

after(cleanup);

describe('public and health routes', () => {
  test('llmux --version prints "llmux <version>"', () => {
    assert.match(version ?? '', /^\S+$/, 'llmux --version must print "llmux <version>"');
  });

  test('GET / answers 200 without a key', async () => {
    const r = await lx.req('/', { key: null });
    assert.equal(r.status, 200);
  });

  for (const p of ['/health/liveliness', '/health/liveness']) {
    test(`GET ${p} answers 200 "I'm alive!" without a key`, async () => {
      const r = await lx.req(p, { key: null });
      assert.equal(r.status, 200);
      assert.equal(r.json, "I'm alive!");
      assert.match(r.headers['content-type'] ?? '', /application\/json/);
    });
  }

  test('GET /health/readiness answers connected with the version, without a key', async () => {
    const r = await lx.req('/health/readiness', { key: null });
    assert.equal(r.status, 200);
    assert.equal(r.json?.status, 'connected');
    assert.ok('db' in r.json, 'readiness has "db"');
    assert.equal(r.json.litellm_version, version);
  });

  test('unknown routes answer 404 {"detail":"Not Found"}', async () => {
    for (const p of ['/nope', '/v1/nope', '/v1/chat/completions/extra']) {
      const r = await lx.req(p, { method: p.includes('chat') ? 'POST' : 'GET', body: p.includes('chat') ? {} : undefined });
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.json, { detail: 'Not Found' }, p);
    }
  });

  for (const p of ['/v1/models', '/models']) {
    test(`GET ${p} lists every group as an OpenAI model list`, async () => {
      const r = await lx.req(p);
      assert.equal(r.status, 200);
      assert.equal(r.json.object, 'list');
      const ids = r.json.data.map((m) => m.id).sort();
      assert.deepEqual(ids, ['az', 'emb', 'gpt-ok', 'gpt-other']);
      for (const m of r.json.data) {
        assert.equal(m.object, 'model');
        assert.equal(typeof m.created, 'number');
        assert.equal(typeof m.owned_by, 'string');
      }
    });
  }
});

describe('chat completions', () => {
  test('non-stream: the mock answer comes back, and the upstream got the rewritten request', async () => {
    const r = await lx.req('/v1/chat/completions', {
      method: 'POST',
      body: {
        model: 'gpt-ok',
        messages: MSGS,
        temperature: 0.5,
        seed: 7,
        user: 'u-1',
        metadata: { tags: ['t1'], anything: 1 },
        num_retries: 0,
        timeout: 30,
      },
      headers: {
        'x-custom-thing': 'no',
        'x-stainless-lang': 'js',
        'x-pass-x-extra': 'passed',
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.match(r.json.id, /^chatcmpl-mock-/);
    assert.match(r.json.choices[0].message.content, /mock/);
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.usage.prompt_tokens, 3, 'prompt_tokens counts the 3 words sent');
    assert.ok(r.json.usage.completion_tokens > 0);

    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'up-ok', 'model rewritten to the upstream name');
    assert.deepEqual(last.body.messages, MSGS);
    assert.equal(last.body.temperature, 0.5);
    assert.equal(last.body.seed, 7);
    assert.equal(last.body.user, 'u-1', '"user" is sent to OpenAI');
    for (const f of ['metadata', 'num_retries', 'timeout']) assert.ok(!(f in last.body), `proxy-only field "${f}" must not reach the upstream`);
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`, "the deployment's key, not the client's");
    assert.ok(!JSON.stringify(last.headers).includes(MASTER_KEY), 'the master key must never reach the upstream');
    assert.ok(!('x-custom-thing' in last.headers), 'other x-* headers are not forwarded');
    assert.ok(!('x-stainless-lang' in last.headers), 'x-stainless-* never forwarded');
    assert.equal(last.headers['x-extra'], 'passed', 'x-pass-<name> is sent upstream as <name>');
  });

  test('the bare /chat/completions route works the same', async () => {
    const r = await lx.req('/chat/completions', { method: 'POST', body: { model: 'gpt-other', messages: MSGS } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'up-other');
  });

  test('stream with include_usage: same events as the mock sends, usage chunk, [DONE]', async () => {
    const body = { model: 'gpt-ok', messages: MSGS, stream: true, stream_options: { include_usage: true } };
    const ctl = mockCtl({ chunks: 6, 'chunk-bytes': 5 });
    const r = await streamRequest(lx.url('/v1/chat/completions'), { body, headers: ctl });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /text\/event-stream/);
    assert.ok(r.done, 'the stream ends with data: [DONE]');
    assert.equal(r.events.at(-1).data, '[DONE]', '[DONE] is the last event');
    assert.equal(r.json.length, r.events.length - 1, 'every event but [DONE] is JSON');
    await checkPassed(mock, { chunks: 6, 'chunk-bytes': 5 });

    // What the mock sends for the same upstream request, directly.
    const direct = await streamRequest(`${mock.v1}/chat/completions`, {
      body: { ...body, model: 'up-ok' },
      key: UPSTREAM_KEY,
      headers: { 'x-mock-chunks': '6', 'x-mock-chunk-bytes': '5' },
    });
    assert.equal(direct.status, 200);
    const content = (evs) => evs.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(r.json.length, direct.json.length, 'same number of chunks as the upstream sent');
    assert.equal(content(r.json), content(direct.json), 'same content as the upstream sent');
    assert.ok(content(r.json).length >= 6 * 5 - 5, 'the mock was told 6 chunks x 5 bytes (x-pass)');
    for (const c of r.json.slice(0, -1)) assert.equal(c.object, 'chat.completion.chunk');

    const u = r.json.at(-1);
    assert.deepEqual(u.choices, [], 'the usage chunk has "choices": []');
    assert.equal(u.usage.prompt_tokens, 3);
    assert.ok(u.usage.completion_tokens > 0);
    assert.equal(u.usage.total_tokens, u.usage.prompt_tokens + u.usage.completion_tokens);

    const last = await mock.last();
    assert.equal(last.body.stream, true);
    assert.equal(last.body.model, 'up-ok');
  });

  test('stream without include_usage: content chunks then [DONE], no usage-only chunk', async () => {
    const r = await streamRequest(lx.url('/v1/chat/completions'), { body: { model: 'gpt-ok', messages: MSGS, stream: true } });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    assert.ok(r.json.length >= 2);
    assert.ok(!r.json.some((c) => Array.isArray(c.choices) && c.choices.length === 0), 'no usage-only chunk was asked for');
    assert.match(r.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), /mock/);
  });

  test('stream responses carry the x-litellm-* headers', async () => {
    const r = await streamRequest(lx.url('/v1/chat/completions'), {
      body: { model: 'gpt-ok', messages: MSGS, stream: true },
      headers: { 'x-litellm-call-id': 'call-stream-1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-litellm-call-id'], 'call-stream-1');
    assert.equal(r.headers['x-litellm-model-id'], 'dep-ok');
    assert.equal(r.headers['x-litellm-version'], version);
  });
});

describe('completions and embeddings', () => {
  test('POST /v1/completions: text_completion from the upstream', async () => {
    const r = await lx.req('/v1/completions', { method: 'POST', body: { model: 'gpt-ok', prompt: 'say something nice', max_tokens: 5 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.equal(typeof r.json.choices[0].text, 'string');
    assert.match(r.json.choices[0].text, /mock/);
    const last = await mock.last();
    assert.equal(last.path, '/v1/completions');
    assert.equal(last.body.model, 'up-ok');
    assert.equal(last.body.prompt, 'say something nice');
    assert.equal(last.body.max_tokens, 5);
  });

  test('POST /completions (bare) streaming ends with [DONE]', async () => {
    const r = await streamRequest(lx.url('/completions'), { body: { model: 'gpt-ok', prompt: 'hi', stream: true } });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    assert.ok(r.json.length >= 1);
    assert.match(r.json.map((c) => c.choices?.[0]?.text ?? '').join(''), /mock/);
  });

  test('POST /v1/embeddings with a string input', async () => {
    const r = await lx.req('/v1/embeddings', { method: 'POST', body: { model: 'emb', input: 'embed me' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.data.length, 1);
    assert.equal(r.json.data[0].object, 'embedding');
    assert.equal(r.json.data[0].embedding.length, 8);
    assert.ok(r.json.data[0].embedding.every((x) => typeof x === 'number'));
    const last = await mock.last();
    assert.equal(last.path, '/v1/embeddings');
    assert.equal(last.body.model, 'up-emb');
    assert.equal(last.body.input, 'embed me');
  });

  test('POST /embeddings (bare) with an array input gives one vector per item', async () => {
    const r = await lx.req('/embeddings', { method: 'POST', body: { model: 'emb', input: ['a', 'b b', 'c c c'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map((d) => d.index), [0, 1, 2]);
    const last = await mock.last();
    assert.deepEqual(last.body.input, ['a', 'b b', 'c c c']);
  });
});

describe('Azure', () => {
  test('inbound /openai/deployments/{model}/chat/completions: key in api-key, path model used', async () => {
    const r = await lx.req('/openai/deployments/gpt-ok/chat/completions?api-version=2024-02-01', {
      method: 'POST',
      key: null,
      headers: { 'api-key': MASTER_KEY },
      body: { messages: MSGS },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal((await mock.last()).body.model, 'up-ok');
  });

  test('inbound Azure route: the body model wins over the path', async () => {
    const r = await lx.req('/openai/deployments/gpt-ok/chat/completions?api-version=2024-02-01', {
      method: 'POST',
      key: null,
      headers: { 'api-key': MASTER_KEY },
      body: { model: 'gpt-other', messages: MSGS },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).body.model, 'up-other');
  });

  test('inbound /openai/deployments/{model}/embeddings', async () => {
    const r = await lx.req('/openai/deployments/emb/embeddings?api-version=2024-02-01', {
      method: 'POST',
      key: null,
      headers: { 'api-key': MASTER_KEY },
      body: { input: 'x' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data[0].embedding.length, 8);
    assert.equal((await mock.last()).body.model, 'up-emb');
  });

  test('outbound azure/<deployment>: Azure URL, api-version, api-key header', async () => {
    const r = await lx.chat('az');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/openai/deployments/az-dep/chat/completions');
    assert.match(last.query ?? '', /(^|&)api-version=2024-06-01(&|$)/);
    assert.equal(last.headers['api-key'], 'sk-azure');
    assert.ok(!(last.headers.authorization ?? '').includes(MASTER_KEY), 'the client key is not forwarded');
  });
});

describe('response headers', () => {
  test('model routes carry every x-litellm-* header with sane values', async () => {
    const r = await lx.chat('gpt-ok');
    assert.equal(r.status, 200);
    const h = r.headers;
    assert.match(h['x-litellm-call-id'] ?? '', /^[0-9a-f-]{16,}$/i, 'x-litellm-call-id is a UUID');
    assert.equal(h['x-litellm-model-id'], 'dep-ok');
    assert.equal(h['x-litellm-model-api-base'], mock.v1);
    assert.equal(h['x-litellm-version'], version);
    assert.equal(h['x-litellm-attempted-retries'], '0');
    for (const k of ['x-litellm-response-duration-ms', 'x-litellm-overhead-duration-ms']) {
      assert.ok(k in h, `${k} present`);
      const v = Number(h[k]);
      assert.ok(Number.isFinite(v) && v >= 0, `${k} is a non-negative number (${h[k]})`);
    }
    assert.ok(Number(h['x-litellm-overhead-duration-ms']) <= Number(h['x-litellm-response-duration-ms']));
  });

  test('a client-sent x-litellm-call-id is reused; otherwise each call gets its own', async () => {
    const r = await lx.chat('gpt-ok', { headers: { 'x-litellm-call-id': 'my-call-1234' } });
    assert.equal(r.headers['x-litellm-call-id'], 'my-call-1234');
    const a = await lx.chat('gpt-ok');
    const b = await lx.chat('gpt-ok');
    assert.notEqual(a.headers['x-litellm-call-id'], b.headers['x-litellm-call-id']);
  });

  test('the model-id of a deployment without model_info.id is stable', async () => {
    const a = await lx.chat('gpt-other');
    const b = await lx.chat('gpt-other');
    assert.ok(a.headers['x-litellm-model-id'], 'x-litellm-model-id present');
    assert.equal(a.headers['x-litellm-model-id'], b.headers['x-litellm-model-id']);
    assert.notEqual(a.headers['x-litellm-model-id'], 'dep-ok');
  });

  test('all response headers together are under 4096 bytes (success, stream, error)', async () => {
    const cases = [
      rawRequest('POST', '/v1/chat/completions', { body: { model: 'gpt-ok', messages: MSGS } }),
      rawRequest('POST', '/v1/chat/completions', { body: { model: 'gpt-ok', messages: MSGS, stream: true } }),
      rawRequest('POST', '/v1/embeddings', { body: { model: 'emb', input: 'x' } }),
      rawRequest('POST', '/v1/chat/completions', { body: { model: 'no-such-model', messages: MSGS } }),
    ];
    for (const bytes of cases) {
      const c = await RawConn.open(lx.port);
      try {
        await c.write(bytes);
        const res = await c.readResponse();
        assert.ok(res.headBytes < 4096, `response head is ${res.headBytes} bytes: ${res.rawHead.slice(0, 200)}`);
        if (res.status === 200) assert.ok(res.headers['x-litellm-call-id']);
      } finally {
        c.destroy();
      }
    }
  });
});
