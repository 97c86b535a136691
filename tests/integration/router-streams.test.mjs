// Router and streams (notes/router-spec.md "Streams"): until the first
// upstream event the client has received nothing, so a failing stream (error
// status, reset, closed before any event, no headers within stream_timeout)
// is retried or falls back invisibly and the client sees one normal stream
// from the deployment that worked; after the first event a failure (cut,
// stall past stream_timeout) becomes one error event and the stream ends,
// never a retry. The deployments tried come from the mock's request log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, envelopeProblem, mockCtl, startLlmux, startMock, streamRequest, tdep, tried } from '../lib/harness.mjs';

let mock;
let rmock; // resets every connection (so none is reused: see router-retries)
let lx; // cooldowns off
let lxC; // allowed_fails 0: one failure cools

const W = (w) => ({ weight: w });
const ST = { timeout: 1, stream_timeout: 1 };

before(async () => {
  mock = await startMock();
  rmock = await startMock();
  const d = (g, up, extra) => tdep(g, up, mock, extra);
  lx = await startLlmux(
    config(
      [
        d('s500', 'mock-status-500@s5bad', W(1000)),
        d('s500', 'ok@s5ok', W(1)),
        d('s429', 'mock-status-429@s4bad', W(1000)),
        d('s429', 'ok@s4ok', W(1)),
        tdep('sreset', 'mock-fault-reset@srbad', rmock, W(1000)),
        d('sreset', 'ok@srok', W(1)),
        d('scut0', 'mock-fault-disconnect-0@scbad', W(1000)),
        d('scut0', 'ok@scok', W(1)),
        d('shang', 'mock-fault-hang@shbad', { ...W(1000), ...ST }),
        d('shang', 'ok@shok', W(1)),
        d('sslow', 'mock-latency-3000@ssbad', { ...W(1000), ...ST }),
        d('sslow', 'ok@ssok', W(1)),
        d('smid', 'mock-fault-disconnect-3@smbad', W(1000)),
        d('smid', 'ok@smok', W(1)),
        d('sstall', 'ok@sstall', ST),
        d('sfb', 'mock-status-500@sfba'),
        d('sfok', 'ok@sfoka'),
      ],
      { router: { num_retries: 2, disable_cooldowns: true, fallbacks: [{ sfb: ['sfok'] }] } },
    ),
  );
  lxC = await startLlmux(
    config([d('scool', 'mock-latency-3000@scbad2', { ...W(1000), ...ST }), d('scool', 'ok@scok2', W(1))], {
      router: { num_retries: 2, allowed_fails: 0, cooldown_time: 30 },
    }),
  );
});

after(cleanup);

const MSGS = [{ role: 'user', content: 'hello there friend' }];

/** One stream; tags: rmock's deployments tried, then the main mock's (rmock ones only fail, so come first). */
async function stream(l, group, { headers = {}, body = {}, timeout = 30000 } = {}) {
  const outer = await tried(rmock, () =>
    tried(mock, () => streamRequest(l.url('/v1/chat/completions'), { body: { model: group, messages: MSGS, stream: true, ...body }, headers, timeout })),
  );
  const { res, tags, log } = outer.res;
  return { r: res, tags: [...outer.tags, ...tags], log };
}

/** A complete, normal stream: 200, chunks with the mock's 80 bytes of text, no error event, [DONE]. */
function assertCleanStream(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
  assert.ok(r.done, `${what}: ends with [DONE]:\n${r.text.slice(-300)}`);
  const errs = r.events.filter((e) => e.data && e.data.includes('"error"'));
  assert.deepEqual(errs.map((e) => e.data), [], `${what}: no error event`);
  const text = r.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
  assert.equal(text, 'mock '.repeat(16), `${what}: the whole text of one upstream stream`);
  const ids = new Set(r.json.map((c) => c.id));
  assert.equal(ids.size, 1, `${what}: chunks of one upstream stream (ids ${[...ids]})`);
}

/** Streams `group` until its failing deployment was tried first; returns that call. */
async function badFirst(l, group, bad, ok, opts) {
  for (let i = 0; i < 6; i++) {
    const x = await stream(l, group, opts);
    if (x.tags[0] === ok) {
      assert.deepEqual(x.tags, [ok]);
      assertCleanStream(x.r, group);
      continue;
    }
    assert.equal(x.tags[0], bad, `${group}: ${x.tags}`);
    return x;
  }
  assert.fail(`${group}: the failing deployment (weight 1000 of 1001) was never picked first`);
}

