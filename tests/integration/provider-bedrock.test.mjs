// AWS Bedrock deployments (bedrock/..., bedrock/converse/...): llmux turns
// OpenAI chat requests into SigV4-signed (or API-key) Converse calls against
// llmux-mock's Bedrock routes (/model/{id}/converse and /converse-stream, the
// latter a binary AWS event stream with CRCs), and the answers back into
// OpenAI objects: text, tool calls, usage, upstream error statuses, stream
// exceptions, broken frames, unsupported parameters. /mock/last shows the
// Converse request the mock received. Embeddings: Titan text (v1, v2) and
// Cohere embed models through /model/{id}/invoke. http(s) image URLs are
// fetched by llmux (from the mock's /images/ route) and inlined as bytes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { UPSTREAM_KEY, assembleChat as assemble, cleanup, closedPort, config, envelopeProblem, startLlmux, startMock, streamRequest } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'mock '.repeat(16); // 10 chunks x 8 bytes of the mock's text
const MODEL = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const MODEL_PATH = '/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0';
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'Look something up',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
  },
];
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];
const USAGE = { prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 };
const AWS_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_REGION_NAME',
  'AWS_DEFAULT_REGION',
  'AWS_BEARER_TOKEN_BEDROCK',
  'AWS_BEDROCK_RUNTIME_ENDPOINT',
];

let mock;
let lx;

function bdep(name, model, extra = {}) {
  return {
    model_name: name,
    litellm_params: {
      model,
      api_base: mock.base,
      aws_access_key_id: 'AKIDMOCK',
      aws_secret_access_key: 'mock/secret+key',
      aws_region_name: 'us-east-1',
      ...extra,
    },
  };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY }); // Bearer calls must carry this key
  lx = await startLlmux(
    config([
      bdep('br', `bedrock/${MODEL}`),
      bdep('br-llama', 'bedrock/converse/meta.llama3-1-8b-instruct-v1:0', {
        api_base: undefined,
        aws_bedrock_runtime_endpoint: mock.base,
        aws_region_name: 'eu-west-3',
      }),
      bdep('br-token', `bedrock/${MODEL}`, { aws_session_token: 'FQoGZXIvYXdzEXAMPLE/token==' }),
      {
        model_name: 'br-key',
        litellm_params: { model: `bedrock/${MODEL}`, api_base: mock.base, api_key: UPSTREAM_KEY, aws_region_name: 'us-west-2' },
      },
      {
        model_name: 'br-wrongkey',
        litellm_params: { model: `bedrock/${MODEL}`, api_base: mock.base, api_key: 'sk-wrong' },
      },
      bdep('br-429', 'bedrock/mock-status-429'),
      bdep('br-400', 'bedrock/mock-status-400'),
      bdep('br-503', 'bedrock/mock-status-503'),
      bdep('br-img-fail', 'bedrock/mock-status-503'),
      bdep('br-throttled', 'bedrock/mock-exception-throttlingException'),
      bdep('br-malformed', 'bedrock/mock-fault-malformed'),
      bdep('br-invoke', 'bedrock/invoke/anthropic.claude-v2'),
      bdep('emb-titan2', 'bedrock/amazon.titan-embed-text-v2:0'),
      bdep('emb-titan1', 'bedrock/amazon.titan-embed-text-v1'),
      bdep('emb-cohere', 'bedrock/cohere.embed-english-v3'),
      bdep('emb-cohere-429', 'bedrock/cohere.embed-mock-status-429'),
    ], { router: { fallbacks: [{ 'br-img-fail': ['br'] }] } }),
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

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=AKIDMOCK\/(\d{8})\/us-east-1\/bedrock\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/;

describe('bedrock: configuration', () => {
  test('bedrock deployments load without the "not served by this build" warning', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'bedrock' is not served/);
    assert.doesNotMatch(lx.proc.out, /provider 'bedrock' has no default/);
  });
});

