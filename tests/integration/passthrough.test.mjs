// Pass-through routes (COMPAT §4.7): /anthropic, /gemini, /openai, /azure,
// /bedrock, /cohere, /mistral, /vllm, /vertex_ai and the custom
// general_settings.pass_through_endpoints. llmux checks its own key, drops
// every client key header, adds the provider credential (Bedrock: a SigV4
// signature, checked here against a signature computed in the test; Vertex
// AI: an OAuth2 access token from the mock's /token, fetched once per service
// account and reused, refusal -> 401, token endpoint down -> 503), appends
// the rest of the path and the query to the provider's base URL and sends the
// body bytes as received. The answer (status, headers, bytes, SSE events)
// comes back unchanged; usage read on the way gives x-litellm-response-cost on
// JSON answers and a debug log line. /mock/last shows what the mock received.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  MASTER_KEY,
  RawConn,
  UPSTREAM_KEY,
  cleanup,
  closedPort,
  config,
  fetchT,
  rawRequest,
  request,
  startLlmux,
  startMock,
  waitFor,
} from '../lib/harness.mjs';

const AKID = 'AKIDPASSTHRU';
const SECRET = 'pass/through+secret';
const REGION = 'us-east-1';
const BEDROCK_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const PROVIDER_ENV = [
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GEMINI_API_BASE',
  'COHERE_API_KEY',
  'CO_API_KEY',
  'COHERE_API_BASE',
  'MISTRAL_API_KEY',
  'MISTRAL_API_BASE',
  'HOSTED_VLLM_API_KEY',
  'HOSTED_VLLM_API_BASE',
  'VLLM_API_BASE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_REGION_NAME',
  'AWS_DEFAULT_REGION',
  'AWS_BEARER_TOKEN_BEDROCK',
  'AWS_BEDROCK_RUNTIME_ENDPOINT',
  'CUSTOM_TOKEN',
  'VERTEXAI_CREDENTIALS',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'VERTEXAI_PROJECT',
  'VERTEXAI_LOCATION',
  'VERTEX_LOCATION',
];
const VERTEX_EMAIL = 'pt-vertex@proj-1.iam.gserviceaccount.com';
const VERTEX_REFUSED = 'refused@proj-r.iam.gserviceaccount.com';
const ANTHROPIC_BODY = (model, extra = '') =>
  `{"model": "${model}",  "max_tokens":64,\n "messages":[{"role":"user","content":"hello there friend"}]${extra}}`;

let mock;
let lx;

/** Every header value the mock received, joined: the client's key must appear in none. */
function allHeaderValues(last) {
  return Object.values(last.headers ?? {}).join('\n');
}

/** A Google service-account key (a fresh RSA key) whose token_uri is tokenUri. */
function serviceAccount(email, tokenUri) {
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
    token_uri: tokenUri,
  };
}

/** A vertex_ai/ deployment on the mock. */
function vertexDep(name, creds, extra = {}) {
  return { model_name: name, litellm_params: { model: 'vertex_ai/gemini-2.0-flash', api_base: mock.base, vertex_credentials: creds, ...extra } };
}

/** A raw POST to llmux with exact body bytes. */
function post(path, body, { key = MASTER_KEY, headers = {} } = {}) {
  return request(lx.url(path), { method: 'POST', body, key, headers: { 'content-type': 'application/json', ...headers } });
}

/** The same request straight to the mock (its own credential), to compare answers byte for byte. */
function direct(path, body, headers) {
  return request(mock.base + path, { method: 'POST', body, key: null, headers: { 'content-type': 'application/json', ...headers } });
}

