// Limits and hostile clients: header and body caps, malformed HTTP, silent and
// slow clients. Each must get a JSON error (or be closed) without affecting
// anyone else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  RawConn,
  checkPassed,
  cleanup,
  config,
  dep,
  envelopeProblem,
  rawOnce,
  rawRequest,
  sleep,
  startLlmux,
  startMock,
} from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hi' }];
const HEADER_TIMEOUT = 1;
const IDLE_TIMEOUT = 2;
// Generous upper bound for "closed after the timeout": a hang, not a timing assertion.
const CLOSE_WITHIN_MS = 10000;

let mock;
let lx;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([dep('gpt-ok', 'up-ok', mock)], {
      general: { max_request_size_mb: 1 },
      llmux: { max_header_bytes: 8192, header_timeout: HEADER_TIMEOUT, idle_timeout: IDLE_TIMEOUT },
    }),
  );
});

after(cleanup);

// On a fresh connection each time: with idle_timeout 2 s a pooled keep-alive
// connection may be closed by llmux just as a request is sent on it (a race
// every HTTP client has with idle timeouts, not a server fault).
async function healthyMeanwhile() {
  const r = await rawOnce(lx.port, rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: MSGS } }));
  assert.equal(r.status, 200, `other clients are unaffected: ${r.text}`);
  assert.equal(r.json?.object, 'chat.completion');
}

function assertErr(res, status) {
  assert.equal(res.status, status, res.rawHead);
  assert.match(res.headers['content-type'] ?? '', /application\/json/, 'JSON error body');
  assert.equal(envelopeProblem(res.json, status), null, res.text);
}

describe('size limits', () => {
  test('request head over max_header_bytes → 431 JSON error', async () => {
    const c = await RawConn.open(lx.port);
    try {
      await c.write(rawRequest('GET', '/v1/models', { headers: { 'x-big': 'a'.repeat(16384) } }));
      const res = await c.readResponse();
      assertErr(res, 431);
    } finally {
      c.destroy();
    }
    await healthyMeanwhile();
  });

  test('many small headers over the limit together → 431', async () => {
    const headers = {};
    for (let i = 0; i < 200; i++) headers[`x-h${i}`] = 'v'.repeat(60);
    const c = await RawConn.open(lx.port);
    try {
      await c.write(rawRequest('GET', '/v1/models', { headers }));
      assertErr(await c.readResponse(), 431);
    } finally {
      c.destroy();
    }
  });

  test('headers just under the limit are fine', async () => {
    const c = await RawConn.open(lx.port);
    try {
      await c.write(rawRequest('GET', '/v1/models', { headers: { 'x-big': 'a'.repeat(6000) } }));
      const res = await c.readResponse();
      assert.equal(res.status, 200, res.text);
    } finally {
      c.destroy();
    }
  });

  test('body over max_request_size_mb (Content-Length) → 413 JSON error, no upstream call', async () => {
    const before = await mock.count(CHAT);
    const big = JSON.stringify({ model: 'gpt-ok', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] });
    const c = await RawConn.open(lx.port);
    try {
      c.write(rawRequest('POST', CHAT, { body: big })); // may fail with EPIPE once llmux answered: fine
      assertErr(await c.readResponse(), 413);
    } finally {
      c.destroy();
    }
    assert.equal(await mock.count(CHAT), before);
    await healthyMeanwhile();
  });

  test('chunked body over the limit → 413 JSON error', async () => {
    const c = await RawConn.open(lx.port);
    try {
      await c.write(rawRequest('POST', CHAT, { headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }));
      const prefix = '{"model":"gpt-ok","messages":[{"role":"user","content":"';
      await c.write(`${prefix.length.toString(16)}\r\n${prefix}\r\n`);
      const piece = 'x'.repeat(256 * 1024);
      const chunk = `${piece.length.toString(16)}\r\n${piece}\r\n`;
      // 8 x 256 KiB = 2 MiB; writes after llmux answered may fail (EPIPE): ignored.
      for (let i = 0; i < 8 && !c.closed && c.buf.length === 0; i++) await Promise.race([c.write(chunk), sleep(500)]);
      assertErr(await c.readResponse(), 413);
    } finally {
      c.destroy();
    }
  });

  test('a body just under the limit reaches the upstream intact', async () => {
    const content = 'y'.repeat(900 * 1024);
    const r = await rawOnce(lx.port, rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: [{ role: 'user', content }] } }));
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const last = await mock.last();
    assert.equal(last.body.messages[0].content.length, content.length);
    assert.equal(last.body.messages[0].content, content);
  });
});

