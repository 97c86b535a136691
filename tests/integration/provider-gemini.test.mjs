// Gemini deployments (gemini/...): llmux translates OpenAI chat and embeddings
// requests into Google AI Studio's :generateContent, :streamGenerateContent?alt=sse
// and :batchEmbedContents against llmux-mock's Gemini routes, and the answers
// (JSON and SSE GenerateContentResponse events) back into OpenAI objects: text,
// reasoning, tool calls, usage, upstream error statuses, a failed stream, a
// blocked prompt, unsupported parameters. /mock/last shows what the mock got.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  UPSTREAM_KEY,
  assembleChat as assemble,
  cleanup,
  config,
  envelopeProblem,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const TEXT = 'Hello from the Gemini mock.';
const THOUGHT = 'Thinking about the question.';
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      strict: true,
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        additionalProperties: false,
        properties: { city: { type: 'string' }, unit: { $ref: '#/$defs/Unit' } },
        required: ['city'],
        $defs: { Unit: { type: 'string', enum: ['C', 'F'] } },
      },
    },
  },
];
const MSGS = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there friend' },
];

let mock;
let lx;

function gdep(name, model, extra = {}) {
  const { model_info, ...params } = extra;
  const e = { model_name: name, litellm_params: { model, api_base: mock.base, api_key: UPSTREAM_KEY, ...params } };
  if (model_info) e.model_info = model_info;
  return e;
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY }); // the Gemini routes check x-goog-api-key
  lx = await startLlmux(
    config([
      gdep('gem', 'gemini/gemini-2.5-flash'),
      // an api_base that already names the version (LiteLLM's form for gateways) is kept as is
      gdep('gem-v1beta', 'gemini/gemini-2.0-flash', { api_base: `${mock.base}/v1beta` }),
      gdep('gem-429', 'gemini/mock-status-429'),
      gdep('gem-400', 'gemini/mock-status-400'),
      gdep('gem-503', 'gemini/mock-status-503'),
      gdep('gem-midstream', 'gemini/mock-stream-error'),
      gdep('gem-blocked', 'gemini/mock-blocked'),
      gdep('gem-wrongkey', 'gemini/gemini-2.5-flash', { api_key: 'sk-wrong' }),
      gdep('gem-drop', 'gemini/gemini-2.5-flash', { drop_params: true }),
      gdep('gem-emb', 'gemini/text-embedding-004', { model_info: { mode: 'embedding' } }),
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

describe('gemini: configuration', () => {
  test('gemini deployments load without the "not served by this build" warning', () => {
    assert.doesNotMatch(lx.proc.out, /provider 'gemini' is not served/);
    assert.doesNotMatch(lx.proc.out, /has no api_base and provider 'gemini'/);
  });
});

describe('gemini: chat', () => {
  test('a non-stream chat answers an OpenAI chat.completion', async () => {
    const r = await chat('gem', { temperature: 0.3, max_tokens: 40 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.model, 'gemini-2.5-flash');
    assert.match(r.json.id, /^mock-\d+$/, 'the id is Gemini\'s responseId');
    assert.equal(r.json.choices.length, 1);
    assert.equal(r.json.choices[0].message.role, 'assistant');
    assert.equal(r.json.choices[0].message.content, TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    // the mock counts words: "Be brief." + "hello there friend" = 5, answer 5
    assert.deepEqual(r.json.usage, { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
  });

  test('the mock received a Gemini generateContent request', async () => {
    await chat('gem', { temperature: 0.3, top_p: 0.8, top_k: 10, stop: 'END', max_tokens: 40, seed: 5, n: 1, user: 'u-1' });
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(last.query, '');
    assert.equal(last.headers['x-goog-api-key'], UPSTREAM_KEY);
    assert.equal(last.headers.authorization, undefined, 'no bearer token goes to Google');
    assert.match(last.headers['content-type'], /application\/json/);
    const b = last.body;
    assert.deepEqual(b.systemInstruction, { parts: [{ text: 'Be brief.' }] });
    assert.deepEqual(b.contents, [{ role: 'user', parts: [{ text: 'hello there friend' }] }]);
    assert.deepEqual(b.generationConfig, {
      maxOutputTokens: 40,
      temperature: 0.3,
      topP: 0.8,
      topK: 10,
      candidateCount: 1,
      seed: 5,
      stopSequences: ['END'],
    });
    assert.equal(b.model, undefined, 'the model is in the path, not the body');
  });

  test('an api_base ending in /v1beta is not given a second version', async () => {
    const r = await chat('gem-v1beta');
    assert.equal(r.status, 200, r.text);
    assert.equal((await mock.last()).path, '/v1beta/models/gemini-2.0-flash:generateContent');
  });

  test('max_tokens below the answer: finish_reason length', async () => {
    const r = await chat('gem', { max_completion_tokens: 2 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, 'Hello from');
    assert.equal(r.json.choices[0].finish_reason, 'length');
    assert.equal((await mock.last()).body.generationConfig.maxOutputTokens, 2);
  });

  test('reasoning_effort: thinkingConfig out, reasoning_content and reasoning tokens back', async () => {
    const r = await chat('gem', { reasoning_effort: 'low' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await mock.last()).body.generationConfig.thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });
    const m = r.json.choices[0].message;
    assert.equal(m.content, TEXT);
    assert.equal(m.reasoning_content, THOUGHT);
    assert.equal(r.json.usage.completion_tokens_details.reasoning_tokens, 4);
    assert.equal(r.json.usage.completion_tokens, 5 + 4);
    assert.equal(r.json.usage.total_tokens, 5 + 5 + 4);
  });

  test('a stream: SSE chunks, content assembled, usage chunk, [DONE]', async () => {
    const r = await stream('gem');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.ok(r.done, 'ends with data: [DONE]');
    assert.equal(r.events.at(-1).data, '[DONE]');
    const a = assemble(r.json);
    assert.ok(a.roleFirst, 'the first chunk carries role assistant');
    assert.equal(a.content, TEXT);
    assert.equal(a.finish, 'stop');
    assert.equal(a.ids.size, 1, 'one id for every chunk');
    for (const c of r.json) assert.equal(c.object, 'chat.completion.chunk');
    const last = r.json.at(-1);
    assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
    assert.deepEqual(last.usage, { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    const up = await mock.last();
    assert.equal(up.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    assert.equal(up.query, 'alt=sse');
    assert.equal(up.headers['x-goog-api-key'], UPSTREAM_KEY);
  });

  test('a stream without include_usage has no usage chunk', async () => {
    const r = await streamRequest(lx.url(CHAT), { body: { model: 'gem', messages: MSGS, stream: true } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done);
    assert.ok(r.json.every((c) => c.choices.length > 0), 'no choices:[] chunk');
    assert.equal(assemble(r.json).content, TEXT);
  });

  test('a stream with thinking: reasoning_content deltas before the content', async () => {
    const r = await stream('gem', { reasoning_effort: 'high' });
    assert.equal(r.status, 200, r.text);
    const a = assemble(r.json);
    assert.equal(a.reasoning, THOUGHT);
    assert.equal(a.content, TEXT);
    assert.equal(a.usage.completion_tokens_details.reasoning_tokens, 4);
  });
});

describe('gemini: tools', () => {
  test('tools go out as functionDeclarations with a cleaned schema; the call comes back', async () => {
    const r = await chat('gem', { tools: TOOLS, tool_choice: 'auto' });
    assert.equal(r.status, 200, r.text);
    const ch = r.json.choices[0];
    assert.equal(ch.finish_reason, 'tool_calls');
    assert.equal(ch.message.content, null);
    assert.equal(ch.message.tool_calls.length, 1);
    const tc = ch.message.tool_calls[0];
    assert.equal(tc.type, 'function');
    assert.match(tc.id, /^call_[0-9a-f]{28}$/);
    assert.equal(tc.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'mock' });

    const b = (await mock.last()).body;
    assert.deepEqual(b.tools, [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['C', 'F'] } },
              required: ['city'],
            },
          },
        ],
      },
    ]);
    assert.deepEqual(b.toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
  });

  test('a named tool_choice: mode ANY with allowedFunctionNames', async () => {
    const r = await chat('gem', { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await mock.last()).body.toolConfig, {
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
  });

  test('the tool result goes back as functionResponse named after its call', async () => {
    const first = await chat('gem', { tools: TOOLS });
    const call = first.json.choices[0].message.tool_calls[0];
    const msgs = [
      ...MSGS,
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: '{"temp": 21, "unit": "C"}' },
    ];
    const r = await lx.req(CHAT, { method: 'POST', body: { model: 'gem', messages: msgs, tools: TOOLS } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].message.content, TEXT, 'the mock answers a functionResponse with text');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    const contents = (await mock.last()).body.contents;
    assert.deepEqual(contents.slice(1), [
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'mock' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21, unit: 'C' } } }] },
    ]);
  });

  test('a streamed tool call arrives whole with parseable arguments', async () => {
    const r = await stream('gem', { tools: TOOLS });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.done);
    const a = assemble(r.json);
    assert.equal(a.finish, 'tool_calls');
    assert.equal(a.tools.length, 1);
    assert.match(a.tools[0].id, /^call_[0-9a-f]{28}$/);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.deepEqual(JSON.parse(a.tools[0].arguments), { city: 'mock' });
    assert.ok(a.usage && a.usage.total_tokens > 0);
  });
});