describe('bedrock: chat', () => {
  test('a non-stream chat answers an OpenAI chat.completion', async () => {
    const r = await chat('br', { temperature: 0.25, top_p: 0.5, stop: 'END', max_tokens: 40 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.model, MODEL);
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.json.usage, USAGE);
  });

  test('the mock received a SigV4-signed Converse request', async () => {
    await chat('br', { temperature: 0.25, top_p: 0.5, stop: 'END', max_tokens: 40, user: 'u-1' });
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, `${MODEL_PATH}/converse`);
    assert.match(last.headers.authorization, SIGV4);
    assert.match(last.headers['x-amz-date'], /^\d{8}T\d{6}Z$/);
    assert.equal(last.headers.authorization.match(SIGV4)[1], last.headers['x-amz-date'].slice(0, 8));
    assert.equal(last.headers.host, `127.0.0.1:${mock.port}`);
    assert.equal(last.headers['x-amz-security-token'], undefined);
    assert.match(last.headers['content-type'], /application\/json/);
    assert.deepEqual(last.body, {
      system: [{ text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ text: 'hello there friend' }] }],
      inferenceConfig: { maxTokens: 40, temperature: 0.25, topP: 0.5, stopSequences: ['END'] },
    });
  });

  test('a stream is OpenAI SSE: role first, content, finish, usage, [DONE]', async () => {
    const r = await stream('br');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.done, true, 'ends with [DONE]');
    assert.equal(r.events[r.events.length - 1].data, '[DONE]');
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const a = assemble(r.json);
    assert.ok(a.roleFirst, 'the first chunk carries the assistant role');
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.deepEqual(a.usage, USAGE);
    assert.deepEqual(r.json[r.json.length - 1].choices, []);
    const last = await mock.last();
    assert.equal(last.path, `${MODEL_PATH}/converse-stream`);
    assert.match(last.headers.accept ?? '', /application\/vnd\.amazon\.eventstream/);
    assert.match(last.headers.authorization, SIGV4);
    assert.ok(!('stream' in last.body), 'Converse has no "stream" member');
  });

  test('without include_usage a stream carries no usage chunk', async () => {
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'br', messages: MSGS, stream: true } });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    assert.ok(!r.json.some((c) => c.usage), 'no usage');
    assert.equal(assemble(r.json).content, TEXT);
  });

  test('bedrock/converse/ with aws_bedrock_runtime_endpoint: the model id is URL-encoded', async () => {
    const r = await chat('br-llama');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT);
    const last = await mock.last();
    assert.equal(last.path, '/model/meta.llama3-1-8b-instruct-v1%3A0/converse');
    assert.match(last.headers.authorization, /\/eu-west-3\/bedrock\/aws4_request, /);
  });

  test('a session token is sent and signed', async () => {
    const r = await chat('br-token');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.headers['x-amz-security-token'], 'FQoGZXIvYXdzEXAMPLE/token==');
    assert.match(last.headers.authorization, /SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=/);
  });

  test('a Bedrock API key goes as Bearer, without SigV4', async () => {
    const r = await chat('br-key');
    assert.equal(r.status, 200, r.text);
    const last = await mock.last();
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.headers['x-amz-date'], undefined);
  });
});

describe('bedrock: tools', () => {
  test('a tool call arrives with parseable arguments (non-stream)', async () => {
    const r = await chat('br', { tools: TOOLS, tool_choice: 'required' });
    assert.equal(r.status, 200, r.text);
    const m = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(m.content, null);
    assert.equal(m.tool_calls.length, 1);
    assert.equal(m.tool_calls[0].type, 'function');
    assert.equal(m.tool_calls[0].function.name, 'lookup');
    assert.match(m.tool_calls[0].id, /^tooluse_mock\d+$/);
    assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { q: 'mock' });
    const last = await mock.last();
    assert.deepEqual(last.body.toolConfig, {
      tools: [
        {
          toolSpec: {
            name: 'lookup',
            description: 'Look something up',
            inputSchema: { json: TOOLS[0].function.parameters },
          },
        },
      ],
      toolChoice: { any: {} },
    });
  });

  test('a streamed tool call assembles into parseable arguments', async () => {
    const r = await stream('br', { tools: TOOLS });
    assert.equal(r.status, 200);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.ok(a.roleFirst);
    assert.equal(a.tools.length, 1);
    assert.equal(a.tools[0].name, 'lookup');
    assert.match(a.tools[0].id, /^tooluse_mock\d+$/);
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { q: 'mock' });
    assert.equal(a.finish, 'tool_calls');
    assert.equal(a.usage.completion_tokens, 2);
  });

  test('a tool result turn goes out as toolUse / toolResult blocks', async () => {
    const messages = [
      { role: 'user', content: 'look it up' },
      {
        role: 'assistant',
        content: 'I will look.',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'found it' },
    ];
    const r = await chat('br', { tools: TOOLS }, messages);
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages, [
      { role: 'user', content: [{ text: 'look it up' }] },
      {
        role: 'assistant',
        content: [{ text: 'I will look.' }, { toolUse: { toolUseId: 'c1', name: 'lookup', input: { q: 'x' } } }],
      },
      { role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'found it' }], status: 'success' } }] },
    ]);
  });
});

