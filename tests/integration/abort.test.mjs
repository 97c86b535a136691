// A client that goes away must cancel its upstream call at once: the mock
// sees the connection closed (client_aborts, inflight) long before it would
// have finished on its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RawConn, checkPassed, cleanup, config, dep, mockCtl, rawRequest, startLlmux, startMock, waitFor } from '../lib/harness.mjs';

const CHAT = '/v1/chat/completions';
const MSGS = [{ role: 'user', content: 'hi' }];

let mock;
let lx;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([dep('gpt-ok', 'up-ok', mock), dep('hang', 'mock-fault-hang', mock, { timeout: 60, stream_timeout: 60 })]),
  );
});

after(cleanup);

describe('client disconnect', () => {
  test('mid-stream disconnect cancels the upstream stream (client_aborts + 1)', async () => {
    const s0 = await mock.stats();
    const c = await RawConn.open(lx.port);
    try {
      // 200 chunks x 50 ms = 10 s if nobody cancels it.
      await c.write(
        rawRequest('POST', CHAT, {
          body: { model: 'gpt-ok', messages: MSGS, stream: true },
          headers: mockCtl({ chunks: 200, 'interval-ms': 50 }),
        }),
      );
      assert.ok(await c.waitText('chat.completion.chunk', 5000), `streaming started: ${c.buf.toString().slice(0, 300)}`);
      await checkPassed(mock, { chunks: 200, 'interval-ms': 50 });
      const mid = await mock.stats();
      assert.ok(mid.inflight >= 1, `the mock is streaming (inflight ${mid.inflight})`);
    } finally {
      c.destroy();
    }
    // Well under the 10 s the stream would take: the cancel must be prompt.
    const s = await waitFor(
      async () => {
        const st = await mock.stats();
        return st.client_aborts >= s0.client_aborts + 1 ? st : null;
      },
      { timeout: 4000, what: 'mock client_aborts + 1 after the client left' },
    );
    assert.equal(s.client_aborts, s0.client_aborts + 1);
    await waitFor(async () => (await mock.stats()).inflight === 0, { timeout: 4000, what: 'mock inflight back to 0' });
  });

  test('disconnect while waiting for a silent upstream closes the upstream call', async () => {
    const c = await RawConn.open(lx.port);
    try {
      await c.write(rawRequest('POST', CHAT, { body: { model: 'hang', messages: MSGS } }));
      await waitFor(async () => (await mock.stats()).inflight >= 1, { timeout: 4000, what: 'the hung call reached the mock' });
    } finally {
      c.destroy();
    }
    await waitFor(async () => (await mock.stats()).inflight === 0, {
      timeout: 4000,
      what: 'the upstream call ended after the client left (the deployment timeout is 60 s)',
    });
  });

  test('many clients dropping mid-stream leave nothing behind, and llmux keeps serving', async () => {
    const s0 = await mock.stats();
    const conns = await Promise.all(Array.from({ length: 10 }, () => RawConn.open(lx.port)));
    try {
      for (const c of conns) {
        await c.write(
          rawRequest('POST', CHAT, {
            body: { model: 'gpt-ok', messages: MSGS, stream: true },
            headers: mockCtl({ chunks: 200, 'interval-ms': 50 }),
          }),
        );
      }
      for (const c of conns) assert.ok(await c.waitText('chat.completion.chunk', 5000), 'each stream started');
      await checkPassed(mock, { chunks: 200, 'interval-ms': 50 });
    } finally {
      for (const c of conns) c.destroy();
    }
    await waitFor(async () => (await mock.stats()).client_aborts >= s0.client_aborts + 10, { timeout: 5000, what: '10 more client_aborts' });
    await waitFor(async () => (await mock.stats()).inflight === 0, { timeout: 5000, what: 'mock inflight 0' });
    const r = await lx.chat('gpt-ok');
    assert.equal(r.status, 200);
  });
});