const maskIds = (s) => s.replace(/msg_mock\d+/g, 'msg_X').replace(/"responseId":"mock-\d+"/g, '"responseId":"X"').replace(/chatcmpl-mock-\d+/g, 'chatcmpl-X').replace(/"created":\d+/g, '"created":0');

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY });
  const dead = await closedPort();
  const cfg = config(
    [
      // /openai takes its credential and base from the first openai deployment
      {
        model_name: 'gpt-4o',
        litellm_params: { model: 'openai/gpt-4o', api_base: mock.v1, api_key: UPSTREAM_KEY },
      },
      // /vertex_ai: the first vertex_ai deployment lends its key; its vertex_project wins over the path's
      vertexDep('pt-vertex', serviceAccount(VERTEX_EMAIL, `${mock.base}/token`), { vertex_project: 'proj-1' }),
      // picked for paths naming their project and location
      vertexDep('pt-vertex-refused', serviceAccount(VERTEX_REFUSED, `${mock.base}/token`), { vertex_project: 'proj-r', vertex_location: 'us-east5' }),
      vertexDep('pt-vertex-dead', serviceAccount('dead@proj-d.iam.gserviceaccount.com', `http://127.0.0.1:${dead}/token`), { vertex_project: 'proj-d', vertex_location: 'asia-east1' }),
    ],
    {
      general: {
        pass_through_endpoints: [
          {
            path: '/custom/chat',
            target: `${mock.v1}/chat/completions`,
            headers: { Authorization: 'Bearer os.environ/CUSTOM_TOKEN', 'x-custom': 'yes' },
            cost_per_request: 0.5,
          },
          {
            path: '/mockapi',
            target: mock.base,
            include_subpath: true,
            forward_headers: true,
            auth: false,
            headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
          },
          { path: '/dead', target: `http://127.0.0.1:${dead}/v1/x` },
        ],
      },
    },
  );
  lx = await startLlmux(cfg, {
    unset: PROVIDER_ENV,
    env: {
      LITELLM_LOG: 'DEBUG',
      ANTHROPIC_API_KEY: UPSTREAM_KEY,
      ANTHROPIC_API_BASE: mock.base,
      GEMINI_API_KEY: UPSTREAM_KEY,
      GEMINI_API_BASE: mock.base,
      COHERE_API_KEY: UPSTREAM_KEY,
      COHERE_API_BASE: mock.base,
      MISTRAL_API_KEY: UPSTREAM_KEY,
      MISTRAL_API_BASE: mock.v1, // ends with /v1: /mistral/v1/... must not double it
      AZURE_API_KEY: UPSTREAM_KEY,
      AZURE_API_BASE: mock.base,
      HOSTED_VLLM_API_KEY: UPSTREAM_KEY,
      HOSTED_VLLM_API_BASE: mock.base,
      AWS_ACCESS_KEY_ID: AKID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_REGION_NAME: REGION,
      AWS_BEDROCK_RUNTIME_ENDPOINT: mock.base,
      CUSTOM_TOKEN: UPSTREAM_KEY,
    },
  });
});

after(cleanup);

/* ------------------------------------------------------------------------ */

