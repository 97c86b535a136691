// Fleet-wide router state through Redis: two llmux instances with the same
// config share one real redis-server (started here on a free loopback port,
// stopped after). They agree on cooldowns (and an instance started later
// learns the running ones), enforce one combined rpm limit, and keep serving
// with per-instance state while Redis is down, reporting it in
// /health/readiness as shared_state.redis.
//
// Skipped when redis-server is not installed (scripts/deps.sh installs it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, dep, redisServerBin, sleep, startLlmux, startMock, startRedis, startRedisWithPassword, waitFor } from '../lib/harness.mjs';

const haveRedis = redisServerBin() !== null;
const COOLDOWN_S = 30; // longer than test 1 takes
const RPM = 10;

let redis;
let mockBad; // every request answers 500 ("mock-status-500")
let mockGood;
let cfg;
let A;
let B;

/** Waits, when needed, so that the next `needMs` ms stay inside one wall-clock minute (rpm windows). */
async function withinOneMinute(needMs) {
  const left = 60000 - (Date.now() % 60000);
  if (left < needMs) await sleep(left + 250);
}

async function redisStatus(lx) {
  const r = await lx.req('/health/readiness');
  return r.json?.shared_state?.redis;
}

function waitRedisStatus(lx, want, timeout) {
  return waitFor(async () => (await redisStatus(lx)) === want, { timeout, interval: 100, what: `shared_state.redis "${want}" on :${lx.port}` });
}

describe('fleet-wide router state through Redis', { skip: haveRedis ? false : 'redis-server is not installed (run scripts/deps.sh)' }, () => {
  before(async () => {
    redis = await startRedis();
    mockBad = await startMock();
    mockGood = await startMock();
    cfg = config(
      [
        dep('cg', 'mock-status-500', mockBad, { model_info: { id: 'dep-bad' } }),
        dep('cg', 'good-up', mockGood, { model_info: { id: 'dep-good' } }),
        dep('lim', 'lim-up', mockGood, { rpm: RPM, model_info: { id: 'dep-lim' } }),
        dep('plain', 'plain-up', mockGood, { model_info: { id: 'dep-plain' } }),
      ],
      {
        router: {
          routing_strategy: 'usage-based-routing-v2',
          redis_host: '127.0.0.1',
          redis_port: redis.port,
          allowed_fails: 0, // the first failure cools the deployment down
          cooldown_time: COOLDOWN_S,
          num_retries: 0,
        },
      },
    );
    [A, B] = await Promise.all([startLlmux(cfg), startLlmux(cfg)]);
    await Promise.all([waitRedisStatus(A, 'connected', 10000), waitRedisStatus(B, 'connected', 10000)]);
  });

  after(cleanup);

  test('a deployment cooled down on A is skipped by B, and by an instance started later', async () => {
    // A: usage-based routing sends the next request to the deployment with
    // the fewest tokens, so the failing one (no tokens) is hit within a few
    for (let i = 0; i < 10 && (await mockBad.modelRequests()) === 0; i++) await A.chat('cg');
    assert.equal(await mockBad.modelRequests(), 1, 'A sent exactly one request to dep-bad, which cooled it down');
    await sleep(300); // the fleet learns a cooldown within ~0.2 s

    // B never saw dep-bad fail: without the shared cooldown it would try it first
    const before = await mockBad.modelRequests();
    for (let i = 0; i < 12; i++) {
      const r = await B.chat('cg');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-litellm-model-id'], 'dep-good');
    }
    assert.equal(await mockBad.modelRequests(), before, 'B sent nothing to the cooled-down deployment');

    // C connects after the cooldown started: it reads the running cooldowns on connect
    const C = await startLlmux(cfg);
    try {
      await waitRedisStatus(C, 'connected', 10000);
      await sleep(100);
      for (let i = 0; i < 6; i++) {
        const r = await C.chat('cg');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers['x-litellm-model-id'], 'dep-good');
      }
      assert.equal(await mockBad.modelRequests(), before, 'C sent nothing to the cooled-down deployment');
    } finally {
      await C.stop();
    }
    const keys = await redis.cmd('KEYS', 'llmux:cd:*');
    assert.deepEqual(keys, ['llmux:cd:dep-bad'], 'the cooldown is a key in Redis');
  });

  test(`rpm: ${RPM} holds across A and B together`, async () => {
    // 20 requests alternating A, B, 300 ms apart. A request counted on one
    // instance reaches Redis at its next sync (<= 100 ms) and the other
    // instance at its next one (<= 100 ms more), so 300 ms apart each
    // instance sees every earlier request: exactly RPM succeed. One more is
    // allowed for a sync tick delayed by a loaded machine. Without sharing,
    // each instance would allow RPM of its own: all 20.
    const N = 20;
    const gap = 300;
    await withinOneMinute(N * (gap + 100) + 2000);
    const statuses = [];
    for (let i = 0; i < N; i++) {
      const lx = i % 2 === 0 ? A : B;
      const r = await lx.chat('lim');
      statuses.push(r.status);
      if (r.status !== 200) {
        assert.equal(r.status, 429, r.text);
        assert.match(r.json?.error?.message ?? '', /No deployments available/, r.text);
      }
      await sleep(gap);
    }
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= RPM && ok <= RPM + 1, `${ok} of ${N} succeeded (want ${RPM}, at most ${RPM + 1}): ${statuses.join(' ')}`);
    // the first RPM succeed, in order: the limit is not reached early either
    assert.deepEqual(statuses.slice(0, RPM), Array(RPM).fill(200), statuses.join(' '));
    const minute = Math.floor(Date.now() / 60000);
    const fleet = Number(await redis.cmd('GET', `llmux:rpm:dep-lim:${minute}`));
    assert.equal(fleet, ok, 'Redis counted every request that went upstream');
  });

  test('Redis down: both keep serving and report "unreachable"; back: "connected"', async () => {
    await redis.kill();
    await Promise.all([waitRedisStatus(A, 'unreachable', 5000), waitRedisStatus(B, 'unreachable', 5000)]);
    for (const lx of [A, B, A, B]) {
      const r = await lx.chat('plain');
      assert.equal(r.status, 200, r.text);
      const ready = await lx.req('/health/readiness');
      assert.equal(ready.status, 200, 'readiness still answers 200: llmux serves without Redis');
    }

    await redis.start();
    await Promise.all([waitRedisStatus(A, 'connected', 10000), waitRedisStatus(B, 'connected', 10000)]);
    for (const lx of [A, B]) {
      const r = await lx.chat('plain');
      assert.equal(r.status, 200, r.text);
    }
    // the usage sync runs again: the new server gets this minute's counters
    await waitFor(async () => (await redis.cmd('KEYS', 'llmux:rpm:dep-plain:*')).length > 0, { timeout: 3000, what: 'usage keys after the reconnect' });
  });
});

