// The remaining provider families through the real binary and llmux-mock:
// azure_ai/ (OpenAI body; claude models as Anthropic Messages),
// huggingface/ (a TGI endpoint at api_base), databricks/, snowflake/ (token-type
// header; claude as Anthropic), voyage/ embeddings, predibase/ (TGI
// /generate[_stream]) and triton/ (generate extension). Each family is driven
// stream and non-stream; where the family has tools, a tool call goes through.
// /mock/last shows what was sent upstream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assembleChat as assemble, cleanup, config, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const EMB = '/v1/embeddings';
const TGI_TEXT = 'Hello from the mock TGI model.';
const KEY = 'sk-tail-upstream';
const MSGS = [{ role: 'user', content: 'hello there friend' }];
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

let mock;
let keyed; // a mock that wants `Authorization: Bearer KEY`
let lx;

function dep(name, model, params = {}) {
  return { model_name: name, litellm_params: { model, ...params } };
}

before(async () => {
  mock = await startMock();
  keyed = await startMock({ apiKey: KEY });
  lx = await startLlmux(
    config([
      dep('aai', 'azure_ai/mistral-large', { api_base: mock.base, api_key: 'aai-key' }),
      // the mock's Messages route is /v1/messages: a whole Messages URL is used as is
      dep('aai-claude', 'azure_ai/claude-sonnet-4-5', { api_base: `${mock.base}/v1/messages`, api_key: 'aai-key' }),
      dep('hf', 'huggingface/meta-llama/Llama-3.1-8B-Instruct', { api_base: `${mock.base}/v1`, api_key: 'hf-key' }),
      dep('dbx', 'databricks/databricks-meta-llama-3-3-70b-instruct', { api_base: `${mock.base}/v1`, api_key: 'dapi-x' }),
      dep('dbx-emb', 'databricks/databricks-gte-large-en', { api_base: `${mock.base}/v1`, api_key: 'dapi-x' }),
      dep('sf', 'snowflake/mistral-large2', { api_base: `${mock.base}/v1`, api_key: 'pat/sf-token' }),
      dep('sf-claude', 'snowflake/claude-3-5-sonnet', { api_base: `${mock.base}/v1`, api_key: 'jwt-token' }),
      dep('voy', 'voyage/voyage-3', { api_base: `${mock.base}/v1`, api_key: 'voy-key' }),
      dep('jina', 'jina_ai/jina-embeddings-v3', { api_base: `${mock.base}/v1`, api_key: 'jina-key' }),
      dep('pb', 'predibase/llama-3-8b', { api_base: keyed.base, api_key: KEY, tenant_id: 't123' }),
      dep('pb-short', 'predibase/llama-3-8b', { api_base: keyed.base, api_key: KEY, tenant_id: 't123', max_tokens: 3 }),
      dep('pb-500', 'predibase/mock-status-500', { api_base: keyed.base, api_key: KEY, tenant_id: 't123' }),
      dep('pb-midstream', 'predibase/mock-stream-error', { api_base: keyed.base, api_key: KEY, tenant_id: 't123' }),
      dep('pb-notenant', 'predibase/llama-3-8b', { api_base: keyed.base, api_key: KEY }),
      dep('tr', 'triton/ensemble', { api_base: mock.base }),
      dep('tr-full', 'triton/ignored', { api_base: `${mock.base}/v2/models/llama/generate` }),
      dep('tr-429', 'triton/mock-status-429', { api_base: mock.base }),
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

describe('tail families: configuration', () => {
  test('no deployment of these families is reported as "not served by this build"', () => {
    assert.doesNotMatch(
      lx.proc.out,
      /provider '(azure_ai|huggingface|databricks|snowflake|predibase|triton|voyage)' is not served/,
    );
  });
});

describe('azure_ai/', () => {
  test('non-stream: OpenAI body on {api_base}/chat/completions with Bearer', async () => {
    const r = await chat('aai', { messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there friend' }] }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(typeof r.json.choices[0].message.content, 'string');
    const last = await mock.last();
    assert.equal(last.path, '/chat/completions');
    assert.equal(last.headers.authorization, 'Bearer aai-key');
    assert.equal(last.body.model, 'mistral-large');
    assert.equal(last.body.messages[0].content, 'hello there friend', 'text-only lists are flattened');
  });

  test('stream: chunks, usage and [DONE]; tools are forwarded', async () => {
    const r = await stream('aai', { tools: TOOLS });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done, 'ends with [DONE]');
    const a = assemble(r.json);
    assert.ok(a.content.length > 0);
    assert.equal(a.finish, 'stop');
    assert.ok(a.usage && a.usage.total_tokens > 0);
    const last = await mock.last();
    assert.equal(last.body.stream, true);
    assert.equal(last.body.tools[0].function.name, 'get_weather');
  });

  test('claude models speak Anthropic Messages (api_base a whole /v1/messages URL)', async () => {
    const r = await chat('aai-claude', { max_tokens: 50 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.body.model, 'claude-sonnet-4-5');
    assert.equal(last.body.max_tokens, 50);
    assert.equal(last.headers['anthropic-version'], '2023-06-01');
    assert.equal(last.headers.authorization, 'Bearer aai-key');
  });

  test('claude: a tool call comes back, streamed', async () => {
    const r = await stream('aai-claude', { tools: TOOLS, tool_choice: 'required', max_tokens: 50 });
    assert.equal(r.status, 200, r.text);
    const a = assemble(r.json);
    assert.equal(a.finish, 'tool_calls');
    assert.equal(a.tools.length, 1);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.doesNotThrow(() => JSON.parse(a.tools[0].arguments));
  });
});

describe('huggingface/ with a TGI endpoint', () => {
  test('non-stream and stream on {api_base}/chat/completions, model as written', async () => {
    const r = await chat('hf');
    assert.equal(r.status, 200, r.text);
    let last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.equal(last.headers.authorization, 'Bearer hf-key');
    const s = await stream('hf', { tools: TOOLS });
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    assert.ok(assemble(s.json).content.length > 0);
    last = await mock.last();
    assert.equal(last.body.tools.length, 1);
  });
});

describe('databricks/', () => {
  test('chat, stream and embeddings on {api_base}/chat/completions and /embeddings', async () => {
    const r = await chat('dbx');
    assert.equal(r.status, 200, r.text);
    let last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.body.model, 'databricks-meta-llama-3-3-70b-instruct');
    assert.equal(last.headers.authorization, 'Bearer dapi-x');
    const s = await stream('dbx');
    assert.equal(s.status, 200, s.text);
    assert.equal(assemble(s.json).finish, 'stop');
    const e = await lx.req(EMB, { method: 'POST', body: { model: 'dbx-emb', input: ['a b', 'c'] } });
    assert.equal(e.status, 200, e.text);
    assert.equal(e.json.data.length, 2);
    last = await mock.last();
    assert.equal(last.path, '/v1/embeddings');
  });
});

describe('snowflake/', () => {
  test('PAT key: Bearer token and the token-type header; stream works', async () => {
    const r = await chat('sf');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/chat/completions');
    assert.equal(last.headers.authorization, 'Bearer sf-token');
    assert.equal(last.headers['x-snowflake-authorization-token-type'], 'PROGRAMMATIC_ACCESS_TOKEN');
    const s = await stream('sf');
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
  });

  test('claude: Anthropic body on {base}/messages with a JWT', async () => {
    const r = await chat('sf-claude');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.headers.authorization, 'Bearer jwt-token');
    assert.equal(last.headers['x-snowflake-authorization-token-type'], 'KEYPAIR_JWT');
    assert.equal(last.headers['x-api-key'], undefined);
    const s = await stream('sf-claude', { tools: TOOLS, tool_choice: 'required' });
    assert.equal(s.status, 200, s.text);
    assert.equal(assemble(s.json).finish, 'tool_calls');
  });
});

describe('voyage/ and jina_ai/ embeddings', () => {
  test('voyage: dimensions -> output_dimension, input_type kept, usage.prompt_tokens', async () => {
    const r = await lx.req(EMB, {
      method: 'POST',
      body: { model: 'voy', input: ['one two', 'three'], dimensions: 8, input_type: 'query', encoding_format: 'float' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.length, 2);
    assert.equal(typeof r.json.usage.prompt_tokens, 'number');
    const last = await mock.last();
    assert.equal(last.path, '/v1/embeddings');
    assert.equal(last.body.output_dimension, 8);
    assert.equal(last.body.dimensions, undefined);
    assert.equal(last.body.input_type, 'query');
    assert.equal(last.body.encoding_format, undefined);
    assert.equal(last.headers.authorization, 'Bearer voy-key');
  });

  test('voyage refuses chat', async () => {
    const r = await chat('voy');
    assert.equal(r.status, 400, r.text);
  });

  test('jina_ai: the OpenAI embeddings endpoint', async () => {
    const r = await lx.req(EMB, { method: 'POST', body: { model: 'jina', input: 'hello', task: 'retrieval.query' } });
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.path, '/v1/embeddings');
    assert.equal(last.body.task, 'retrieval.query');
    assert.equal(last.headers.authorization, 'Bearer jina-key');
  });
});

describe('predibase/ (TGI)', () => {
  test('non-stream: {inputs, parameters} on /{tenant}/deployments/v2/llms/{model}/generate', async () => {
    const r = await chat('pb', { temperature: 0.3, stop: 'END' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TGI_TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.completion_tokens, 6);
    const last = await keyed.last();
    assert.equal(last.path, '/t123/deployments/v2/llms/llama-3-8b/generate');
    assert.equal(last.body.inputs, 'hello there friend');
    assert.deepEqual(last.body.parameters, { temperature: 0.3, stop: ['END'], details: true });
  });

  test('max_tokens from litellm_params -> max_new_tokens; finish length', async () => {
    const r = await chat('pb-short');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'length');
    assert.equal((await keyed.last()).body.parameters.max_new_tokens, 3);
  });

  test('stream: tokens become chunks, the special token is dropped, usage at the end', async () => {
    const r = await stream('pb');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.content, TGI_TEXT);
    assert.equal(a.finish, 'stop');
    assert.equal(a.usage.completion_tokens, 7);
    assert.equal((await keyed.last()).path, '/t123/deployments/v2/llms/llama-3-8b/generate_stream');
  });

  test('tools are refused unless dropped', async () => {
    const r = await chat('pb', { tools: TOOLS });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /tools/);
    const d = await chat('pb', { tools: TOOLS, drop_params: true });
    assert.equal(d.status, 200, d.text);
  });

  test('errors: upstream 500, a mid-stream error event, a missing tenant', async () => {
    const r = await chat('pb-500');
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.error.message, /mock-status-500/);
    const s = await stream('pb-midstream');
    assert.ok(s.text.includes('stream failure') || s.status >= 500, s.text);
    const t = await chat('pb-notenant');
    assert.equal(t.status, 400, t.text);
    assert.match(t.json.error.message, /tenant_id/);
  });
});

describe('triton/', () => {
  test('non-stream: {text_input, parameters} on {api_base}/v2/models/{model}/generate', async () => {
    const r = await chat('tr', { max_tokens: 4 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from the mock');
    const last = await mock.last();
    assert.equal(last.path, '/v2/models/ensemble/generate');
    assert.equal(last.body.text_input, 'hello there friend');
    assert.equal(last.body.parameters.max_tokens, 4);
  });

  test('stream: generate_stream pieces until the body ends', async () => {
    const r = await stream('tr-full');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.content, TGI_TEXT);
    assert.equal(a.finish, 'stop');
    const last = await mock.last();
    assert.equal(last.path, '/v2/models/llama/generate_stream');
    assert.equal(last.body.parameters.stream, true);
  });

  test('an upstream 429 keeps its status', async () => {
    const r = await chat('tr-429');
    assert.equal(r.status, 429, r.text);
  });
});
