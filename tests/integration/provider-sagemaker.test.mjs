// Amazon SageMaker deployments: sagemaker_chat/{endpoint} sends the OpenAI
// body to the endpoint's container and sagemaker/{endpoint} a Text
// Generation Inference body ({inputs, parameters}), both SigV4-signed
// (service "sagemaker") against llmux-mock's /endpoints/{name}/invocations
// and /invocations-response-stream (an AWS event stream of PayloadPart
// events carrying the container's SSE, cut mid-line). /mock/last shows the
// request the mock received.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, envelopeProblem, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'mock '.repeat(16); // 10 pieces x 8 bytes of the mock's text
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];
const AWS_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_REGION_NAME',
  'AWS_DEFAULT_REGION',
  'AWS_BEARER_TOKEN_BEDROCK',
];
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=AKIDMOCK\/(\d{8})\/eu-west-1\/sagemaker\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/;

let mock;
let lx;

function sdep(name, model, extra = {}) {
  return {
    model_name: name,
    litellm_params: {
      model,
      api_base: mock.base,
      aws_access_key_id: 'AKIDMOCK',
      aws_secret_access_key: 'mock/secret+key',
      aws_region_name: 'eu-west-1',
      ...extra,
    },
  };
}

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([
      sdep('sm-chat', 'sagemaker_chat/my-chat-endpoint'),
      sdep('sm-chat-ic', 'sagemaker_chat/my-chat-endpoint', { model_id: 'ic-llama' }),
      sdep('sm-tgi', 'sagemaker/my-tgi-endpoint', { hf_model_name: 'meta-llama/Meta-Llama-3-8B-Instruct' }),
      sdep('sm-tgi-plain', 'sagemaker/plain-endpoint'),
      sdep('sm-400', 'sagemaker_chat/mock-status-400'),
      sdep('sm-model-error', 'sagemaker/mock-model-error-422'),
      sdep('sm-stream-error', 'sagemaker_chat/mock-exception-ModelStreamError'),
      sdep('sm-malformed', 'sagemaker/mock-fault-malformed'),
      {
        model_name: 'sm-nocreds',
        litellm_params: { model: 'sagemaker_chat/my-chat-endpoint', api_base: mock.base, aws_region_name: 'eu-west-1' },
      },
    ]),
    { unset: AWS_ENV },
  );
});

after(cleanup);

function chat(model, body = {}, messages = MSGS) {
  return lx.req(CHAT, { method: 'POST', body: { model, messages, ...body } });
}

function stream(model, body = {}) {
  return streamRequest(lx.url(CHAT), {
    body: { model, messages: MSGS, stream: true, stream_options: { include_usage: true }, ...body },
  });
}

function assemble(chunks) {
  const out = { content: '', finish: null, usage: null, roleFirst: false };
  chunks.forEach((c, i) => {
    const ch = c.choices?.[0];
    const d = ch?.delta ?? {};
    if (i === 0) out.roleFirst = d.role === 'assistant';
    if (typeof d.content === 'string') out.content += d.content;
    if (ch?.finish_reason) out.finish = ch.finish_reason;
    if (c.usage) out.usage = c.usage;
  });
  return out;
}

describe('sagemaker_chat: the OpenAI body to the container', () => {
  test('a non-stream chat: the container answer, the signed request', async () => {
    const r = await chat('sm-chat', { temperature: 0.3, max_tokens: 20 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, { prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 });
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/endpoints/my-chat-endpoint/invocations');
    assert.match(last.headers.authorization, SIGV4);
    assert.equal(last.headers.authorization.match(SIGV4)[1], last.headers['x-amz-date'].slice(0, 8));
    assert.equal(last.headers.host, `127.0.0.1:${mock.port}`);
    assert.equal(last.headers['x-amzn-sagemaker-inference-component'], undefined);
    assert.deepEqual(last.body, { model: 'my-chat-endpoint', messages: MSGS, temperature: 0.3, max_tokens: 20 });
  });

  test('model_id becomes the inference component header, not a body member', async () => {
    const r = await chat('sm-chat-ic');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.headers['x-amzn-sagemaker-inference-component'], 'ic-llama');
    assert.ok(!('model_id' in last.body));
  });

  test('a stream: PayloadPart bytes cut mid-line become OpenAI SSE with usage and [DONE]', async () => {
    const r = await stream('sm-chat');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.done, true, 'ends with [DONE]');
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const a = assemble(r.json);
    assert.ok(a.roleFirst);
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.deepEqual(a.usage, { prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 });
    const last = await mock.last();
    assert.equal(last.path, '/endpoints/my-chat-endpoint/invocations-response-stream');
    assert.match(last.headers.authorization, SIGV4);
    assert.equal(last.body.stream, true);
  });

  test('without include_usage the client gets no usage chunk', async () => {
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'sm-chat', messages: MSGS, stream: true } });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    assert.ok(!r.json.some((c) => c.usage));
    assert.equal(assemble(r.json).content, TEXT);
  });
});

