// The OpenAI endpoints other than chat and embeddings, through the real llmux
// and llmux-mock (tools/mock/media.c): images, speech (streamed audio bytes),
// transcriptions (multipart), moderations, rerank against Cohere, Jina and
// Voyage deployments (answered in Cohere's shape), and /v1/completions bridged
// over chat for a chat-only family (anthropic/) or forwarded as is (openai/).
// /mock/last shows what the upstream received.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  MASTER_KEY,
  UPSTREAM_KEY,
  cleanup,
  config,
  dep,
  envelopeProblem,
  fetchT,
  startLlmux,
  startMock,
  streamRequest,
} from '../lib/harness.mjs';

const ANTHROPIC_TEXT = 'Hello from the mock Anthropic model.';
const DOCS = ['Berlin is in Germany.', 'Paris is the capital of France.', 'France has many cheeses.'];
const QUERY = 'capital of France';

let mock;
let lx;

/** A deployment of any provider prefix against the mock. */
function ndep(name, model, apiBase, extra = {}) {
  return { model_name: name, litellm_params: { model, api_base: apiBase, api_key: UPSTREAM_KEY, ...extra } };
}

before(async () => {
  mock = await startMock({ apiKey: UPSTREAM_KEY }); // every media route checks the bearer token
  lx = await startLlmux(
    config(
      [
        dep('img', 'dall-e-3', mock),
        dep('img-500', 'mock-status-500@img', mock),
        dep('tts', 'tts-1', mock),
        dep('tts-500', 'mock-status-500@tts', mock),
        dep('stt', 'whisper-up', mock),
        dep('stt-503', 'mock-status-503@stt', mock),
        dep('mod', 'omni-moderation-latest', mock),
        dep('gpt-text', 'up-instruct', mock),
        ndep('rr-cohere', 'cohere/rerank-v3.5', mock.base),
        ndep('rr-jina', 'jina_ai/jina-reranker-v2-base-multilingual', mock.v1),
        ndep('rr-voyage', 'voyage/rerank-2', mock.v1),
        ndep('rr-500', 'cohere/mock-status-500@rr', mock.base),
        ndep('claude', 'anthropic/claude-mock-1', mock.base),
        ndep('img-recraft', 'recraft/recraftv3', mock.v1),
      ],
      { router: { disable_cooldowns: true } },
    ),
  );
});

after(cleanup);

function post(p, body, opts = {}) {
  return lx.req(p, { method: 'POST', body, ...opts });
}

/** FNV-1a 32 as hex, as the mock's transcription answer reports it. */
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The audio bytes llmux-mock answers for an input of n bytes. */
function expectedAudio(n) {
  const out = new Uint8Array(4096 + 64 * n);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + n) & 0xff;
  return out;
}

/** Reads a response body read by read, without assembling SSE: {reads, bytes}. */
async function readIncrementally(r) {
  const reader = r.body.getReader();
  const parts = [];
  let reads = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.length > 0) {
      reads++;
      parts.push(value);
    }
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { reads, bytes };
}

function speech(body, timeout = 15000) {
  return fetchT(
    lx.url('/v1/audio/speech'),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    timeout,
  );
}

/** A binary "audio file" whose bytes would break a sloppy multipart parser. */
function audioFile() {
  const b = new Uint8Array(3000);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set(new TextEncoder().encode('\r\n--not-the-boundary\r\n\r\n'), 100);
  b[0] = 0;
  return b;
}

async function transcribe(fields, { key = MASTER_KEY } = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Uint8Array) fd.append(k, new Blob([v], { type: 'audio/wav' }), 'clip.wav');
    else fd.append(k, v);
  }
  const r = await fetchT(lx.url('/v1/audio/transcriptions'), {
    method: 'POST',
    headers: key ? { authorization: `Bearer ${key}` } : {},
    body: fd,
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: Object.fromEntries(r.headers), text, json };
}

