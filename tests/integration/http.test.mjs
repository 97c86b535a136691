// HTTP/1.1 mechanics over raw sockets: keep-alive, chunked request bodies,
// Expect: 100-continue, pipelining, HTTP/1.0, and upstream connection reuse.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RawConn, cleanup, config, dep, rawRequest, sleep, startLlmux, startMock } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'one two three four' }];

let mock;
let lx;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock)]));
});

after(cleanup);

async function withConn(fn) {
  const c = await RawConn.open(lx.port);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

describe('connections', () => {
  test('keep-alive: several requests, one connection', async () => {
    await withConn(async (c) => {
      for (let i = 0; i < 5; i++) {
        await c.write(rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: MSGS } }));
        const r = await c.readResponse();
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.object, 'chat.completion');
        assert.equal(r.json.usage.prompt_tokens, 4);
        assert.ok(!/close/i.test(r.headers.connection ?? ''), 'the connection stays open');
        assert.ok(!c.closed);
      }
      await c.write(rawRequest('GET', '/health/liveliness', { key: null }));
      assert.equal((await c.readResponse()).json, "I'm alive!");
    });
  });

  test('Connection: close is honoured', async () => {
    await withConn(async (c) => {
      await c.write(rawRequest('GET', '/health/liveliness', { key: null, headers: { connection: 'close' } }));
      const r = await c.readResponse();
      assert.equal(r.status, 200);
      assert.ok(await c.waitClose(5000), 'closed after the response');
    });
  });

  test('HTTP/1.0 without keep-alive gets its answer and a close', async () => {
    await withConn(async (c) => {
      await c.write('GET /health/liveliness HTTP/1.0\r\n\r\n');
      assert.ok(await c.waitClose(5000), 'closed after the response');
      const text = c.buf.toString('utf8');
      assert.match(text, /^HTTP\/1\.[01] 200 /);
      assert.ok(text.endsWith(`"I'm alive!"`), text);
    });
  });

  test('pipelined requests are answered in order on one connection', async () => {
    await withConn(async (c) => {
      await c.write(
        Buffer.concat([
          rawRequest('GET', '/health/liveliness', { key: null }),
          rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: MSGS } }),
          rawRequest('GET', '/v1/models'),
          rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: [{ role: 'user', content: 'a b' }] } }),
          rawRequest('GET', '/nope', { key: null }),
        ]),
      );
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      const r3 = await c.readResponse();
      const r4 = await c.readResponse();
      const r5 = await c.readResponse();
      assert.equal(r1.json, "I'm alive!");
      assert.equal(r2.status, 200);
      assert.equal(r2.json.usage.prompt_tokens, 4, 'second answer is for the 4-word chat');
      assert.equal(r3.json.object, 'list');
      assert.equal(r4.json.usage.prompt_tokens, 2, 'fourth answer is for the 2-word chat');
      assert.deepEqual(r5.json, { detail: 'Not Found' });
    });
  });

  test('pipelined streams are answered in order', async () => {
    await withConn(async (c) => {
      const s = (n) =>
        rawRequest('POST', CHAT, {
          body: { model: 'gpt-ok', messages: [{ role: 'user', content: 'w '.repeat(n).trim() }], stream: true, stream_options: { include_usage: true } },
        });
      await c.write(Buffer.concat([s(3), s(5)]));
      for (const n of [3, 5]) {
        const r = await c.readResponse();
        assert.equal(r.status, 200);
        assert.ok(r.text.trimEnd().endsWith('data: [DONE]'), r.text.slice(-200));
        assert.match(r.text, new RegExp(`"prompt_tokens":\\s*${n}\\b`));
      }
    });
  });
});

describe('request bodies', () => {
  test('chunked request body is reassembled', async () => {
    await withConn(async (c) => {
      const body = JSON.stringify({ model: 'gpt-ok', messages: [{ role: 'user', content: 'chunked body with six words' }] });
      const parts = [body.slice(0, 7), body.slice(7, 30), body.slice(30)];
      let wire = rawRequest('POST', CHAT, { headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }).toString('latin1');
      for (const p of parts) wire += `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`;
      wire += '0\r\n\r\n';
      // Sent in pieces with pauses, to cross read boundaries.
      const b = Buffer.from(wire, 'utf8');
      for (let i = 0; i < b.length; i += 37) {
        await c.write(b.subarray(i, i + 37));
        if (i % 111 === 0) await sleep(5);
      }
      const r = await c.readResponse();
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.usage.prompt_tokens, 5);
      const last = await mock.last();
      assert.equal(last.body.messages[0].content, 'chunked body with six words');
      assert.equal(last.body.model, 'up-ok');
      // the connection is still usable
      await c.write(rawRequest('GET', '/health/liveliness', { key: null }));
      assert.equal((await c.readResponse()).status, 200);
    });
  });

  test('Expect: 100-continue gets "100 Continue", then the real answer', async () => {
    await withConn(async (c) => {
      const body = JSON.stringify({ model: 'gpt-ok', messages: [{ role: 'user', content: 'expect continue' }] });
      const head = rawRequest('POST', CHAT, { headers: { expect: '100-continue', 'content-type': 'application/json', 'content-length': String(body.length) } });
      await c.write(head);
      const cont = await c.readResponse({ timeout: 5000 });
      assert.equal(cont.status, 100, 'interim 100 Continue before the body is sent');
      await c.write(body);
      const r = await c.readResponse();
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.usage.prompt_tokens, 2);
    });
  });

  test('a body split across many small writes with Content-Length', async () => {
    await withConn(async (c) => {
      const b = rawRequest('POST', CHAT, { body: { model: 'gpt-ok', messages: [{ role: 'user', content: 'x y z' }] } });
      for (let i = 0; i < b.length; i += 10) {
        await c.write(b.subarray(i, i + 10));
        await sleep(1);
      }
      const r = await c.readResponse();
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.usage.prompt_tokens, 3);
    });
  });
});

describe('upstream connections', () => {
  test('sequential calls reuse upstream connections (keep-alive pool)', async () => {
    const before = (await mock.stats()).accepted_conns;
    for (let i = 0; i < 30; i++) {
      const r = await lx.chat('gpt-ok');
      assert.equal(r.status, 200);
    }
    const s = await mock.stats();
    // 2 workers, each with a pool: a handful of new connections at most, not 30.
    assert.ok(s.accepted_conns - before <= 8, `30 sequential calls opened ${s.accepted_conns - before} upstream connections`);
  });
});