describe('malformed HTTP', () => {
  const bad = {
    'garbage request line': 'GARBAGE\r\n\r\n',
    'header line without a colon': 'GET /v1/models HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
    'non-numeric Content-Length': `POST ${CHAT} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
    'bad chunk size': `POST ${CHAT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n`,
    'Content-Length and chunked together': `POST ${CHAT} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'control bytes in the path': 'GET /v1/mo\x01dels HTTP/1.1\r\nHost: x\r\n\r\n',
  };
  for (const [name, bytes] of Object.entries(bad)) {
    test(`${name} → 400 JSON error and the connection is closed`, async () => {
      const c = await RawConn.open(lx.port);
      try {
        await c.write(Buffer.from(bytes, 'latin1'));
        const res = await c.readResponse();
        assertErr(res, 400);
        assert.ok(await c.waitClose(5000), 'llmux closes the connection after a malformed request');
      } finally {
        c.destroy();
      }
      await healthyMeanwhile();
    });
  }

  test('a malformed request after a good one on the same connection: 200 then 400 and close', async () => {
    const c = await RawConn.open(lx.port);
    try {
      await c.write(Buffer.concat([rawRequest('GET', '/health/liveliness', { key: null }), Buffer.from('BAD\r\n\r\n')]));
      assert.equal((await c.readResponse()).status, 200);
      assertErr(await c.readResponse(), 400);
      assert.ok(await c.waitClose(5000));
    } finally {
      c.destroy();
    }
  });
});

describe('silent and slow clients', () => {
  test('silent, half-head, half-body, idle and trickling clients are all closed; others keep working', async () => {
    const silent = await RawConn.open(lx.port);
    const halfHead = await RawConn.open(lx.port);
    const halfBody = await RawConn.open(lx.port);
    const idle = await RawConn.open(lx.port);
    const trickle = await RawConn.open(lx.port);
    const all = [silent, halfHead, halfBody, idle, trickle];
    try {
      await halfHead.write(`POST ${CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`);
      await halfBody.write(`POST ${CHAT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":`);
      await idle.write(rawRequest('GET', '/health/liveliness', { key: null }));
      assert.equal((await idle.readResponse()).status, 200, 'the idle client got its answer first');

      // The trickler sends a header byte every 200 ms: the head never completes
      // within header_timeout, so it must be closed even though it is not silent.
      const head = `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
      let stopTrickle = false;
      const trickling = (async () => {
        for (let i = 0; i < head.length && !trickle.closed && !stopTrickle; i++) {
          await trickle.write(head[i]);
          await sleep(200);
        }
      })();

      // Meanwhile normal traffic flows.
      for (let i = 0; i < 3; i++) await healthyMeanwhile();

      const names = ['silent', 'half head', 'half body', 'idle keep-alive', 'trickling'];
      const closed = await Promise.all(all.map((c) => c.waitClose(CLOSE_WITHIN_MS)));
      stopTrickle = true;
      await trickling;
      closed.forEach((ok, i) => assert.ok(ok, `${names[i]} client closed within ${CLOSE_WITHIN_MS} ms`));
      // What they got, if anything, is an HTTP error, never a 200 for half a request.
      for (const c of [silent, halfHead, halfBody, trickle]) {
        if (c.buf.length) assert.match(c.buf.toString('latin1'), /^HTTP\/1\.1 (408|400) /);
      }
    } finally {
      for (const c of all) c.destroy();
    }
    await healthyMeanwhile();
  });

  test('a client that stops reading a big response does not stall others', async () => {
    // Ask for many big chunks and never read: backpressure must stay per connection.
    const c = await RawConn.open(lx.port);
    c.sock.pause();
    try {
      await c.write(rawRequest('POST', CHAT, {
        body: { model: 'gpt-ok', messages: MSGS, stream: true },
        headers: { 'x-pass-x-mock-chunks': '2000', 'x-pass-x-mock-chunk-bytes': '2048' },
      }));
      await sleep(300);
      await checkPassed(mock, { chunks: 2000, 'chunk-bytes': 2048 });
      for (let i = 0; i < 5; i++) await healthyMeanwhile();
    } finally {
      c.destroy();
    }
  });
});