describe('images/generations', () => {
  test('n=2 urls: the mock answer comes back, the upstream got the rewritten model', async () => {
    const r = await post('/v1/images/generations', { model: 'img', prompt: 'a red fox', n: 2, size: '1024x1024' });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.created, 'number');
    assert.equal(r.json.data.length, 2);
    for (const d of r.json.data) assert.match(d.url, /^https:\/\/images\.mock\.invalid\/img-\d+-\d\.png$/);
    const last = await mock.last();
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/v1/images/generations');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.body.model, 'dall-e-3');
    assert.equal(last.body.prompt, 'a red fox');
    assert.equal(last.body.n, 2);
    assert.equal(last.body.size, '1024x1024');
  });

  test('recraft/: its OpenAI-shaped images API, the model and style as sent', async () => {
    const r = await post('/v1/images/generations', { model: 'img-recraft', prompt: 'a red fox', style: 'digital_illustration' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.length, 1);
    const last = await mock.last();
    assert.equal(last.path, '/v1/images/generations');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.body.model, 'recraftv3');
    assert.equal(last.body.style, 'digital_illustration');
  });

  test('response_format b64_json: base64 image bytes come back', async () => {
    const r = await post('/images/generations', { model: 'img', prompt: 'a red fox', n: 2, response_format: 'b64_json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.length, 2);
    for (const d of r.json.data) {
      assert.ok(!('url' in d));
      const raw = Buffer.from(d.b64_json, 'base64');
      assert.deepEqual([...raw.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'PNG magic');
    }
    assert.notEqual(r.json.data[0].b64_json, r.json.data[1].b64_json);
    assert.equal((await mock.last()).body.response_format, 'b64_json');
  });
});

describe('audio/speech', () => {
  test('the audio bytes arrive intact with the upstream Content-Type, in more than one read', async () => {
    const input = 'The quick brown fox jumps over the lazy dog, twice over.';
    const r = await speech({ model: 'tts', input, voice: 'alloy' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'audio/mpeg');
    const { reads, bytes } = await readIncrementally(r);
    const want = expectedAudio(Buffer.byteLength(input));
    assert.equal(bytes.length, want.length);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(want)), 'the bytes are the ones the mock sent');
    assert.ok(reads > 1, `the body was relayed as it came (got it in ${reads} read(s))`);
    const last = await mock.last();
    assert.equal(last.path, '/v1/audio/speech');
    assert.equal(last.body.model, 'tts-1');
    assert.equal(last.body.input, input);
    assert.equal(last.body.voice, 'alloy');
  });

  for (const [fmt, ctype] of [
    ['wav', 'audio/wav'],
    ['opus', 'audio/ogg'],
    ['flac', 'audio/flac'],
  ]) {
    test(`response_format ${fmt}: Content-Type ${ctype} is relayed`, async () => {
      const r = await speech({ model: 'tts', input: 'hello', voice: 'nova', response_format: fmt });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), ctype);
      const { bytes } = await readIncrementally(r);
      assert.ok(Buffer.from(bytes).equals(Buffer.from(expectedAudio(5))));
      assert.equal((await mock.last()).body.response_format, fmt);
    });
  }
});