describe('redis_url with a password and a database number', { skip: haveRedis ? false : 'redis-server is not installed (run scripts/deps.sh)' }, () => {
  let sec;
  let bad;
  let good;
  let lx;
  before(async () => {
    sec = await startRedisWithPassword('s3cret-pw');
    bad = await startMock();
    good = await startMock();
    lx = await startLlmux(
      config(
        [
          dep('pw', 'mock-status-500', bad, { model_info: { id: 'pw-bad' } }),
          dep('pw', 'pw-good', good, { model_info: { id: 'pw-good' } }),
        ],
        { router: { redis_url: `redis://:s3cret-pw@127.0.0.1:${sec.port}/3`, allowed_fails: 0, cooldown_time: 30, num_retries: 1 } },
      ),
    );
    await waitRedisStatus(lx, 'connected', 10000);
  });
  after(cleanup);

  test('authenticates, selects db 3, and stores the cooldown there', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await lx.chat('pw');
      assert.equal(r.status, 200, r.text);
    }
    const replies = await waitFor(
      async () => {
        const out = await sec.cmd(['SELECT', '3'], ['KEYS', 'llmux:cd:*']);
        return out[2].length > 0 ? out : null;
      },
      { timeout: 3000, what: 'a cooldown key in db 3' },
    );
    assert.deepEqual(replies[2], ['llmux:cd:pw-bad']);
    const db0 = await sec.cmd(['SELECT', '0'], ['KEYS', 'llmux:*']);
    assert.deepEqual(db0[2], [], 'nothing in db 0');
  });
});