describe('gemini: errors', () => {
  for (const [model, status, type] of [
    ['gem-429', 429, 'rate_limit_error'],
    ['gem-400', 400, 'invalid_request_error'],
    ['gem-503', 503, 'internal_server_error'],
  ]) {
    test(`upstream ${status}: the OpenAI envelope with the status and Google's message`, async () => {
      const r = await chat(model);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.equal(r.json.error.type, type);
      assert.equal(r.json.error.message, `llmux-mock: gemini error ${status} (mock-status-${status})`);
    });
  }

  test('a wrong key: Google\'s 400 API_KEY_INVALID passes through', async () => {
    const r = await chat('gem-wrongkey');
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /API key not valid/);
  });

  test('an error event mid-stream: content first, then one error event', async () => {
    const r = await stream('gem-midstream');
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.done, 'no [DONE] after a failure');
    const last = JSON.parse(r.events.at(-1).data);
    assert.ok(last.error, r.text);
    assert.match(last.error.message, /Resource has been exhausted/);
    assert.equal(assemble(r.json.filter((c) => !c.error)).content, 'Hello from');
  });

  test('an error status before the stream starts: the envelope, no SSE', async () => {
    const r = await stream('gem-429');
    assert.equal(r.status, 429, r.text);
    assert.equal(JSON.parse(r.text).error.type, 'rate_limit_error');
  });

  test('a blocked prompt: finish_reason content_filter, no content', async () => {
    const r = await chat('gem-blocked');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.choices[0].finish_reason, 'content_filter');
    assert.equal(r.json.choices[0].message.content, null);
    assert.equal(r.json.usage.prompt_tokens, 5);
    const s = await stream('gem-blocked');
    assert.equal(s.status, 200, s.text);
    assert.equal(assemble(s.json).finish, 'content_filter');
    assert.ok(s.done);
  });

  test('an unsupported parameter: 400 naming it, nothing sent upstream', async () => {
    await mock.reset();
    const r = await chat('gem', { logit_bias: { 50256: -100 } });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.match(r.json.error.message, /gemini does not support parameters: \['logit_bias'\]/);
    assert.equal(await mock.modelRequests(), 0);
  });

  test('with drop_params the unsupported parameter is dropped', async () => {
    const r = await chat('gem-drop', { logit_bias: { 50256: -100 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.stringify((await mock.last()).body).includes('logit'), false);
  });
});

describe('gemini: embeddings', () => {
  test('/v1/embeddings → batchEmbedContents → an OpenAI embeddings list', async () => {
    const r = await lx.req('/v1/embeddings', {
      method: 'POST',
      body: { model: 'gem-emb', input: ['one two', 'three'], dimensions: 4 },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.model, 'text-embedding-004');
    assert.equal(r.json.data.length, 2);
    r.json.data.forEach((d, i) => {
      assert.equal(d.object, 'embedding');
      assert.equal(d.index, i);
      assert.equal(d.embedding.length, 4);
      assert.ok(d.embedding.every((x) => typeof x === 'number'));
    });
    assert.ok(r.json.usage.prompt_tokens > 0);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens);
    const last = await mock.last();
    assert.equal(last.path, '/v1beta/models/text-embedding-004:batchEmbedContents');
    assert.equal(last.headers['x-goog-api-key'], UPSTREAM_KEY);
    assert.deepEqual(last.body, {
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'one two' }] }, outputDimensionality: 4 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'three' }] }, outputDimensionality: 4 },
      ],
    });
  });
});