describe('forwarding: path, query, body bytes, credential', () => {
  // prefix -> [the header that must carry the provider credential, its value]
  const cases = {
    anthropic: ['x-api-key', UPSTREAM_KEY],
    gemini: ['x-goog-api-key', UPSTREAM_KEY],
    openai: ['authorization', `Bearer ${UPSTREAM_KEY}`],
    azure: ['api-key', UPSTREAM_KEY],
    cohere: ['authorization', `Bearer ${UPSTREAM_KEY}`],
    mistral: ['authorization', `Bearer ${UPSTREAM_KEY}`],
    vllm: ['authorization', `Bearer ${UPSTREAM_KEY}`],
    bedrock: ['authorization', /^AWS4-HMAC-SHA256 Credential=AKIDPASSTHRU\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/],
  };
  const RAW = 'raw  bytes {not: json}\t"quoted" ~ end';

  for (const [prefix, [hname, hvalue]] of Object.entries(cases)) {
    test(`/${prefix}: rest of the path, query and raw body reach the upstream unchanged, with the provider key and not the client's`, async () => {
      const r = await post(`/${prefix}/v1/echo-check/a%2Fb?x=1&y=two%20words`, RAW, {
        headers: { 'content-type': 'text/plain', 'x-trace-id': 'trace-42', 'x-api-key': MASTER_KEY },
      });
      // the mock has no such route: its own error comes back as it is
      assert.ok([401, 404].includes(r.status), `mock's status relayed, got ${r.status} ${r.text}`);
      assert.match(r.text, /llmux-mock|Incorrect API key/);
      const last = await mock.last();
      assert.equal(last.method, 'POST');
      assert.equal(last.path, '/v1/echo-check/a%2Fb');
      assert.equal(last.query, 'x=1&y=two%20words');
      assert.equal(last.body, RAW, 'body bytes unchanged');
      assert.equal(last.headers['content-type'], 'text/plain');
      assert.equal(last.headers['x-trace-id'], 'trace-42', 'other client headers are forwarded');
      if (hvalue instanceof RegExp) assert.match(last.headers[hname], hvalue);
      else assert.equal(last.headers[hname], hvalue);
      assert.ok(!allHeaderValues(last).includes(MASTER_KEY), `the client's key leaked upstream: ${JSON.stringify(last.headers)}`);
    });
  }

  test('/gemini: the key may come as ?key=, which is checked and not forwarded', async () => {
    const path = '/v1beta/models/gemini-2.0-flash:generateContent';
    const body = '{"contents":[{"role":"user","parts":[{"text":"hello there friend"}]}]}';
    const r = await post(`/gemini${path}?key=${MASTER_KEY}&alt=json`, body, { key: null });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.candidates?.length >= 1);
    const last = await mock.last();
    assert.equal(last.path, path);
    assert.equal(last.query, 'alt=json');
    assert.equal(last.headers['x-goog-api-key'], UPSTREAM_KEY);
    assert.ok(!allHeaderValues(last).includes(MASTER_KEY));

    const before0 = (await mock.stats()).requests;
    const bad = await post(`/gemini${path}?key=sk-wrong`, body, { key: null });
    assert.equal(bad.status, 401);
    assert.equal((await mock.stats()).requests, before0, 'no upstream call with a wrong ?key=');
  });

  test('/azure: deployment path and api-version query reach Azure as sent', async () => {
    const r = await post(
      '/azure/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
      '{"messages":[{"role":"user","content":"hello there friend"}]}',
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const last = await mock.last();
    assert.equal(last.path, '/openai/deployments/gpt-4o/chat/completions');
    assert.equal(last.query, 'api-version=2024-10-21');
    assert.equal(last.headers['api-key'], UPSTREAM_KEY);
  });

  test('/cohere, /mistral, /vllm: native answers relayed (base URLs ending in /v1 are not doubled)', async () => {
    const co = await post('/cohere/v2/chat', '{"model":"command-r","messages":[{"role":"user","content":"hi there"}]}');
    assert.equal(co.status, 200, co.text);
    assert.equal((await mock.last()).path, '/v2/chat');
    assert.ok(co.json.message, 'Cohere v2 answer as it is');

    const mi = await post('/mistral/v1/chat/completions', '{"model":"mistral-small","messages":[{"role":"user","content":"hi"}]}');
    assert.equal(mi.status, 200, mi.text);
    assert.equal((await mock.last()).path, '/v1/chat/completions');

    const vl = await post('/vllm/v1/completions', '{"model":"llama","prompt":"hi"}');
    assert.equal(vl.status, 200, vl.text);
    assert.equal(vl.json.object, 'text_completion');
    assert.equal((await mock.last()).path, '/v1/completions');
  });

  test('GET with no body is forwarded as GET', async () => {
    const r = await request(lx.url('/openai/models'), {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    const last = await mock.last();
    assert.equal(last.method, 'GET');
    assert.equal(last.path, '/v1/models');
  });
});

describe('answers: status, headers and bytes unchanged', () => {
  test('/anthropic non-stream: same bytes as the provider, cost header from its usage', async () => {
    const body = ANTHROPIC_BODY('claude-3-5-sonnet-20240620');
    const r = await post('/anthropic/v1/messages', body);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /application\/json/);
    const d = await direct('/v1/messages', body, { 'x-api-key': UPSTREAM_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(maskIds(r.text), maskIds(d.text), 'answer bytes unchanged');
    const last = await mock.last();
    assert.equal(last.headers['anthropic-version'], '2023-06-01', 'added when the client sent none');
    const u = r.json.usage;
    const expected = u.input_tokens * 3e-6 + u.output_tokens * 1.5e-5;
    const cost = Number(r.headers['x-litellm-response-cost']);
    assert.ok(Math.abs(cost - expected) < 1e-12, `cost ${r.headers['x-litellm-response-cost']} != ${expected}`);
    assert.ok(r.headers['x-litellm-call-id']);
  });

  test("/anthropic keeps the client's anthropic-version and beta headers", async () => {
    const r = await post('/anthropic/v1/messages', ANTHROPIC_BODY('claude-3-5-sonnet-20240620'), {
      headers: { 'anthropic-version': '2023-01-01', 'anthropic-beta': 'tools-2024-04-04' },
    });
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.headers['anthropic-version'], '2023-01-01');
    assert.equal(last.headers['anthropic-beta'], 'tools-2024-04-04');
  });

  test('/anthropic stream: SSE bytes relayed unchanged; usage from message_start/message_delta logged', async () => {
    const body = ANTHROPIC_BODY('claude-3-5-sonnet-20240620', ', "stream": true');
    const from = lx.proc.out.length;
    const r = await post('/anthropic/v1/messages', body);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.headers['x-litellm-response-cost'], undefined, 'no cost header on a stream');
    const d = await direct('/v1/messages', body, { 'x-api-key': UPSTREAM_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(maskIds(r.text), maskIds(d.text), 'stream bytes unchanged');
    const delta = r.text.match(/"output_tokens":\s*(\d+)/g);
    assert.ok(delta, 'the mock stream carries usage');
    const m = await lx.proc.waitOutput(/pass-through anthropic call \S+: HTTP 200, model claude-3-5-sonnet-20240620, usage (\{[^\n]*\}), tokens (\d+), cost ([0-9.e-]+)/, { from, timeout: 5000 });
    const usage = JSON.parse(m[1]);
    assert.ok(usage.input_tokens > 0 && usage.output_tokens > 0, `usage ${m[1]}`);
    assert.ok(Number(m[3]) > 0);
  });

  test('/openai (deployment credentials): JSON answer with a cost from gpt-4o prices', async () => {
    const r = await post('/openai/chat/completions', '{"model":"gpt-4o","messages":[{"role":"user","content":"hello there friend"}]}');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal((await mock.last()).path, '/v1/chat/completions');
    const u = r.json.usage;
    const expected = u.prompt_tokens * 2.5e-6 + u.completion_tokens * 1e-5;
    assert.ok(Math.abs(Number(r.headers['x-litellm-response-cost']) - expected) < 1e-12, `cost ${r.headers['x-litellm-response-cost']} != ${expected}`);
  });

  test('/openai stream: chunks and [DONE] relayed unchanged, usage chunk logged', async () => {
    const body = '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there friend"}]}';
    const from = lx.proc.out.length;
    const r = await post('/openai/chat/completions', body);
    assert.equal(r.status, 200);
    const d = await direct('/v1/chat/completions', body, { authorization: `Bearer ${UPSTREAM_KEY}` });
    assert.equal(maskIds(r.text), maskIds(d.text));
    assert.ok(r.text.endsWith('data: [DONE]\n\n'));
    await lx.proc.waitOutput(/pass-through openai call \S+: HTTP 200, model gpt-4o, usage \{[^\n]*"completion_tokens":16/, { from, timeout: 5000 });
  });

  test('/gemini stream (alt=sse): events relayed unchanged, usageMetadata read', async () => {
    const path = '/v1beta/models/gemini-2.0-flash:streamGenerateContent';
    const body = '{"contents":[{"role":"user","parts":[{"text":"hello there friend"}]}]}';
    const from = lx.proc.out.length;
    const r = await post(`/gemini${path}?alt=sse`, body);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    const d = await direct(`${path}?alt=sse`, body, { 'x-goog-api-key': UPSTREAM_KEY });
    assert.equal(maskIds(r.text), maskIds(d.text));
    await lx.proc.waitOutput(/pass-through gemini call \S+: HTTP 200, model gemini-2.0-flash, usage \{"prompt_tokens":\d+,"completion_tokens":\d+/, { from, timeout: 5000 });
  });

  test('upstream error statuses and bodies are relayed as they are', async () => {
    const body = ANTHROPIC_BODY('mock-status-529');
    const r = await post('/anthropic/v1/messages', body);
    assert.equal(r.status, 529);
    const d = await direct('/v1/messages', body, { 'x-api-key': UPSTREAM_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(r.text, d.text);
    assert.equal(r.json.type, 'error', "Anthropic's own error shape, not llmux's");
    assert.equal(r.headers['x-litellm-response-cost'], undefined);

    const g = await post('/gemini/v1beta/models/mock-status-429:generateContent', '{"contents":[{"parts":[{"text":"x"}]}]}');
    assert.equal(g.status, 429);
    assert.equal(g.json.error.status, 'RESOURCE_EXHAUSTED');
  });

  test('Bedrock: the request is re-signed with SigV4 for the exact bytes, path and query sent', async () => {
    const path = `/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`;
    const body = '{"messages":[{"role":"user","content":[{"text":"hello there friend"}]}],  "inferenceConfig":{"maxTokens":50}}';
    const from = lx.proc.out.length;
    const r = await post(`/bedrock${path}`, body, {
      key: null,
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=client/x, Signature=00`, 'x-amz-date': '20000101T000000Z', 'x-litellm-api-key': MASTER_KEY },
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.output?.message, 'Converse answer as it is');
    const last = await mock.last();
    assert.equal(last.path, path);
    const auth = last.headers.authorization;
    const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/bedrock\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/);
    assert.ok(m, auth);
    assert.equal(m[1], AKID);
    assert.equal(m[3], REGION);
    assert.notEqual(last.headers['x-amz-date'], '20000101T000000Z', "the client's signing headers are replaced");
    assert.equal(m[5], sigv4(last, body, m[4].split(';'), m[2]), 'the signature matches the request the mock got');
    // usage of the Converse answer, in its own shape, gives a cost
    const u = r.json.usage;
    const expected = u.inputTokens * 3e-6 + u.outputTokens * 1.5e-5;
    assert.ok(Math.abs(Number(r.headers['x-litellm-response-cost']) - expected) < 1e-12, `cost ${r.headers['x-litellm-response-cost']} != ${expected}`);
    await lx.proc.waitOutput(/pass-through bedrock call \S+: HTTP 200, model anthropic\.claude-3-5-sonnet-20240620-v1:0, usage \{"input_tokens"/, { from, timeout: 5000 });
  });
});

describe('auth', () => {
  const routes = ['/anthropic/v1/messages', '/gemini/v1beta/models/x:generateContent', '/openai/chat/completions', '/azure/openai/deployments/d/chat/completions', '/bedrock/model/m/converse', '/cohere/v2/chat', '/mistral/v1/chat/completions', '/vllm/v1/completions', '/vertex_ai/v1/projects/p/locations/l/publishers/google/models/m:generateContent', '/custom/chat'];

  test('a wrong or missing llmux key gets 401 and no upstream call', async () => {
    const s0 = (await mock.stats()).requests;
    for (const p of routes) {
      const bad = await post(p, '{}', { key: 'sk-wrong' });
      assert.equal(bad.status, 401, `${p}: ${bad.text}`);
      assert.equal(bad.json.error.type, 'auth_error');
      const none = await post(p, '{}', { key: null });
      assert.equal(none.status, 401, `${p} without a key`);
    }
    assert.equal((await mock.stats()).requests, s0, 'no request reached the upstream');
  });

  test('a path that only starts like a prefix is not a pass-through route', async () => {
    const r = await post('/anthropicx/v1/messages', '{}');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { detail: 'Not Found' });
  });
});

describe('/vertex_ai: an OAuth2 token, then the call', () => {
  const GEN = '/publishers/google/models/gemini-2.0-flash:generateContent';
  const BODY = '{"contents":[{"role":"user","parts":[{"text":"hello there friend"}]}],  "generationConfig":{"maxOutputTokens":30}}';
  const BEARER = /^Bearer ya29\.mock-\d+$/;

  test('generateContent: bytes both ways unchanged, a bearer token, the llmux key kept here', async () => {
    const t0 = await mock.count('/token');
    const r = await post(`/vertex_ai/v1/projects/client-proj/locations/us-central1${GEN}?trace=1`, BODY, {
      headers: { 'x-goog-api-key': MASTER_KEY, 'x-trace-id': 'trace-7' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(await mock.count('/token'), t0 + 1, 'one token request');
    const last = await mock.last();
    // the deployment's vertex_project replaces the path's; the location stays
    assert.equal(last.path, `/v1/projects/proj-1/locations/us-central1${GEN}`);
    assert.equal(last.query, 'trace=1');
    // the mock shows a JSON body parsed: same content, and the same length (its odd spacing kept)
    assert.deepEqual(last.body, JSON.parse(BODY));
    assert.equal(Number(last.headers['content-length']), Buffer.byteLength(BODY), 'body bytes unchanged');
    assert.match(last.headers.authorization, BEARER);
    assert.equal(last.headers['x-trace-id'], 'trace-7');
    assert.ok(!allHeaderValues(last).includes(MASTER_KEY), `the client's key leaked upstream: ${JSON.stringify(last.headers)}`);
    const d = await direct(last.path, BODY, { authorization: last.headers.authorization });
    assert.equal(r.text, d.text, 'answer bytes unchanged');
    assert.equal(r.json.usageMetadata.candidatesTokenCount, 5);
    assert.ok(Number(r.headers['x-litellm-response-cost']) > 0, `cost from usageMetadata: ${r.headers['x-litellm-response-cost']}`);
    assert.ok(r.headers['x-litellm-call-id']);
  });

  test('the token is fetched once and reused across calls', async () => {
    await post(`/vertex_ai/v1/projects/p/locations/us-central1${GEN}`, BODY);
    const t1 = await mock.count('/token');
    const a = (await mock.last()).headers.authorization;
    for (let i = 0; i < 2; i++) {
      const r = await post(`/vertex_ai/v1/projects/p/locations/us-central1${GEN}`, BODY);
      assert.equal(r.status, 200, r.text);
      assert.equal((await mock.last()).headers.authorization, a, 'the same token');
    }
    assert.equal(await mock.count('/token'), t1, 'no new token request');
  });

  test('a path without projects/locations gets them from the deployment; a stream is relayed as SSE', async () => {
    const from = lx.proc.out.length;
    const t1 = await mock.count('/token');
    const r = await post('/vertex_ai/v1/publishers/google/models/gemini-2.0-flash:streamGenerateContent', BODY);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    const last = await mock.last();
    assert.equal(last.path, '/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.0-flash:streamGenerateContent');
    assert.equal(last.query, 'alt=sse', 'a stream method asks for SSE');
    assert.match(last.headers.authorization, BEARER);
    const d = await direct(`${last.path}?alt=sse`, BODY, { authorization: last.headers.authorization });
    assert.equal(r.text, d.text, 'stream bytes unchanged');
    assert.equal(await mock.count('/token'), t1);
    await lx.proc.waitOutput(/pass-through vertex_ai call \S+: HTTP 200, model gemini-2\.0-flash, usage \{"prompt_tokens":\d+,"completion_tokens":5/, { from, timeout: 5000 });

    const nv = await post(`/vertex_ai${GEN}`, BODY);
    assert.equal(nv.status, 200, nv.text);
    assert.equal((await mock.last()).path, `/v1/projects/proj-1/locations/us-central1${GEN}`, 'no version: v1');
  });

  test('an upstream error is relayed as it is', async () => {
    const r = await post('/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/mock-status-429:generateContent', BODY);
    assert.equal(r.status, 429);
    assert.equal(r.json.error.status, 'RESOURCE_EXHAUSTED', "Google's own error shape");
  });

  test('refused credentials answer 401 naming the service account, with no model call', async () => {
    const m0 = await mock.modelRequests();
    const t0 = await mock.count('/token');
    // the path's project and location select the deployment with that key
    const r = await post(`/vertex_ai/v1/projects/proj-r/locations/us-east5${GEN}`, BODY);
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.error.type, 'auth_error');
    assert.match(r.json.error.message, /refused@proj-r\.iam\.gserviceaccount\.com/);
    assert.equal(await mock.count('/token'), t0 + 1);
    assert.equal(await mock.modelRequests(), m0 + 1, 'only the token request reached the mock');
  });

  test('a token endpoint that cannot be reached answers 503', async () => {
    const m0 = await mock.modelRequests();
    const r = await post(`/vertex_ai/v1/projects/proj-d/locations/asia-east1${GEN}`, BODY);
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error.message, /access token from http:\/\/127\.0\.0\.1:\d+\/token/);
    assert.equal(await mock.modelRequests(), m0);
  });

  test('a location that is no host name is refused before any upstream call', async () => {
    const m0 = await mock.modelRequests();
    const r = await post(`/vertex_ai/v1/projects/p/locations/evil.example@x${GEN}`, BODY);
    assert.equal(r.status, 400, r.text);
    assert.equal(await mock.modelRequests(), m0);
  });
});

describe('custom pass_through_endpoints', () => {
  test('path -> target with its configured headers (os.environ/ resolved), cost_per_request', async () => {
    const r = await post('/custom/chat?trace=1', '{"model":"custom-model","messages":[{"role":"user","content":"hello there friend"}]}', {
      headers: { 'x-not-forwarded': 'nope' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.headers['x-litellm-response-cost'], '0.5');
    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.query, 'trace=1');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.headers['x-custom'], 'yes');
    assert.equal(last.headers['x-not-forwarded'], undefined, 'client headers stay without forward_headers');
    assert.equal(last.headers['content-type'], 'application/json');
  });

  test("an upstream that cannot be reached gives llmux's 500 envelope", async () => {
    const r = await post('/dead', '{}');
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.error.message, /pass-through to \/dead failed: cannot connect/);
    assert.equal(r.json.error.code, '500');
  });

  test('without include_subpath only the exact path matches', async () => {
    const r = await post('/custom/chat/more', '{}');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { detail: 'Not Found' });
  });

  test('include_subpath + forward_headers + auth: false', async () => {
    const r = await request(lx.url('/mockapi/v1/models?limit=2'), { key: null, headers: { 'x-trace-id': 'abc' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    const last = await mock.last();
    assert.equal(last.path, '/v1/models');
    assert.equal(last.query, 'limit=2');
    assert.equal(last.headers['x-trace-id'], 'abc');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`, 'the configured header wins');
    // and with a client key: never forwarded
    await request(lx.url('/mockapi/v1/models'), { headers: { 'x-goog-api-key': MASTER_KEY } });
    assert.ok(!allHeaderValues(await mock.last()).includes(MASTER_KEY));
  });
});

describe('streaming behaviour', () => {
  test('a client that goes away mid-stream cancels the upstream call', async () => {
    const s0 = await mock.stats();
    const c = await RawConn.open(lx.port);
    try {
      await c.write(
        rawRequest('POST', '/openai/chat/completions', {
          body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true },
          headers: { 'x-mock-chunks': '200', 'x-mock-interval-ms': '50' },
        }),
      );
      assert.ok(await c.waitText('chat.completion.chunk', 5000), `streaming started: ${c.buf.toString().slice(0, 300)}`);
    } finally {
      c.destroy();
    }
    await waitFor(async () => (await mock.stats()).client_aborts >= s0.client_aborts + 1, {
      timeout: 4000,
      what: 'mock client_aborts + 1 after the client left',
    });
    await waitFor(async () => (await mock.stats()).inflight === 0, { timeout: 4000, what: 'mock inflight back to 0' });
  });

  test('a slow reader gets every byte of a long stream (backpressure)', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const hdrs = { 'x-mock-chunks': '20000', 'x-mock-chunk-bytes': '64' };
    const r = await fetchT(lx.url('/openai/chat/completions'), {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...hdrs },
      body,
    }, 60000);
    assert.equal(r.status, 200);
    let text = '';
    const dec = new TextDecoder();
    let n = 0;
    for await (const chunk of r.body) {
      text += dec.decode(chunk, { stream: true });
      if (n++ < 20) await new Promise((res) => setTimeout(res, 20)); // read slowly at first
    }
    const d = await direct('/v1/chat/completions', body, { authorization: `Bearer ${UPSTREAM_KEY}`, ...hdrs });
    assert.equal(maskIds(text).length, maskIds(d.text).length);
    assert.equal(maskIds(text), maskIds(d.text));
  });
});

describe('missing provider credentials', () => {
  let bare;
  before(async () => {
    bare = await startLlmux(config([]), { unset: PROVIDER_ENV });
  });

  test('answer 500 naming the variable, before any upstream call', async () => {
    const s0 = (await mock.stats()).requests;
    const cases = [
      ['/anthropic/v1/messages', /ANTHROPIC_API_KEY/],
      ['/gemini/v1beta/models/x:generateContent', /GEMINI_API_KEY/],
      ['/cohere/v2/chat', /COHERE_API_KEY/],
      ['/azure/openai/deployments/d/chat/completions', /AZURE_API_BASE/],
      ['/vllm/v1/completions', /HOSTED_VLLM_API_BASE/],
      ['/bedrock/model/m/converse', /AWS_ACCESS_KEY_ID/],
      ['/vertex_ai/v1/projects/p/locations/us-central1/publishers/google/models/m:generateContent', /GOOGLE_APPLICATION_CREDENTIALS/],
    ];
    for (const [p, re] of cases) {
      const r = await request(bare.url(p), { method: 'POST', body: '{}' });
      assert.equal(r.status, 500, `${p}: ${r.text}`);
      assert.match(r.json.error.message, re);
    }
    assert.equal((await mock.stats()).requests, s0);
  });
});

/* ------------------------------------------------------------------------ */
/* AWS Signature Version 4, written from the AWS documentation, to check llmux's */

function uriEncode(s, keepSlash) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function sigv4(last, body, signed, day) {
  const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();
  const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
  const uri = last.path.split('/').map((seg) => uriEncode(seg, false)).join('/');
  const query = last.query
    ? last.query
        .split('&')
        .map((kv) => kv.split('=').map((x) => uriEncode(decodeURIComponent(x), false)))
        .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `${k}=${v ?? ''}`)
        .join('&')
    : '';
  const headers = signed.map((h) => `${h}:${String(last.headers[h]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [last.method, uri, query, headers, signed.join(';'), sha(body)].join('\n');
  const scope = `${day}/${REGION}/bedrock/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', last.headers['x-amz-date'], scope, sha(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day), REGION), 'bedrock'), 'aws4_request');
  return crypto.createHmac('sha256', key).update(sts).digest('hex');
}