describe('bedrock: errors', () => {
  for (const [model, status, re] of [
    ['br-429', 429, /^Too many requests, please wait before trying again\.$/],
    ['br-400', 400, /ValidationException/],
    ['br-503', 503, /ServiceUnavailableException/],
  ]) {
    test(`an upstream ${status} is an OpenAI error envelope with status ${status}`, async () => {
      const r = await chat(model);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.match(r.json.error.message, re);
    });
  }

  test('a wrong API key is the provider 403, kept', async () => {
    const r = await chat('br-wrongkey');
    assert.equal(r.status, 403, r.text);
    assert.equal(envelopeProblem(r.json, 403), null, r.text);
    assert.match(r.json.error.message, /Missing Authentication Token/);
  });

  test('a stream exception mid-way ends with an error event, not [DONE]', async () => {
    const r = await stream('br-throttled');
    assert.equal(r.status, 200);
    assert.equal(r.done, false, 'no [DONE] after a failure');
    const err = r.json.find((c) => c.error);
    assert.ok(err, `an error event reached the client: ${r.text}`);
    assert.match(err.error.message, /stream failed mid-way/);
    assert.equal(assemble(r.json.filter((c) => !c.error)).content, 'mock moc', 'the delta before it was sent');
  });

  test('a frame with a broken CRC ends the stream with an error event', async () => {
    const r = await stream('br-malformed');
    assert.equal(r.done, false);
    const err = r.json.find((c) => c.error);
    assert.ok(err, r.text);
    assert.match(err.error.message, /malformed eventstream/);
  });

  test('the same exception on a non-stream call is its HTTP status', async () => {
    const r = await chat('br-throttled');
    assert.equal(r.status, 429, r.text);
    assert.equal(envelopeProblem(r.json, 429), null, r.text);
  });

  test('an OpenAI parameter Bedrock lacks is a 400 naming it, unless dropped', async () => {
    const before = await mock.modelRequests();
    const r = await chat('br', { logit_bias: { 42: 1 } });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /bedrock does not support parameter 'logit_bias'/);
    assert.equal(await mock.modelRequests(), before, 'nothing was sent upstream');
    const ok = await chat('br', { logit_bias: { 42: 1 }, drop_params: true });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!('logit_bias' in (await mock.last()).body));
  });

  test('an image URL that is neither data: nor http(s): 400 before anything is sent', async () => {
    const before = await mock.modelRequests();
    const r = await chat('br', {}, [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://example.com/cat.png' } }] },
    ]);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /bedrock needs image bytes/);
    assert.equal(await mock.modelRequests(), before);
  });

  test('an invoke route is not served yet: 501', async () => {
    const r = await chat('br-invoke');
    assert.equal(r.status, 501, r.text);
    assert.match(r.json.error.message, /not served by this llmux build/);
  });
});

describe('bedrock: images', () => {
  test('a base64 data URL image goes out as Converse image bytes', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const r = await chat('br', {}, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        ],
      },
    ]);
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages, [
      { role: 'user', content: [{ text: 'what is this' }, { image: { format: 'png', source: { bytes: png } } }] },
    ]);
  });
});

