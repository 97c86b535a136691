// Replicate deployments against llmux-mock's prediction routes: the three
// model forms (replicate/{owner}/{name} -> /v1/models/.../predictions,
// {owner}/{name}:{version} -> /v1/predictions with "version",
// deployments/{owner}/{name} -> /v1/deployments/.../predictions), sent in sync
// mode (Prefer: wait) with Bearer auth. The prediction comes back as a
// chat.completion, or as chunks of a stream made from it (llmux sends one
// request per call and never polls). Failed predictions, predictions still
// running after the wait, refused tools and error statuses. /mock/last shows
// what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'Hello from the mock Replicate model.';
const KEY = 'r8_mock_key';
const VERSION = '02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3';
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];
const TOOLS = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];

let mock;
let lx;

function rdep(name, model, params = {}) {
  return { model_name: name, litellm_params: { model, api_base: mock.base, api_key: KEY, ...params } };
}

before(async () => {
  mock = await startMock({ apiKey: KEY });
  lx = await startLlmux(
    config([
      rdep('rep', 'replicate/meta/meta-llama-3-8b-instruct'),
      rdep('rep-plain', 'replicate/acme/plain-llm', { supports_system_prompt: true }),
      rdep('rep-ver', `replicate/meta/llama-2-70b-chat:${VERSION}`),
      rdep('rep-dep', 'replicate/deployments/acme/my-llm'),
      rdep('rep-fail', 'replicate/acme/mock-fail'),
      rdep('rep-slow', 'replicate/acme/mock-slow'),
      rdep('rep-500', 'replicate/acme/mock-status-500'),
      rdep('rep-badkey', 'replicate/acme/plain-llm', { api_key: 'wrong' }),
      { model_name: 'rep-env', litellm_params: { model: 'replicate/acme/plain-llm', api_base: mock.base } },
    ]),
    { env: { REPLICATE_API_TOKEN: KEY } },
  );
});

after(cleanup);

function chat(model, body = {}) {
  return lx.req(CHAT, { method: 'POST', body: { model, messages: MSGS, ...body } });
}

function stream(model, body = {}) {
  return streamRequest(lx.url(CHAT), {
    body: { model, messages: MSGS, stream: true, stream_options: { include_usage: true }, ...body },
  });
}

// The adapter names 422 (failed) and 504 (still running) for a prediction that
// came back 2xx; the proxy answers adapter errors on a 2xx answer as 500 until
// it honours the adapter's status. Either is accepted; the message is checked.
function adapterStatus(r, want) {
  assert.equal(r.status, want, `HTTP ${r.status}: ${r.text}`);
}

function assemble(chunks) {
  const out = { content: '', finish: null, usage: null, roleFirst: false, n: 0 };
  chunks.forEach((c, i) => {
    const ch = c.choices?.[0];
    const d = ch?.delta ?? {};
    if (i === 0) out.roleFirst = d.role === 'assistant';
    if (typeof d.content === 'string' && d.content !== '') {
      out.content += d.content;
      out.n++;
    }
    if (ch?.finish_reason) out.finish = ch.finish_reason;
    if (c.usage) out.usage = c.usage;
  });
  return out;
}

describe('replicate/: configuration', () => {
  test('replicate deployments are served (no "not served by this build" warning)', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'replicate' is not served/);
  });
});

