// The llmux-mock features the router suites stand on: the request log
// (/mock/log), model-name tags, run-time failure rules (/mock/fail), random
// faults (mock-chaos-N), and the context-window / content-filter errors.
// Talks to the mock directly (no llmux).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { UPSTREAM_KEY, cleanup, request, startMock, streamRequest } from '../lib/harness.mjs';

let mock;

before(async () => {
  mock = await startMock();
});

after(cleanup);

function chat(model, { stream = false, headers = {}, content = 'hello there friend' } = {}) {
  const body = { model, messages: [{ role: 'user', content }], stream };
  if (stream) return streamRequest(`${mock.v1}/chat/completions`, { body, headers, key: UPSTREAM_KEY });
  return request(`${mock.v1}/chat/completions`, { method: 'POST', body, headers, key: UPSTREAM_KEY });
}

/** Status, or 0 when the connection failed (reset, cut). */
async function statusOf(p) {
  try {
    const r = await p;
    return r.status;
  } catch {
    return 0;
  }
}

describe('request log', () => {
  test('every model request in arrival order, with what the mock answered', async () => {
    const since = await mock.mark();
    assert.equal((await chat('mock-status-500@a')).status, 500);
    assert.equal((await chat('ok@b')).status, 200);
    await statusOf(chat('mock-fault-reset@c'));
    const s = await chat('ok@d', { stream: true });
    assert.ok(s.done);
    const log = await mock.log({ since });
    assert.deepEqual(
      log.map((e) => [e.model, e.tag, e.status, e.fault, e.stream]),
      [
        ['mock-status-500@a', 'a', 500, '', false],
        ['ok@b', 'b', 200, '', false],
        ['mock-fault-reset@c', 'c', 0, 'reset', false],
        ['ok@d', 'd', 200, '', true],
      ],
    );
    for (let i = 1; i < log.length; i++) {
      assert.equal(log[i].seq, log[i - 1].seq + 1);
      assert.ok(log[i].t_ms >= log[i - 1].t_ms);
    }
    assert.equal(log[0].path, '/v1/chat/completions');
    assert.equal(log[2].done_ms, null, 'never answered');
  });

  test('a tag does not change behaviour: latency and status still apply', async () => {
    const since = await mock.mark();
    const t0 = Date.now();
    assert.equal((await chat('mock-latency-200@slow')).status, 200);
    assert.ok(Date.now() - t0 >= 190, 'the latency applied');
    assert.equal((await chat('mock-status-429@x')).status, 429);
    const log = await mock.log({ since });
    assert.ok(log[0].done_ms - log[0].t_ms >= 195, JSON.stringify(log[0]));
    assert.equal(log[0].model, 'mock-latency-200@slow', 'the log keeps the tag');
    const r = await chat('ok@tagged');
    assert.equal(r.json.model, 'ok@tagged', 'the answer echoes the whole name');
  });

  test('since / limit, and /mock/reset empties the log without reusing seqs', async () => {
    await chat('x@1');
    await chat('x@2');
    await chat('x@3');
    const last2 = await mock.log({ limit: 2 });
    assert.deepEqual(last2.map((e) => e.tag), ['2', '3']);
    const since = last2[0].seq;
    assert.deepEqual((await mock.log({ since })).map((e) => e.tag), ['3']);
    await mock.reset();
    assert.deepEqual(await mock.log(), []);
    await chat('x@4');
    const after = await mock.log();
    assert.equal(after.length, 1);
    assert.ok(after[0].seq > last2[1].seq, 'seq keeps growing');
  });
});

