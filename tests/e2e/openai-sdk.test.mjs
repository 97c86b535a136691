// End-to-end: the official OpenAI Node SDK, unmodified (only baseURL and
// apiKey changed), against a real llmux in front of the real mock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI, { AzureOpenAI } from 'openai';

import { MASTER_KEY, checkPassed, cleanup, config, dep, startLlmux, startMock, waitFor } from '../lib/harness.mjs';

let mock;
let lx;
let client;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([
      dep('gpt-ok', 'up-ok', mock, { model_info: { id: 'dep-ok' } }),
      dep('emb', 'up-emb', mock, { model_info: { mode: 'embedding' } }),
      dep('rate-limited', 'mock-status-429', mock),
      dep('broken', 'mock-status-500', mock),
      dep('hang', 'mock-fault-hang', mock, { timeout: 1, stream_timeout: 1 }),
      dep('hang-long', 'mock-fault-hang', mock, { timeout: 60 }),
    ]),
  );
  client = new OpenAI({ baseURL: `${lx.base}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 20000 });
});

after(cleanup);

const MSGS = [{ role: 'user', content: 'hello from the sdk' }];

describe('OpenAI SDK: success paths', () => {
  test('chat.completions.create', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-ok', messages: MSGS });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.choices[0].message.content, /mock/);
    assert.equal(r.usage.prompt_tokens, 4);
    const last = await mock.last();
    assert.equal(last.body.model, 'up-ok');
    assert.ok(!Object.keys(last.headers).some((h) => h.startsWith('x-stainless')), 'x-stainless-* never forwarded');
  });

  test('withResponse exposes the x-litellm headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-ok', messages: MSGS }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(response.headers.get('x-litellm-model-id'), 'dep-ok');
    assert.ok(response.headers.get('x-litellm-call-id'));
  });

  test('streaming with usage (stream_options.include_usage)', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-ok',
      messages: MSGS,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let usage = null;
    for await (const c of stream) {
      chunks++;
      if (c.choices.length) text += c.choices[0].delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.ok(chunks >= 3, `chunks: ${chunks}`);
    assert.match(text, /mock/);
    assert.ok(usage, 'a usage chunk arrived');
    assert.equal(usage.prompt_tokens, 4);
    assert.ok(usage.completion_tokens > 0);
  });

  test('embeddings.create', async () => {
    const r = await client.embeddings.create({ model: 'emb', input: ['one', 'two'], encoding_format: 'float' });
    assert.equal(r.data.length, 2);
    assert.equal(r.data[0].embedding.length, 8);
    assert.equal((await mock.last()).body.model, 'up-emb');
  });

  test('completions.create (legacy)', async () => {
    const r = await client.completions.create({ model: 'gpt-ok', prompt: 'once upon a time', max_tokens: 4 });
    assert.equal(r.object, 'text_completion');
    assert.match(r.choices[0].text, /mock/);
  });

  test('completions.create streaming', async () => {
    const stream = await client.completions.create({ model: 'gpt-ok', prompt: 'x', stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    assert.match(text, /mock/);
  });

  test('models.list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-ok') && ids.includes('emb'), ids.join(','));
  });

  test('AzureOpenAI client against the Azure-style routes', async () => {
    const az = new AzureOpenAI({ endpoint: lx.base, apiKey: MASTER_KEY, apiVersion: '2024-10-21', deployment: 'gpt-ok', maxRetries: 0 });
    const r = await az.chat.completions.create({ model: 'gpt-ok', messages: MSGS });
    assert.match(r.choices[0].message.content, /mock/);
    assert.equal((await mock.last()).body.model, 'up-ok');
  });
});

describe('OpenAI SDK: typed errors', () => {
  test('bad key → AuthenticationError (401)', async () => {
    const bad = new OpenAI({ baseURL: `${lx.base}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'gpt-ok', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 401);
      assert.match(e.message, /Authentication Error/);
      return true;
    });
  });

  test('upstream 429 with num_retries 0 → RateLimitError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'rate-limited', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 429);
      assert.equal(e.code, '429');
      return true;
    });
  });

  test('unknown model → BadRequestError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 400);
      assert.match(e.message, /no-such-model/);
      return true;
    });
  });

  test('upstream 500 → InternalServerError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'broken', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.InternalServerError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 500);
      return true;
    });
  });

  test('upstream timeout at llmux → APIError with status 408', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'hang', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.APIError, `got ${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 408);
      return true;
    });
  });

  test("the SDK's own timeout → APIConnectionTimeoutError, and the upstream call is dropped", async () => {
    const quick = new OpenAI({ baseURL: `${lx.base}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 700 });
    await assert.rejects(quick.chat.completions.create({ model: 'hang-long', messages: MSGS }), (e) => {
      assert.ok(e instanceof OpenAI.APIConnectionTimeoutError, `got ${e.constructor.name}: ${e.message}`);
      return true;
    });
    await waitFor(async () => (await mock.stats()).inflight === 0, { timeout: 5000, what: 'the mock call ended after the SDK gave up' });
  });

  test('stream to a failing upstream → the typed error before any chunk', async () => {
    await assert.rejects(
      (async () => {
        const s = await client.chat.completions.create({ model: 'rate-limited', messages: MSGS, stream: true });
        for await (const _ of s) {
          /* drain */
        }
      })(),
      (e) => {
        assert.ok(e instanceof OpenAI.RateLimitError, `got ${e.constructor.name}: ${e.message}`);
        return true;
      },
    );
  });
});

describe('OpenAI SDK: abort', () => {
  test('AbortController mid-stream: the SDK stops and the upstream stream is cancelled', async () => {
    const s0 = await mock.stats();
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-ok', messages: MSGS, stream: true },
      // 200 chunks x 50 ms: 10 s if not cancelled (x-pass-* goes upstream without the prefix)
      { signal: ac.signal, headers: { 'x-pass-x-mock-chunks': '200', 'x-pass-x-mock-interval-ms': '50' } },
    );
    let n = 0;
    // The SDK ends the iteration quietly on an abort (or throws APIUserAbortError): both are fine.
    try {
      for await (const _ of stream) {
        if (++n === 3) ac.abort();
      }
    } catch (e) {
      assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', `got ${e.constructor.name}: ${e.message}`);
    }
    await checkPassed(mock, { chunks: 200, 'interval-ms': 50 });
    assert.ok(n >= 3 && n < 50, `the stream stopped right after the abort (${n} chunks of 200)`);
    await waitFor(async () => (await mock.stats()).client_aborts >= s0.client_aborts + 1, {
      timeout: 4000,
      what: 'mock client_aborts + 1 after the SDK aborted',
    });
  });
});
