// SIGTERM drains: streams and requests in flight finish, new connections are
// refused, and the process exits 0. Past the grace period, it exits anyway.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import {
  RawConn,
  checkPassed,
  cleanup,
  config,
  connectRefused,
  dep,
  mockCtl,
  rawRequest,
  sleep,
  startLlmux,
  startMock,
  streamRequest,
  waitFor,
} from '../lib/harness.mjs';

const MSGS = [{ role: 'user', content: 'hi' }];

after(cleanup);

describe('SIGTERM', () => {
  test('drains a live stream to [DONE], refuses new connections, exits 0', async () => {
    const mock = await startMock();
    const lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock), dep('slow', 'mock-latency-1500', mock)], { llmux: { shutdown_grace: 20 } }));
    let firstEvent;
    const started = new Promise((r) => {
      firstEvent = r;
    });
    // 40 chunks x 100 ms: about 4 s of streaming.
    const stream = streamRequest(lx.url('/v1/chat/completions'), {
      body: { model: 'gpt-ok', messages: MSGS, stream: true, stream_options: { include_usage: true } },
      headers: mockCtl({ chunks: 40, 'interval-ms': 100 }),
      timeout: 30000,
      onEvent: firstEvent,
    });
    stream.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    await started;
    await checkPassed(mock, { chunks: 40, 'interval-ms': 100 });
    // A non-stream request whose upstream answers after 1.5 s, in flight at SIGTERM.
    const slow = lx.chat('slow', { timeout: 30000 });
    slow.catch(() => {});
    await waitFor(async () => (await mock.stats()).inflight >= 2, { timeout: 5000, what: 'both calls in flight at the mock' });

    lx.proc.signal('SIGTERM');
    await waitFor(() => connectRefused(lx.port), { timeout: 5000, what: 'new connections refused after SIGTERM' });
    assert.ok(lx.proc.running, 'still running while the stream drains');

    const r = await stream;
    assert.equal(r.status, 200);
    assert.ok(r.done, `the stream completed with [DONE]; tail: ${r.text.slice(-300)}`);
    const content = r.json.filter((c) => c.choices?.length);
    assert.ok(content.length >= 40, `every chunk arrived (${content.length})`);
    assert.ok(r.json.at(-1).usage, 'the usage chunk arrived');

    const s = await slow;
    assert.equal(s.status, 200, `the in-flight request finished: ${s.text}`);

    const exit = await lx.proc.waitExit(15000);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit status; output:\n${lx.proc.tail()}`);
    await mock.stop();
  });

  test('an idle server exits 0 promptly', async () => {
    const mock = await startMock();
    const lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock)]));
    // an idle keep-alive connection must not hold the shutdown
    const c = await RawConn.open(lx.port);
    await c.write(rawRequest('GET', '/health/liveliness', { key: null }));
    assert.equal((await c.readResponse()).status, 200);
    lx.proc.signal('SIGTERM');
    const exit = await lx.proc.waitExit(8000);
    assert.deepEqual(exit, { code: 0, signal: null });
    c.destroy();
    await mock.stop();
  });

  test('past shutdown_grace, a stream that does not end is cut and the process exits 0', async () => {
    const mock = await startMock();
    const lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock)], { llmux: { shutdown_grace: 1 } }));
    const c = await RawConn.open(lx.port);
    try {
      // 600 chunks x 100 ms = 60 s: far past the 1 s grace.
      await c.write(
        rawRequest('POST', '/v1/chat/completions', {
          body: { model: 'gpt-ok', messages: MSGS, stream: true },
          headers: mockCtl({ chunks: 600, 'interval-ms': 100 }),
        }),
      );
      assert.ok(await c.waitText('chat.completion.chunk', 5000), 'the stream started');
      await checkPassed(mock, { chunks: 600, 'interval-ms': 100 });
      lx.proc.signal('SIGTERM');
      const exit = await lx.proc.waitExit(15000);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(await c.waitClose(2000), 'the client connection was closed');
    } finally {
      c.destroy();
    }
    await mock.stop();
  });

  test('SIGINT drains like SIGTERM', async () => {
    const mock = await startMock();
    const lx = await startLlmux(config([dep('gpt-ok', 'up-ok', mock)]));
    const stream = streamRequest(lx.url('/v1/chat/completions'), {
      body: { model: 'gpt-ok', messages: MSGS, stream: true },
      headers: mockCtl({ chunks: 10, 'interval-ms': 100 }),
    });
    stream.catch(() => {});
    await sleep(300);
    await checkPassed(mock, { chunks: 10, 'interval-ms': 100 });
    lx.proc.signal('SIGINT');
    const r = await stream;
    assert.ok(r.done, 'the stream completed');
    assert.deepEqual(await lx.proc.waitExit(15000), { code: 0, signal: null });
    await mock.stop();
  });
});
