// Vertex AI deployments (vertex_ai/...): llmux signs a service-account JWT,
// exchanges it at the key's token_uri (llmux-mock's /token) for an access
// token, caches it, and calls Gemini (:generateContent, :streamGenerateContent),
// Claude (:rawPredict, :streamRawPredict) and partner models (the openapi
// endpoint) with "Authorization: Bearer ya29.mock-N". Covers: answers and
// streams with tools, the token fetched once and reused (the mock counts /token
// requests), a key file and an inline key, refused credentials -> 401.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { assembleChat as assemble, cleanup, config, startLlmux, startMock, streamRequest, writeTemp } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hello there friend' }];
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
  },
];

let mock;
let lx;

function serviceAccount(email) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    type: 'service_account',
    project_id: 'proj-from-key',
    private_key_id: crypto.randomBytes(8).toString('hex'),
    private_key: privateKey,
    client_email: email,
    client_id: '1234567890',
    token_uri: `${mock.base}/token`,
  };
}

function vdep(name, model, creds, extra = {}) {
  return {
    model_name: name,
    litellm_params: {
      model,
      api_base: mock.base,
      vertex_project: 'proj-1',
      vertex_location: 'us-central1',
      vertex_credentials: creds,
      ...extra,
    },
  };
}

before(async () => {
  mock = await startMock();
  const shared = serviceAccount('llmux-it@proj-1.iam.gserviceaccount.com');
  const file = writeTemp(JSON.stringify(serviceAccount('file-key@proj-1.iam.gserviceaccount.com')), '.json');
  const refused = serviceAccount('refused@proj-1.iam.gserviceaccount.com');
  lx = await startLlmux(
    config([
      vdep('vgem', 'vertex_ai/gemini-2.0-flash', shared),
      vdep('vclaude', 'vertex_ai/claude-sonnet-4@20250514', shared, { vertex_location: 'us-east5' }),
      vdep('vllama', 'vertex_ai/meta/llama-3.3-70b-instruct-maas', shared),
      // a key file path; the project comes from the key
      vdep('vfile', 'vertex_ai/gemini-2.5-pro', file, { vertex_project: undefined }),
      vdep('vrefused', 'vertex_ai/gemini-2.0-flash', refused),
      vdep('v429', 'vertex_ai/mock-status-429', shared),
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

describe('vertex_ai: configuration', () => {
  test('vertex_ai deployments are served', async () => {
    const r = await chat('vgem');
    assert.equal(r.status, 200, r.text);
  });
});

describe('vertex_ai: gemini', () => {
  test('a non-stream chat: the Vertex URL, the bearer token, an OpenAI answer', async () => {
    const r = await chat('vgem', { max_tokens: 30 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, 'Hello from the Vertex mock.');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.completion_tokens, 5);
    const last = await mock.last();
    assert.equal(last.path, '/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent');
    assert.match(last.headers.authorization, /^Bearer ya29\.mock-\d+$/);
    assert.deepEqual(last.body.contents, [{ role: 'user', parts: [{ text: 'hello there friend' }] }]);
    assert.equal(last.body.generationConfig.maxOutputTokens, 30);
  });

  test('tools: a functionCall becomes an OpenAI tool call', async () => {
    const r = await chat('vgem', { tools: TOOLS });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { q: 'mock' });
    const last = await mock.last();
    assert.equal(last.body.tools[0].functionDeclarations[0].name, 'get_weather');
  });

  test('a stream: chunks, finish and usage', async () => {
    const s = await stream('vgem');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    const a = assemble(s.json);
    assert.equal(a.content, 'Hello from the Vertex mock.');
    assert.equal(a.finish, 'stop');
    assert.equal(a.usage.completion_tokens, 5);
    const last = await mock.last();
    assert.match(last.path, /gemini-2\.0-flash:streamGenerateContent$/);
    assert.equal(last.query, 'alt=sse');
  });

  test('a stream with tools', async () => {
    const s = await stream('vgem', { tools: TOOLS });
    assert.equal(s.status, 200, s.text);
    const a = assemble(s.json);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { q: 'mock' });
    assert.equal(a.finish, 'tool_calls');
  });

  test('an upstream error keeps its status', async () => {
    const r = await chat('v429');
    assert.equal(r.status, 429, r.text);
  });
});

describe('vertex_ai: claude and partner models', () => {
  test('claude: rawPredict with anthropic_version and no model', async () => {
    const r = await chat('vclaude', { max_tokens: 64 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the Vertex mock.');
    const last = await mock.last();
    assert.equal(last.path, '/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict');
    assert.equal(last.body.anthropic_version, 'vertex-2023-10-16');
    assert.equal(last.body.model, undefined);
    assert.equal(last.body.max_tokens, 64);
    assert.match(last.headers.authorization, /^Bearer ya29\.mock-\d+$/);
  });

  test('claude: a stream with tools', async () => {
    const s = await stream('vclaude', { tools: TOOLS });
    assert.equal(s.status, 200, s.text);
    const a = assemble(s.json);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { q: 'mock' });
    assert.equal(a.finish, 'tool_calls');
    const last = await mock.last();
    assert.match(last.path, /:streamRawPredict$/);
  });

  test('a partner model: the OpenAI-compatible endpoint with publisher/model', async () => {
    const r = await chat('vllama');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const last = await mock.last();
    assert.equal(last.path, '/v1/projects/proj-1/locations/us-central1/endpoints/openapi/chat/completions');
    assert.equal(last.body.model, 'meta/llama-3.3-70b-instruct-maas');
    const s = await stream('vllama');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    assert.ok(assemble(s.json).content.length > 0);
  });
});

describe('vertex_ai: tokens', () => {
  test('the token is fetched once and reused across calls', async () => {
    await chat('vgem');
    const before = await mock.count('/token');
    for (let i = 0; i < 3; i++) assert.equal((await chat('vgem')).status, 200);
    assert.equal((await stream('vgem')).status, 200);
    assert.equal(await mock.count('/token'), before, 'no new token request');
  });

  test('a key file: read once, its project used', async () => {
    const r = await chat('vfile');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.match(last.path, /^\/v1\/projects\/proj-from-key\/locations\/us-central1\/publishers\/google\/models\/gemini-2\.5-pro:generateContent$/);
    const n = await mock.count('/token');
    assert.equal((await chat('vfile')).status, 200);
    assert.equal(await mock.count('/token'), n);
  });

  test('refused credentials answer 401 naming the service account', async () => {
    const r = await chat('vrefused');
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error.message, /refused@proj-1\.iam\.gserviceaccount\.com/);
  });
});