describe('audio/transcriptions', () => {
  test('the file bytes and the rewritten upstream model arrive intact', async () => {
    const file = audioFile();
    const r = await transcribe({ model: 'stt', file, language: 'en' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.text, `llmux-mock transcript of clip.wav: ${file.length} bytes, fnv1a ${fnv1a(file)}, model whisper-up`);
    const last = await mock.last();
    assert.equal(last.path, '/v1/audio/transcriptions');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.match(last.headers['content-type'], /^multipart\/form-data; *boundary=/);
  });

  test('response_format text: text/plain is relayed', async () => {
    const file = audioFile();
    const r = await transcribe({ model: 'stt', file, response_format: 'text' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /^text\/plain/);
    assert.equal(r.text.trim(), `llmux-mock transcript of clip.wav: ${file.length} bytes, fnv1a ${fnv1a(file)}, model whisper-up`);
  });
});

describe('moderations', () => {
  test('one result per input; "kill" is flagged as violence', async () => {
    const r = await post('/v1/moderations', { model: 'mod', input: ['I will kill the process', 'hello there'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.id, 'string');
    assert.equal(r.json.model, 'omni-moderation-latest');
    assert.equal(r.json.results.length, 2);
    const [bad, good] = r.json.results;
    assert.equal(bad.flagged, true);
    assert.equal(bad.categories.violence, true);
    assert.ok(bad.category_scores.violence > 0.5);
    assert.equal(good.flagged, false);
    assert.ok(Object.values(good.categories).every((v) => v === false));
    const last = await mock.last();
    assert.equal(last.path, '/v1/moderations');
    assert.equal(last.body.model, 'omni-moderation-latest');
    assert.deepEqual(last.body.input, ['I will kill the process', 'hello there']);
  });

  test('a single string input', async () => {
    const r = await post('/moderations', { model: 'mod', input: 'a calm sentence' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results.length, 1);
    assert.equal(r.json.results[0].flagged, false);
  });
});

describe('rerank', () => {
  /** Cohere's answer shape; the best document (Paris) first. */
  function checkCohereShape(r, { docs = false } = {}) {
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.id, 'string', 'an id');
    assert.ok(r.json.meta && typeof r.json.meta === 'object', 'a meta object');
    assert.ok(!('data' in r.json) && !('object' in r.json), 'not the Voyage shape');
    const res = r.json.results;
    assert.equal(res.length, 2, 'top 2');
    assert.deepEqual(
      res.map((x) => x.index),
      [1, 2],
    );
    assert.ok(res[0].relevance_score > res[1].relevance_score);
    for (const x of res) {
      assert.equal(typeof x.relevance_score, 'number');
      if (docs) assert.deepEqual(x.document, { text: DOCS[x.index] });
      else if ('document' in x) assert.deepEqual(x.document, { text: DOCS[x.index] });
    }
  }

  test('cohere/: POST {base}/v2/rerank, answered as is', async () => {
    const r = await post('/v1/rerank', { model: 'rr-cohere', query: QUERY, documents: DOCS, top_n: 2 });
    checkCohereShape(r);
    const last = await mock.last();
    assert.equal(last.path, '/v2/rerank');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.body.model, 'rerank-v3.5');
    assert.equal(last.body.query, QUERY);
    assert.deepEqual(last.body.documents, DOCS);
    assert.equal(last.body.top_n, 2);
  });

  test('/v2/rerank and /rerank are the same route', async () => {
    for (const p of ['/v2/rerank', '/rerank']) {
      const r = await post(p, { model: 'rr-cohere', query: QUERY, documents: DOCS, top_n: 2 });
      checkCohereShape(r);
    }
  });

  test('jina_ai/: POST {api_base}/rerank with top_n; documents come back as {text}', async () => {
    const r = await post('/v1/rerank', { model: 'rr-jina', query: QUERY, documents: DOCS, top_n: 2, return_documents: true });
    checkCohereShape(r, { docs: true });
    const last = await mock.last();
    assert.equal(last.path, '/v1/rerank');
    assert.equal(last.body.model, 'jina-reranker-v2-base-multilingual');
    assert.equal(last.body.top_n, 2);
    assert.ok(!('top_k' in last.body));
    assert.deepEqual(last.body.documents, DOCS);
  });

  test('voyage/: top_n goes up as top_k; the Voyage answer comes back in Cohere shape', async () => {
    const r = await post('/v1/rerank', { model: 'rr-voyage', query: QUERY, documents: DOCS, top_n: 2, return_documents: true });
    checkCohereShape(r, { docs: true });
    const last = await mock.last();
    assert.equal(last.path, '/v1/rerank');
    assert.equal(last.body.model, 'rerank-2');
    assert.equal(last.body.top_k, 2);
    assert.ok(!('top_n' in last.body), 'Voyage has no top_n');
    assert.equal(last.body.query, QUERY);
  });
});

describe('completions', () => {
  test('openai/: forwarded as is to /v1/completions', async () => {
    const r = await post('/v1/completions', { model: 'gpt-text', prompt: 'Say this is a test', max_tokens: 7, temperature: 0 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.equal(typeof r.json.choices[0].text, 'string');
    const last = await mock.last();
    assert.equal(last.path, '/v1/completions');
    assert.equal(last.body.model, 'up-instruct');
    assert.equal(last.body.prompt, 'Say this is a test');
    assert.equal(last.body.max_tokens, 7);
  });

  test('anthropic/: bridged over chat, a text_completion comes back', async () => {
    const r = await post('/v1/completions', { model: 'claude', prompt: 'Say hi', max_tokens: 20 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.equal(r.json.choices.length, 1);
    assert.equal(r.json.choices[0].index, 0);
    assert.equal(r.json.choices[0].text, ANTHROPIC_TEXT);
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(typeof r.json.usage.prompt_tokens, 'number');
    assert.equal(typeof r.json.usage.completion_tokens, 'number');
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.body.model, 'claude-mock-1');
    assert.equal(last.body.max_tokens, 20);
    assert.equal(last.body.messages.length, 1);
    assert.equal(last.body.messages[0].role, 'user');
    const c = last.body.messages[0].content;
    assert.equal(typeof c === 'string' ? c : c.map((p) => p.text).join(''), 'Say hi');
  });

  test('anthropic/: a stream is text_completion chunks ending with [DONE]', async () => {
    const r = await streamRequest(lx.url('/v1/completions'), { body: { model: 'claude', prompt: 'Say hi', max_tokens: 20, stream: true } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(r.events[r.events.length - 1].data, '[DONE]');
    assert.ok(r.json.length > 1);
    for (const c of r.json) assert.equal(c.object, 'text_completion');
    assert.equal(r.json.map((c) => c.choices?.[0]?.text ?? '').join(''), ANTHROPIC_TEXT);
    assert.ok(r.json.some((c) => c.choices?.[0]?.finish_reason === 'stop'), 'a finish_reason stop');
    const last = await mock.last();
    assert.equal(last.path, '/v1/messages');
    assert.equal(last.body.stream, true);
  });
});

describe('errors', () => {
  const JSON_ROUTES = [
    ['/v1/images/generations', { model: 'img', prompt: 'a fox' }],
    ['/v1/audio/speech', { model: 'tts', input: 'hi', voice: 'alloy' }],
    ['/v1/moderations', { model: 'mod', input: 'hi' }],
    ['/v1/rerank', { model: 'rr-cohere', query: QUERY, documents: DOCS }],
  ];

  for (const [p, body] of JSON_ROUTES) {
    test(`${p}: a wrong key is 401, nothing sent upstream`, async () => {
      const before = await mock.modelRequests();
      const r = await post(p, body, { key: 'sk-wrong' });
      assert.equal(r.status, 401, r.text);
      assert.equal(envelopeProblem(r.json, 401), null, r.text);
      assert.equal(await mock.modelRequests(), before);
    });

    test(`${p}: an unknown model is 400`, async () => {
      const r = await post(p, { ...body, model: 'no-such-model' });
      assert.equal(r.status, 400, r.text);
      assert.equal(envelopeProblem(r.json, 400), null, r.text);
    });

    test(`${p}: a malformed body is 400`, async () => {
      const before = await mock.modelRequests();
      const r = await post(p, '{"model": "img", nope');
      assert.equal(r.status, 400, r.text);
      assert.equal(envelopeProblem(r.json, 400), null, r.text);
      assert.equal(await mock.modelRequests(), before);
    });
  }

  test('transcriptions: a wrong key is 401', async () => {
    const r = await transcribe({ model: 'stt', file: audioFile() }, { key: 'sk-wrong' });
    assert.equal(r.status, 401, r.text);
    assert.equal(envelopeProblem(r.json, 401), null, r.text);
  });

  test('transcriptions: no model field is 400, nothing sent upstream', async () => {
    const before = await mock.modelRequests();
    const r = await transcribe({ file: audioFile() });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.equal(await mock.modelRequests(), before);
  });

  test('transcriptions: an unknown model is 400', async () => {
    const r = await transcribe({ model: 'no-such-model', file: audioFile() });
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
  });

  test('images: an upstream 500 is relayed as an OpenAI envelope', async () => {
    const r = await post('/v1/images/generations', { model: 'img-500', prompt: 'a fox' });
    assert.equal(r.status, 500, r.text);
    assert.equal(envelopeProblem(r.json, 500), null, r.text);
  });

  test('images: an upstream 500 is retried num_retries times', async () => {
    const before = await mock.count('/v1/images/generations');
    const r = await post('/v1/images/generations', { model: 'img-500', prompt: 'a fox', num_retries: 2 });
    assert.equal(r.status, 500, r.text);
    assert.equal(await mock.count('/v1/images/generations'), before + 3, 'one try and two retries');
  });

  test('speech: an upstream 500 is a JSON error, not audio', async () => {
    const r = await speech({ model: 'tts-500', input: 'hi', voice: 'alloy' });
    assert.equal(r.status, 500);
    assert.match(r.headers.get('content-type'), /application\/json/);
    assert.equal(envelopeProblem(await r.json(), 500), null);
  });

  test('transcriptions: an upstream 503 is relayed', async () => {
    const r = await transcribe({ model: 'stt-503', file: audioFile() });
    assert.equal(r.status, 503, r.text);
    assert.equal(envelopeProblem(r.json, 503), null, r.text);
  });

  test('rerank: an upstream 500 from Cohere is an OpenAI envelope with status 500', async () => {
    const r = await post('/v1/rerank', { model: 'rr-500', query: QUERY, documents: DOCS });
    assert.equal(r.status, 500, r.text);
    assert.equal(envelopeProblem(r.json, 500), null, r.text);
  });
});