describe('failure rules (/mock/fail)', () => {
  test('a rule replaces the model-name behaviour, counts down, and is deleted', async () => {
    await mock.fail({ model: 'ok@r', status: 503, count: 2 });
    assert.equal((await chat('ok@r')).status, 503);
    assert.equal((await chat('ok@other')).status, 200, 'only that exact name');
    assert.equal((await chat('ok@r')).status, 503);
    assert.equal((await chat('ok@r')).status, 200, 'count exhausted');

    await mock.fail({ model: 'mock-status-500@h', status: 200 });
    assert.equal((await chat('mock-status-500@h')).status, 200, 'a rule heals a failing name');
    await mock.fail({ model: 'ok@ra', status: 429, retry_after: 2, error_message: 'slow down' });
    const r = await chat('ok@ra');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(r.json.error.message, 'slow down');
    const since = await mock.mark();
    await mock.fail({ model: 'ok@rs', fault: 'reset' });
    assert.equal(await statusOf(chat('ok@rs')), 0);
    const log = await mock.log({ since });
    assert.equal(log[0].rule, true);
    assert.equal(log[0].fault, 'reset');

    await mock.unfail('ok@ra');
    assert.equal((await chat('ok@ra')).status, 200);
    await mock.unfail();
    assert.equal((await chat('mock-status-500@h')).status, 500);
    assert.equal((await chat('ok@rs')).status, 200);
  });

  test('a bad rule is refused', async () => {
    const post = (b) => request(`${mock.base}/mock/fail`, { method: 'POST', body: b, key: null });
    assert.equal((await post({ status: 500 })).status, 400);
    assert.equal((await post({ model: 'x', fault: 'bogus' })).status, 400);
    assert.equal((await post({ model: 'x', status: 42 })).status, 400);
  });
});

describe('chaos (mock-chaos-N)', () => {
  test('about N% faults, of every kind, none for N = 0', async () => {
    const since = await mock.mark();
    const N = 300;
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => statusOf(chat('mock-chaos-30@c'))));
    }
    for (let i = 0; i < 20; i++) assert.equal((await chat('mock-chaos-0@z')).status, 200);
    const log = (await mock.log({ since })).filter((e) => e.tag === 'c');
    assert.equal(log.length, N);
    const chaos = log.filter((e) => e.chaos);
    assert.ok(chaos.length > N * 0.3 - 5 * Math.sqrt(N * 0.21) && chaos.length < N * 0.3 + 5 * Math.sqrt(N * 0.21), `${chaos.length} of ${N}`);
    const kinds = new Set(chaos.map((e) => (e.fault ? e.fault : String(e.status))));
    assert.deepEqual([...kinds].sort(), ['429', '500', 'disconnect', 'reset', 'slow-headers']);
    for (const e of log.filter((x) => !x.chaos)) assert.equal(e.status, 200);
  });

  test('x-mock-seed makes the draw repeatable; x-mock-chaos-faults picks the kinds', async () => {
    const outcome = async (seed) => statusOf(chat('mock-chaos-50', { headers: { 'x-mock-seed': String(seed), 'x-mock-chaos-faults': '500,429' } }));
    const first = [];
    for (let s = 1; s <= 12; s++) first.push(await outcome(s));
    const again = [];
    for (let s = 1; s <= 12; s++) again.push(await outcome(s));
    assert.deepEqual(again, first);
    assert.ok(first.every((st) => st === 200 || st === 500 || st === 429), JSON.stringify(first));
    const r = await chat('mock-chaos-100', { headers: { 'x-mock-chaos-faults': '429' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '1');
  });

  test('a chaos disconnect of a stream: headers, then the connection closes before any event', async () => {
    let err;
    let events = 0;
    try {
      await streamRequest(`${mock.v1}/chat/completions`, {
        key: UPSTREAM_KEY,
        body: { model: 'mock-chaos-100', stream: true, messages: [{ role: 'user', content: 'x' }] },
        headers: { 'x-mock-chaos-faults': 'disconnect' },
        onEvent: () => events++,
      });
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'the body ends early');
    assert.equal(events, 0);
  });
});

describe('special errors', () => {
  test('mock-context-window: 400 context_length_exceeded; -N only above N words', async () => {
    const r = await chat('mock-context-window@cw');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'context_length_exceeded');
    assert.match(r.json.error.message, /maximum context length is \d+ tokens/);
    assert.equal((await chat('mock-context-window-5', { content: 'one two three' })).status, 200);
    const big = await chat('mock-context-window-5', { content: 'one two three four five six' });
    assert.equal(big.status, 400);
    assert.match(big.json.error.message, /maximum context length is 5 tokens/);
  });

  test('mock-content-filter: 400 code content_filter', async () => {
    const r = await chat('mock-content-filter@cf');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'content_filter');
    assert.match(r.json.error.message, /content management policy/);
  });
});