describe('replicate/: requests', () => {
  test('official model: /v1/models/{owner}/{name}/predictions, Bearer, Prefer: wait, Llama 3 prompt', async () => {
    const r = await chat('rep', { max_tokens: 50, temperature: 0.2, stop: ['END', 'STOP'], seed: 3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.completion_tokens, 6);
    assert.ok(r.json.usage.prompt_tokens > 0);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + 6);
    const last = await mock.last();
    assert.equal(last.path, '/v1/models/meta/meta-llama-3-8b-instruct/predictions');
    assert.equal(last.headers.authorization, `Bearer ${KEY}`);
    assert.equal(last.headers.prefer, 'wait');
    assert.equal(last.body.version, undefined);
    const input = last.body.input;
    assert.match(input.prompt, /^<\|begin_of_text\|><\|start_header_id\|>system<\|end_header_id\|>\n\nBe brief\.<\|eot_id\|>/);
    assert.match(input.prompt, /<\|start_header_id\|>assistant<\|end_header_id\|>\n\n$/);
    assert.equal(input.max_new_tokens, 50);
    assert.equal(input.temperature, 0.2);
    assert.equal(input.stop_sequences, 'END,STOP');
    assert.equal(input.seed, 3);
    assert.equal(input.messages, undefined);
    assert.equal(input.model, undefined);
  });

  test('system_prompt apart when the deployment says supports_system_prompt', async () => {
    const r = await chat('rep-plain', { top_k: 7 });
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/models/acme/plain-llm/predictions');
    assert.equal(last.body.input.prompt, 'hello there friend');
    assert.equal(last.body.input.system_prompt, 'Be brief.');
    assert.equal(last.body.input.top_k, 7, 'non-OpenAI keys pass into input');
    assert.equal(last.body.input.supports_system_prompt, undefined);
  });

  test('pinned version: POST /v1/predictions with "version"', async () => {
    const r = await chat('rep-ver');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT);
    const last = await mock.last();
    assert.equal(last.path, '/v1/predictions');
    assert.equal(last.body.version, VERSION);
    assert.equal(last.body.input.prompt, 'Be brief. hello there friend');
  });

  test('deployment: /v1/deployments/{owner}/{name}/predictions', async () => {
    const r = await chat('rep-dep', { max_tokens: 3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the');
    assert.equal(r.json.usage.completion_tokens, 3);
    const last = await mock.last();
    assert.equal(last.path, '/v1/deployments/acme/my-llm/predictions');
    assert.equal(last.body.input.max_new_tokens, 3);
  });

  test('the key from REPLICATE_API_TOKEN when the deployment has none', async () => {
    const r = await chat('rep-env');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.headers.authorization, `Bearer ${KEY}`);
  });

  test('tools are refused unless drop_params', async () => {
    const r = await chat('rep', { tools: TOOLS });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /replicate does not support parameter 'tools'/);
    assert.match(r.json.error.message, /drop_params/);
    const ok = await chat('rep', { tools: TOOLS, drop_params: true });
    assert.equal(ok.status, 200, ok.text);
    const last = await mock.last();
    assert.equal(last.body.input.tools, undefined);
  });
});

describe('replicate/: streams made from the prediction', () => {
  test('stream=true: the same sync request; role, pieces, finish, usage, [DONE]', async () => {
    const r = await stream('rep');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done, 'ends with [DONE]');
    const a = assemble(r.json);
    assert.ok(a.roleFirst, 'the first chunk carries the role');
    assert.equal(a.content, TEXT);
    assert.equal(a.n, 6, 'one chunk per output piece');
    assert.equal(a.finish, 'stop');
    assert.equal(a.usage.completion_tokens, 6);
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const last = await mock.last();
    assert.equal(last.headers.prefer, 'wait');
    assert.equal(last.body.input.stream, undefined);
  });

  test('a failed prediction in a stream: an error status, no chunks', async () => {
    const r = await stream('rep-fail');
    adapterStatus(r, 422);
    assert.match(r.text, /prediction mockpred\d+ failed: llmux-mock: prediction failed/);
  });
});

describe('replicate/: unfinished predictions and errors', () => {
  test('status "failed" -> an error (422) with the prediction error', async () => {
    const r = await chat('rep-fail');
    adapterStatus(r, 422);
    assert.match(r.json.error.message, /replicate: prediction mockpred\d+ failed: llmux-mock: prediction failed \(mock-fail\)/);
  });

  test('still "processing" after the wait -> an error (504) naming the prediction (no polling)', async () => {
    const r = await chat('rep-slow');
    adapterStatus(r, 504);
    assert.match(r.json.error.message, /prediction mockpred\d+ is still processing after the synchronous wait/);
    assert.match(r.json.error.message, /does not poll/);
  });

  test('an HTTP error status passes with Replicate\'s problem detail', async () => {
    const r = await chat('rep-500');
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.error.message, /mock-status-500/);
  });

  test('a refused key -> 401', async () => {
    const r = await chat('rep-badkey');
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /valid authentication token/);
  });
});
