// OCI Generative AI deployments (oci/...): llmux translates OpenAI chat
// requests into POST /20231130/actions/chat against llmux-mock's OCI route,
// GENERIC bodies for meta.* / xai.* models and COHERE bodies for cohere.*
// ones, signs them with OCI's HTTP signature (the key file is a PEM key
// generated here; the test verifies the signature with its public half), and
// turns the answers (JSON and SSE) back into OpenAI objects: text, tool calls,
// usage, upstream error statuses, a failed stream, unsupported parameters.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, envelopeProblem, startLlmux, startMock, streamRequest, writeTemp } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const PATH = '/20231130/actions/chat';
const TEXT = 'Hello from the mock OCI model.';
const TENANCY = 'ocid1.tenancy.oc1..aaaatest';
const USER = 'ocid1.user.oc1..aaaauser';
const FP = '4f:29:77:cc:b1:3e:55:ab:61:2a:de:47:f1:38:4c:90';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaacomp';
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'Look something up',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
  },
];
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];

let mock;
let lx;
let publicKey;
let onceKeyFile;

function odep(name, model, keyFile, extra = {}) {
  return {
    model_name: name,
    litellm_params: {
      model,
      api_base: mock.base,
      oci_region: 'us-chicago-1',
      oci_user: USER,
      oci_fingerprint: FP,
      oci_tenancy: TENANCY,
      oci_compartment_id: COMPARTMENT,
      oci_key_file: keyFile,
      ...extra,
    },
  };
}