describe('sagemaker: TGI', () => {
  test('the prompt is rendered with the hf_model_name template; details on', async () => {
    const r = await chat('sm-tgi', { max_tokens: 64, temperature: 0, stop: 'END', top_p: 0.5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.model, 'my-tgi-endpoint');
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'length');
    assert.equal(r.json.usage.completion_tokens, 16);
    assert.ok(r.json.usage.prompt_tokens > 0);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + 16);
    const last = await mock.last();
    assert.equal(last.path, '/endpoints/my-tgi-endpoint/invocations');
    assert.match(last.headers.authorization, SIGV4);
    assert.deepEqual(last.body, {
      inputs:
        '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nhello there friend<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
      parameters: { max_new_tokens: 64, temperature: 0.01, stop: ['END'], top_p: 0.5, details: true },
    });
  });

  test('without a known template the contents are joined by spaces', async () => {
    const r = await chat('sm-tgi-plain');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await mock.last()).body, { inputs: 'Be brief. hello there friend', parameters: { details: true } });
  });

  test('a TGI stream: token events become chunks; the special token is left out', async () => {
    const r = await stream('sm-tgi');
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.ok(a.roleFirst);
    assert.equal(a.content, TEXT, 'no </s>');
    assert.equal(a.finish, 'length');
    assert.equal(a.usage.completion_tokens, 16);
    const last = await mock.last();
    assert.equal(last.path, '/endpoints/my-tgi-endpoint/invocations-response-stream');
    assert.equal(last.body.stream, true);
  });

  test('a parameter TGI lacks is a 400 naming it, unless dropped', async () => {
    const before = await mock.modelRequests();
    const r = await chat('sm-tgi', { tools: [{ type: 'function', function: { name: 'f' } }] });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /does not support parameter 'tools'/);
    assert.equal(await mock.modelRequests(), before, 'nothing was sent upstream');
    const ok = await chat('sm-tgi', { tools: [{ type: 'function', function: { name: 'f' } }], drop_params: true });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('sagemaker: errors', () => {
  test('an upstream 400 keeps its status and message', async () => {
    const r = await chat('sm-400');
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /HTTP 400 for endpoint 'mock-status-400'/);
  });

  test("a ModelError (424) answers the container's own status and message", async () => {
    const r = await chat('sm-model-error');
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.error.message, /Input validation error/);
  });

  test('a ModelStreamError mid-stream ends with an error event, not [DONE]', async () => {
    const r = await stream('sm-stream-error');
    assert.equal(r.status, 200);
    assert.equal(r.done, false);
    const err = r.json.find((c) => c.error);
    assert.ok(err, r.text);
    assert.match(err.error.message, /stream failed mid-way/);
    assert.equal(assemble(r.json.filter((c) => !c.error)).content, 'mock moc');
  });

  test('a frame with a broken CRC ends the stream with an error', async () => {
    const r = await stream('sm-malformed');
    assert.equal(r.done, false);
    assert.match(r.text, /malformed eventstream/);
  });

  test('no AWS credentials: 500 before anything is sent', async () => {
    const before = await mock.modelRequests();
    const r = await chat('sm-nocreds');
    assert.equal(r.status, 500, r.text);
    assert.match(r.json.error.message, /has no AWS credentials/);
    assert.equal(await mock.modelRequests(), before);
  });
});