describe('a failure before the first event is invisible', () => {
  for (const [group, what] of [
    ['s500', '500'],
    ['s429', '429'],
    ['sreset', 'connection reset'],
    ['scut0', 'connection closed after the headers, before any event'],
  ]) {
    test(`${what}: retried, the client gets one normal stream`, async () => {
      const p = group.slice(0, 2);
      const { r, tags } = await badFirst(lx, group, `${p}bad`, `${p}ok`);
      assert.deepEqual(tags, [`${p}bad`, `${p}ok`]);
      assertCleanStream(r, group);
      assert.equal(r.headers['x-litellm-model-id'], `${p}ok`);
      assert.equal(r.headers['x-litellm-attempted-retries'], '1');
    });
  }

  test('no headers within stream_timeout (hang, slow first byte): retried', async () => {
    for (const [group, bad, ok] of [
      ['shang', 'shbad', 'shok'],
      ['sslow', 'ssbad', 'ssok'],
    ]) {
      const t0 = Date.now();
      const { r, tags, log } = await badFirst(lx, group, bad, ok);
      assert.deepEqual(tags, [bad, ok]);
      assertCleanStream(r, group);
      const gap = log[1].t_ms - log[0].t_ms;
      assert.ok(gap >= 950, `${group}: the retry came after the 1 s stream_timeout (${gap.toFixed(0)} ms)`);
      assert.ok(Date.now() - t0 < 2900 * 6, 'bounded');
    }
  });

  test('include_usage survives a retry', async () => {
    const { r } = await badFirst(lx, 's500', 's5bad', 's5ok', { body: { stream_options: { include_usage: true } } });
    assertCleanStream(r, 's500 include_usage');
    const usage = r.json.filter((c) => c.usage);
    assert.equal(usage.length, 1, 'one usage chunk');
    assert.equal(usage[0].usage.completion_tokens, 16);
  });

  test('fallbacks: the fallback group streams', async () => {
    const { r, tags } = await stream(lx, 'sfb', { body: { num_retries: 0 } });
    assert.deepEqual(tags, ['sfba', 'sfoka']);
    assertCleanStream(r, 'sfb');
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
  });

  test('a stream stalling before its first event cools the deployment', async () => {
    const first = await badFirst(lxC, 'scool', 'scbad2', 'scok2');
    assertCleanStream(first.r, 'scool');
    for (let i = 0; i < 5; i++) {
      const { r, tags } = await stream(lxC, 'scool');
      assert.deepEqual(tags, ['scok2'], 'the stalled deployment is cooling');
      assertCleanStream(r, 'scool');
    }
  });
});

describe('a failure after the first event', () => {
  test('a cut stream: the chunks so far, one error event, no [DONE], no retry', async () => {
    const ctl = { 'interval-ms': 50 };
    const { r, tags } = await badFirst(lx, 'smid', 'smbad', 'smok', { headers: mockCtl(ctl) });
    assert.deepEqual(tags, ['smbad'], 'never retried once the client has bytes');
    assert.equal(r.status, 200);
    assert.ok(!r.done, 'no [DONE]');
    const chunks = r.json.filter((c) => c.object === 'chat.completion.chunk');
    assert.ok(chunks.length >= 1 && chunks.length <= 3, `the chunks before the cut (${chunks.length})`);
    const last = r.events.at(-1);
    assert.ok(last?.data?.includes('"error"'), `ends with an error event:\n${r.text.slice(-300)}`);
    assert.equal(envelopeProblem(JSON.parse(last.data)), null, last.data);
    assert.equal(r.events.filter((e) => e.data && e.data.includes('"error"')).length, 1);
  });

  test('a stall past stream_timeout: an error event about stream_timeout after the last chunk', async () => {
    const ctl = { 'interval-ms': 6000, chunks: 3 };
    const t0 = Date.now();
    const { r, tags } = await stream(lx, 'sstall', { headers: mockCtl(ctl) });
    const took = Date.now() - t0;
    assert.deepEqual(tags, ['sstall']);
    assert.equal(r.status, 200);
    assert.ok(!r.done);
    assert.ok(r.json.some((c) => c.object === 'chat.completion.chunk'), 'the first chunk came through');
    assert.ok(r.events.at(-1)?.data?.includes('"error"'), `ends with an error event:\n${r.text.slice(-300)}`);
    assert.ok(took < 5000, `the stall was cut by stream_timeout (1 s), not waited out (6 s): ${took} ms`);
  });
});