before(async () => {
  const kp = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  publicKey = kp.publicKey;
  const keyFile = writeTemp(kp.privateKey, '.pem');
  onceKeyFile = writeTemp(kp.privateKey, '.pem');
  mock = await startMock(); // the OCI route checks the signature's shape, not a bearer key
  lx = await startLlmux(
    config([
      odep('llama', 'oci/meta.llama-3.3-70b-instruct', keyFile),
      odep('grok', 'oci/xai.grok-4', keyFile),
      odep('command', 'oci/cohere.command-r-plus', keyFile),
      odep('oci-429', 'oci/meta.mock-status-429', keyFile),
      odep('oci-503', 'oci/cohere.mock-status-503', keyFile),
      odep('oci-midstream', 'oci/meta.mock-stream-error', keyFile),
      odep('oci-once', 'oci/meta.llama-3.1-8b', onceKeyFile),
      odep('oci-badkey', 'oci/meta.llama-3', writeTemp('not a key', '.pem')),
      odep('oci-nocreds', 'oci/meta.llama-3', keyFile, { oci_user: '' }),
    ]),
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

/** What an OpenAI client assembles from chunks. */
function assemble(chunks) {
  const out = { content: '', tools: [], finish: null, usage: null, roleFirst: false };
  chunks.forEach((c, i) => {
    const ch = c.choices?.[0];
    const d = ch?.delta ?? {};
    if (i === 0) out.roleFirst = d.role === 'assistant';
    if (typeof d.content === 'string') out.content += d.content;
    for (const t of d.tool_calls ?? []) {
      const slot = (out.tools[t.index] ??= { id: '', name: '', arguments: '' });
      if (t.id) slot.id = t.id;
      if (t.function?.name) slot.name = t.function.name;
      if (t.function?.arguments) slot.arguments += t.function.arguments;
    }
    if (ch?.finish_reason) out.finish = ch.finish_reason;
    if (c.usage) out.usage = c.usage;
  });
  return out;
}

/** Checks the last request's OCI signature the way OCI does, with the public key. */
function checkSignature(last) {
  const h = last.headers;
  const auth = h.authorization ?? '';
  assert.match(auth, /^Signature /);
  const field = (k) => auth.match(new RegExp(`${k}="([^"]*)"`))?.[1];
  assert.equal(field('version'), '1');
  assert.equal(field('keyId'), `${TENANCY}/${USER}/${FP}`);
  assert.equal(field('algorithm'), 'rsa-sha256');
  assert.equal(field('headers'), 'date (request-target) host content-length content-type x-content-sha256');
  assert.match(h.date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.ok(Math.abs(Date.parse(h.date) - Date.now()) < 5 * 60 * 1000, 'the date is now');
  const signing = [
    `date: ${h.date}`,
    `(request-target): post ${last.path}`,
    `host: ${h.host}`,
    `content-length: ${h['content-length']}`,
    `content-type: ${h['content-type']}`,
    `x-content-sha256: ${h['x-content-sha256']}`,
  ].join('\n');
  const ok = crypto.verify('sha256', Buffer.from(signing), publicKey, Buffer.from(field('signature'), 'base64'));
  assert.ok(ok, 'the signature verifies with the public key');
}

describe('oci: configuration', () => {
  test('oci deployments load without the "not served by this build" warning', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'oci' is not served/);
  });
});

describe('oci: GENERIC models', () => {
  test('a non-stream chat answers an OpenAI chat.completion', async () => {
    const r = await chat('llama', { temperature: 0.3, top_p: 0.8, stop: 'END', max_tokens: 40, seed: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
  });

  test('the mock received a signed GENERIC chat request', async () => {
    await chat('llama', { temperature: 0.3, top_p: 0.8, top_k: 10, stop: 'END', max_tokens: 40, seed: 5 });
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, PATH);
    assert.match(last.headers['content-type'], /application\/json/);
    checkSignature(last);
    const b = last.body;
    assert.equal(b.compartmentId, COMPARTMENT);
    assert.deepEqual(b.servingMode, { servingType: 'ON_DEMAND', modelId: 'meta.llama-3.3-70b-instruct' });
    const cr = b.chatRequest;
    assert.equal(cr.apiFormat, 'GENERIC');
    assert.deepEqual(cr.messages, [
      { role: 'SYSTEM', content: [{ type: 'TEXT', text: 'Be brief.' }] },
      { role: 'USER', content: [{ type: 'TEXT', text: 'hello there friend' }] },
    ]);
    assert.equal(cr.temperature, 0.3);
    assert.equal(cr.topP, 0.8);
    assert.equal(cr.topK, 10);
    assert.deepEqual(cr.stop, ['END']);
    assert.equal(cr.maxTokens, 40);
    assert.equal(cr.seed, 5);
    assert.equal(cr.isStream, false);
    for (const k of ['top_p', 'top_k', 'max_tokens', 'model', 'stream']) assert.ok(!(k in cr), `no "${k}" upstream`);
  });

  test('without max_tokens, maxTokens defaults to 4096', async () => {
    const r = await chat('grok');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.body.chatRequest.maxTokens, 4096);
    assert.equal(last.body.servingMode.modelId, 'xai.grok-4');
  });

  test('a stream is OpenAI SSE: role first, content, finish, usage, [DONE]', async () => {
    const r = await stream('llama');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.done, true, 'ends with [DONE]');
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const a = assemble(r.json);
    assert.ok(a.roleFirst, 'the first chunk carries the assistant role');
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.deepEqual(a.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    const last = await mock.last();
    assert.equal(last.body.chatRequest.isStream, true);
    assert.match(last.headers.accept ?? '', /text\/event-stream/);
    checkSignature(last);
  });

  test('a tool call arrives with parseable arguments (non-stream and stream)', async () => {
    const r = await chat('llama', { tools: TOOLS, tool_choice: 'required' });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.content, null);
    assert.equal(m.tool_calls[0].function.name, 'lookup');
    assert.ok(m.tool_calls[0].id);
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { query: 'mock' });
    const cr = (await mock.last()).body.chatRequest;
    assert.deepEqual(cr.tools, [
      { type: 'FUNCTION', name: 'lookup', description: 'Look something up', parameters: TOOLS[0].function.parameters },
    ]);
    assert.deepEqual(cr.toolChoice, { type: 'REQUIRED' });

    const s = await stream('llama', { tools: TOOLS });
    assert.equal(s.status, 200);
    assert.ok(s.done);
    const a = assemble(s.json);
    assert.equal(a.tools.length, 1);
    assert.equal(a.tools[0].name, 'lookup');
    assert.ok(a.tools[0].id);
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { query: 'mock' });
    assert.equal(a.finish, 'tool_calls');
  });

  test('a tool result turn goes out as ASSISTANT toolCalls and a TOOL message', async () => {
    const messages = [
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"query":"x"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'found it' },
    ];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'llama', messages } });
    assert.equal(r.status, 200, r.text);
    const cr = (await mock.last()).body.chatRequest;
    assert.deepEqual(cr.messages[1], {
      role: 'ASSISTANT',
      toolCalls: [{ id: 'c1', type: 'FUNCTION', name: 'lookup', arguments: '{"query":"x"}' }],
    });
    assert.deepEqual(cr.messages[2], { role: 'TOOL', toolCallId: 'c1', content: [{ type: 'TEXT', text: 'found it' }] });
  });
});