// http(s) image URLs: llmux GETs them before the Converse call (the proxy's
// pre-step loop) and inlines their bytes; the mock serves /images/<name>.<ext>.
describe('bedrock: image URLs fetched', () => {
  const img = (name) => `${mock.base}/images/${name}`;
  const part = (name) => ({ type: 'image_url', image_url: { url: img(name) } });
  const ask = (...parts) => [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, ...parts] }];
  /** The base64 of what the mock serves for `name` (fetched here under another name of the same type). */
  async function b64(ext) {
    const r = await fetch(`${mock.base}/images/reference.${ext}`);
    assert.equal(r.status, 200);
    return Buffer.from(await r.arrayBuffer()).toString('base64');
  }

  test('an image URL is fetched once (GET, Accept image/*) and inlined as its exact bytes', async () => {
    const png = await b64('png');
    const before = await mock.count('/images/cat.png');
    const r = await chat('br', {}, ask(part('cat.png')));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT);
    const last = await mock.last();
    assert.equal(last.path, `${MODEL_PATH}/converse`);
    assert.match(last.headers.authorization, SIGV4);
    assert.deepEqual(last.body.messages, [
      { role: 'user', content: [{ text: 'what is this' }, { image: { format: 'png', source: { bytes: png } } }] },
    ]);
    assert.equal(await mock.count('/images/cat.png'), before + 1);
  });

  test('the image GET itself: method, Accept, no AWS credentials', async () => {
    // a 404 ends the call at the fetch, so the GET is the mock's last request
    const r = await chat('br', {}, ask(part('nothing-here')));
    assert.equal(r.status, 400, r.text);
    const last = await mock.last();
    assert.equal(last.method, 'GET');
    assert.equal(last.path, '/images/nothing-here');
    assert.equal(last.headers.accept, 'image/*');
    assert.equal(last.headers.authorization, undefined);
    assert.equal(last.headers['x-amz-date'], undefined);
  });

  test('two images (png, jpeg), a repeated URL and a data URL: each URL fetched once, in order', async () => {
    const [png, jpeg] = [await b64('png'), await b64('jpg')];
    const gif = 'R0lGODlhAQABAIAAADNmzAAAACwAAAAAAQABAAACAkQBADs=';
    const before = [await mock.count('/images/one.png'), await mock.count('/images/two.jpg')];
    const r = await chat('br', {}, ask(part('one.png'), part('two.jpg'), part('one.png'), {
      type: 'image_url',
      image_url: { url: `data:image/gif;base64,${gif}` },
    }));
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages[0].content, [
      { text: 'what is this' },
      { image: { format: 'png', source: { bytes: png } } },
      { image: { format: 'jpeg', source: { bytes: jpeg } } },
      { image: { format: 'png', source: { bytes: png } } },
      { image: { format: 'gif', source: { bytes: gif } } },
    ]);
    assert.deepEqual([await mock.count('/images/one.png'), await mock.count('/images/two.jpg')], [before[0] + 1, before[1] + 1]);
  });

  test('a gif URL and an image in a tool result', async () => {
    const gif = await b64('gif');
    const r = await chat('br', {}, [
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      { role: 'tool', tool_call_id: 't1', content: [part('found.gif')] },
    ]);
    assert.equal(r.status, 200, r.text);
    const b = (await mock.last()).body;
    assert.deepEqual(b.messages[2], {
      role: 'user',
      content: [{ toolResult: { toolUseId: 't1', content: [{ image: { format: 'gif', source: { bytes: gif } } }], status: 'success' } }],
    });
  });

  test('a stream call fetches the image too', async () => {
    const png = await b64('png');
    const s = await streamRequest(lx.url(CHAT), {
      body: { model: 'br', messages: ask(part('streamed.png')), stream: true },
    });
    assert.equal(s.status, 200, s.text);
    assert.ok(s.done);
    assert.equal(assemble(s.json).content, TEXT);
    const last = await mock.last();
    assert.equal(last.path, `${MODEL_PATH}/converse-stream`);
    assert.deepEqual(last.body.messages[0].content[1], { image: { format: 'png', source: { bytes: png } } });
  });

  test('an image over 3.75 MB: 400 naming the URL and the limit, no Converse call', async () => {
    const before = await mock.count(`${MODEL_PATH}/converse`);
    const r = await chat('br', {}, ask(part('big.png')));
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.ok(r.json.error.message.includes(img('big.png')), r.json.error.message);
    assert.match(r.json.error.message, /3\.75 MB/);
    assert.equal(await mock.count(`${MODEL_PATH}/converse`), before);
  });

  test("an image over the proxy's 20 MiB pre-step cap: 400", async () => {
    const r = await chat('br', {}, ask(part('huge.png')));
    assert.equal(r.status, 400, r.text);
    assert.ok(r.json.error.message.includes(img('huge.png')), r.json.error.message);
  });

  test('a 404 image: 400 "cannot fetch image <url>: HTTP 404", not retried', async () => {
    const before = await mock.count('/images/missing');
    const beforeConverse = await mock.count(`${MODEL_PATH}/converse`);
    const r = await chat('br', { num_retries: 2 }, ask(part('missing')));
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.equal(r.json.error.message, `cannot fetch image ${img('missing')}: HTTP 404`);
    assert.equal(await mock.count('/images/missing'), before + 1, 'the caller\'s URL is wrong: no retry');
    assert.equal(await mock.count(`${MODEL_PATH}/converse`), beforeConverse);
  });

  test('an unsupported format (bmp): 400', async () => {
    const r = await chat('br', {}, ask(part('photo.bmp')));
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /is not a png, jpeg, gif or webp image/);
    assert.ok(r.json.error.message.includes(img('photo.bmp')));
  });

  test('an image URL with credentials is not fetched: 400', async () => {
    const before = await mock.modelRequests();
    const url = `http://user:secret@127.0.0.1:${mock.port}/images/cat.png`;
    const r = await chat('br', {}, ask({ type: 'image_url', image_url: { url } }));
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /credentials/);
    assert.equal(await mock.modelRequests(), before, 'nothing was fetched or sent');
  });

  test("an unreachable image host is the caller's error (400 naming the URL), not the deployment's", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/images/cat.png`;
    const r = await chat('br', {}, ask({ type: 'image_url', image_url: { url } }));
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, r.status), null, r.text);
    assert.ok(r.json.error.message.includes(url), r.text);
  });

  test('the image fetch happens once per attempt: a fallback fetches it again', async () => {
    const png = await b64('png');
    const before = await mock.count('/images/retried.png');
    const failed = await mock.count('/model/mock-status-503/converse');
    const r = await chat('br-img-fail', {}, ask(part('retried.png')));
    assert.equal(r.status, 200, r.text);
    assert.equal(await mock.count('/model/mock-status-503/converse'), failed + 1, 'the first deployment was tried');
    assert.equal(await mock.count('/images/retried.png'), before + 2, 'one fetch per attempt');
    assert.deepEqual((await mock.last()).body.messages[0].content[1], { image: { format: 'png', source: { bytes: png } } });
  });
});

describe('bedrock: embeddings', () => {
  const EMB = '/v1/embeddings';
  const embed = (model, body) => lx.req(EMB, { method: 'POST', body: { model, ...body } });

  test('Titan v2: one text, dimensions and normalize, SigV4-signed InvokeModel', async () => {
    const r = await embed('emb-titan2', { input: 'hello embedding world', dimensions: 256, normalize: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.model, 'amazon.titan-embed-text-v2:0');
    assert.equal(r.json.data.length, 1);
    assert.equal(r.json.data[0].object, 'embedding');
    assert.equal(r.json.data[0].index, 0);
    assert.equal(r.json.data[0].embedding.length, 256);
    assert.ok(r.json.data[0].embedding.every((x) => typeof x === 'number'));
    assert.deepEqual(r.json.usage, { prompt_tokens: 3, total_tokens: 3 });
    const last = await mock.last();
    assert.equal(last.path, '/model/amazon.titan-embed-text-v2%3A0/invoke');
    assert.match(last.headers.authorization, SIGV4);
    assert.deepEqual(last.body, { inputText: 'hello embedding world', dimensions: 256, normalize: true });
  });

  test('Titan v1: base64 is float32 little-endian of the same vector', async () => {
    const f = await embed('emb-titan1', { input: ['same text'] });
    const b = await embed('emb-titan1', { input: ['same text'], encoding_format: 'base64' });
    assert.equal(f.status, 200, f.text);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual((await mock.last()).body, { inputText: 'same text' });
    const bytes = Buffer.from(b.json.data[0].embedding, 'base64');
    const floats = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.equal(floats.length, f.json.data[0].embedding.length);
    floats.forEach((x, i) => assert.ok(Math.abs(x - f.json.data[0].embedding[i]) < 1e-6));
  });

  test('Titan takes one text per call: a list of several is a clear 400, nothing sent', async () => {
    const before = await mock.modelRequests();
    const r = await embed('emb-titan2', { input: ['a', 'b'] });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /one text per request/);
    assert.equal(await mock.modelRequests(), before);
  });

  test('Cohere: a list in one call, input_type, one vector per text in order', async () => {
    const r = await embed('emb-cohere', { input: ['first text', 'the second text'], input_type: 'search_query' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, 'cohere.embed-english-v3');
    assert.deepEqual(r.json.data.map((d) => d.index), [0, 1]);
    assert.equal(r.json.data[0].embedding.length, 1024);
    assert.notDeepEqual(r.json.data[0].embedding, r.json.data[1].embedding);
    // no usage from Bedrock's Cohere: ceil(chars / 4) per text
    assert.deepEqual(r.json.usage, { prompt_tokens: 3 + 4, total_tokens: 7 });
    const last = await mock.last();
    assert.equal(last.path, '/model/cohere.embed-english-v3/invoke');
    assert.deepEqual(last.body, { texts: ['first text', 'the second text'], input_type: 'search_query' });
  });

  test('Cohere: input_type defaults to search_document; dimensions is refused on v3', async () => {
    const r = await embed('emb-cohere', { input: 'x' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await mock.last()).body, { texts: ['x'], input_type: 'search_document' });
    const d = await embed('emb-cohere', { input: 'x', dimensions: 256 });
    assert.equal(d.status, 400, d.text);
    assert.match(d.json.error.message, /'dimensions'/);
  });

  test('an upstream error keeps its status', async () => {
    const r = await embed('emb-cohere-429', { input: 'x' });
    assert.equal(r.status, 429, r.text);
    assert.equal(envelopeProblem(r.json, 429), null, r.text);
  });
});