describe('oci: COHERE models', () => {
  test('a non-stream chat sends message / chatHistory / preambleOverride', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'hello there friend' },
    ];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'command', messages, stop: ['X'], max_tokens: 20 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.completion_tokens, 6);
    const last = await mock.last();
    checkSignature(last);
    const cr = last.body.chatRequest;
    assert.equal(cr.apiFormat, 'COHERE');
    assert.equal(cr.message, 'hello there friend');
    assert.deepEqual(cr.chatHistory, [
      { role: 'USER', message: 'first question' },
      { role: 'CHATBOT', message: 'first answer' },
    ]);
    assert.equal(cr.preambleOverride, 'Be brief.');
    assert.deepEqual(cr.stopSequences, ['X']);
    assert.equal(cr.maxTokens, 20);
    assert.ok(!('messages' in cr) && !('stop' in cr));
  });

  test('a stream does not repeat the text of its last event', async () => {
    const r = await stream('command');
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.ok(a.roleFirst);
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.equal(a.usage.completion_tokens, 6);
  });

  test('tool calls come back with ids and JSON arguments (non-stream and stream)', async () => {
    const r = await chat('command', { tools: TOOLS });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.tool_calls.length, 1);
    assert.ok(m.tool_calls[0].id);
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { query: 'mock' });
    const cr = (await mock.last()).body.chatRequest;
    assert.deepEqual(cr.tools, [
      {
        name: 'lookup',
        description: 'Look something up',
        parameterDefinitions: { query: { description: '', type: 'str', isRequired: true } },
      },
    ]);

    const s = await stream('command', { tools: TOOLS });
    assert.equal(s.status, 200);
    const a = assemble(s.json);
    assert.equal(a.tools.length, 1, 'the last event does not repeat the call');
    assert.equal(a.tools[0].name, 'lookup');
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { query: 'mock' });
    assert.equal(a.finish, 'tool_calls');
  });
});

describe('oci: credentials', () => {
  test('the key file is read once: removed after the first call, calls still sign', async () => {
    const r1 = await chat('oci-once');
    assert.equal(r1.status, 200, r1.text);
    fs.unlinkSync(onceKeyFile);
    for (let i = 0; i < 4; i++) {
      const r = await chat('oci-once');
      assert.equal(r.status, 200, r.text);
      checkSignature(await mock.last());
    }
  });

  test('a key file that is not a PEM key is a 401 and nothing is sent', async () => {
    const before = await mock.modelRequests();
    const r = await chat('oci-badkey');
    assert.equal(r.status, 401, r.text);
    assert.equal(envelopeProblem(r.json, 401), null, r.text);
    assert.match(r.json.error.message, /PEM RSA private key/);
    assert.equal(await mock.modelRequests(), before);
  });

  test('missing credentials are a 401 naming the settings', async () => {
    const r = await chat('oci-nocreds');
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /oci_user/);
  });
});

describe('oci: errors', () => {
  for (const [model, status] of [
    ['oci-429', 429],
    ['oci-503', 503],
  ]) {
    test(`an upstream ${status} is an OpenAI error envelope with status ${status}`, async () => {
      const r = await chat(model);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.match(r.json.error.message, new RegExp(`oci error ${status}`));
    });
  }

  test('a stream that fails mid-way ends with an error event, not [DONE]', async () => {
    const r = await stream('oci-midstream');
    assert.equal(r.status, 200);
    assert.equal(r.done, false, 'no [DONE] after a failure');
    const err = r.json.find((c) => c.error);
    assert.ok(err, `an error event reached the client: ${r.text}`);
    assert.match(err.error.message, /stream failure/);
    assert.ok(assemble(r.json.filter((c) => !c.error)).content.startsWith('Hello'), 'content before the error was sent');
  });

  test('an OpenAI parameter OCI lacks is a 400 naming it, unless dropped', async () => {
    const before = await mock.modelRequests();
    const r = await chat('llama', { top_logprobs: 2 });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /does not support parameter 'top_logprobs'/);
    assert.equal(await mock.modelRequests(), before, 'nothing was sent upstream');
    const ok = await chat('llama', { top_logprobs: 2, drop_params: true });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!('top_logprobs' in (await mock.last()).body.chatRequest));
  });
});
