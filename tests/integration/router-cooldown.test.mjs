// Router cooldowns (notes/router-spec.md "Cooldown", COMPAT §3.3):
// allowed_fails and allowed_fails_policy decide when a failing deployment
// leaves every pick, cooldown_time (router-wide and per deployment) how long,
// 401/404 cool at once, 400 / context window / content policy never, a
// group's only deployment never, disable_cooldowns turns it off, and a group
// whose deployments all cool answers 429 "No deployments available". The
// deployments tried come from the mock's request log (tagged upstream names).
// Failure counts are per wall-clock minute: counting tests start well inside one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, envelopeProblem, sameMinute, sleep, startLlmux, startMock, tdep, tried } from '../lib/harness.mjs';

let mock;
let lxA; // allowed_fails 1, cooldown_time 2
let lxB; // allowed_fails and cooldown_time unset (3, 5 s)
let lxC; // allowed_fails_policy
let lxD; // disable_cooldowns

before(async () => {
  mock = await startMock();
  const d = (g, up, extra) => tdep(g, up, mock, extra);
  lxA = await startLlmux(
    config(
      [
        d('c1', 'mock-status-500@c1bad'),
        d('c1', 'ok@c1ok'),
        d('c401', 'mock-status-401@c401bad'),
        d('c401', 'ok@c401ok'),
        d('c404', 'mock-status-404@c404bad'),
        d('c404', 'ok@c404ok'),
        d('c400', 'mock-status-400@c400bad'),
        d('c400', 'ok@c400ok'),
        d('ccw', 'mock-context-window@ccwbad'),
        d('ccw', 'ok@ccwok'),
        d('ccf', 'mock-content-filter@ccfbad'),
        d('ccf', 'ok@ccfok'),
        d('csolo', 'mock-status-500@csolo'),
        d('call', 'mock-status-500@z1'),
        d('call', 'mock-status-500@z2'),
        d('cdep', 'mock-status-500@cdbad', { cooldown_time: 6 }),
        d('cdep', 'ok@cdok'),
      ],
      { router: { allowed_fails: 1, cooldown_time: 2, num_retries: 1 } },
    ),
  );
  lxB = await startLlmux(config([d('dflt', 'mock-status-500@dbad'), d('dflt', 'ok@dok')], { router: { num_retries: 1 } }));
  lxC = await startLlmux(
    config(
      [
        d('f429', 'mock-status-429@fabad'),
        d('f429', 'ok@faok'),
        d('f500', 'mock-status-500@fbbad'),
        d('f500', 'ok@fbok'),
        d('fhang', 'mock-fault-hang@fcbad', { timeout: 1 }),
        d('fhang', 'ok@fcok'),
      ],
      {
        router: {
          num_retries: 1,
          allowed_fails: 1,
          cooldown_time: 30,
          allowed_fails_policy: { RateLimitErrorAllowedFails: 0, InternalServerErrorAllowedFails: 4, TimeoutErrorAllowedFails: 0 },
        },
      },
    ),
  );
  lxD = await startLlmux(
    config([d('nocool', 'mock-status-500@ncbad'), d('nocool', 'ok@ncok')], {
      router: { num_retries: 1, allowed_fails: 0, disable_cooldowns: true },
    }),
  );
});

after(cleanup);

/** n sequential chat calls to `group`; returns {rs: responses, tags: every deployment tried, in order, log}. */
async function calls(l, group, n, opts = {}) {
  const { res, log, tags } = await tried(mock, async () => {
    const rs = [];
    for (let i = 0; i < n; i++) rs.push(await l.chat(group, opts));
    return rs;
  });
  return { rs: res, log, tags };
}

const count = (tags, t) => tags.filter((x) => x === t).length;

describe('allowed_fails and cooldown_time', () => {
  test('allowed_fails 1: the second failure cools the deployment; it is used again after cooldown_time', async () => {
    await sameMinute(15000);
    const { rs, log, tags } = await calls(lxA, 'c1', 14);
    for (const r of rs) assert.equal(r.status, 200, 'the retry on the healthy deployment hides every failure');
    assert.equal(count(tags, 'c1bad'), 2, `c1bad tried exactly twice (then cooling): ${tags}`);
    const cooledAt = log.filter((e) => e.tag === 'c1bad')[1].t_ms;
    const after = await calls(lxA, 'c1', 6);
    assert.equal(count(after.tags, 'c1bad'), 0, `still cooling: ${after.tags}`);
    // wait out the 2 s cooldown (counted from the mock's clock)
    const nowMs = (await mock.log({ limit: 1 }))[0].t_ms;
    await sleep(Math.max(0, cooledAt + 2300 - nowMs));
    const back = await calls(lxA, 'c1', 6);
    assert.ok(count(back.tags, 'c1bad') >= 1, `c1bad picked again after its cooldown: ${back.tags}`);
    for (const r of back.rs) assert.equal(r.status, 200);
  });

  test('allowed_fails unset: 3 (the fourth failure this minute cools)', async () => {
    await sameMinute(8000);
    const { rs, tags } = await calls(lxB, 'dflt', 24);
    for (const r of rs) assert.equal(r.status, 200);
    assert.equal(count(tags, 'dbad'), 4, `dbad: 3 allowed failures + the one that cools: ${tags}`);
  });

  test('litellm_params.cooldown_time overrides the router cooldown_time for that deployment', async () => {
    await sameMinute(12000);
    const { log } = await calls(lxA, 'cdep', 10);
    const bad = log.filter((e) => e.tag === 'cdbad');
    assert.equal(bad.length, 2, JSON.stringify(log.map((e) => e.tag)));
    const nowMs = (await mock.log({ limit: 1 }))[0].t_ms;
    await sleep(Math.max(0, bad[1].t_ms + 3000 - nowMs)); // past the router's 2 s, inside the deployment's 6 s
    const later = await calls(lxA, 'cdep', 8);
    assert.equal(count(later.tags, 'cdbad'), 0, `cooldown_time 6 s of the deployment: ${later.tags}`);
  });
});

describe('which failures cool', () => {
  for (const [group, status] of [
    ['c401', 401],
    ['c404', 404],
  ]) {
    test(`${status} cools at once (allowed_fails does not apply)`, async () => {
      const { rs, tags } = await calls(lxA, group, 12);
      assert.equal(count(tags, `${group}bad`), 1, `tried once, then cooling: ${tags}`);
      const failed = rs.filter((r) => r.status !== 200);
      assert.equal(failed.length, 1, 'a non-retried error reaches the client once');
      assert.equal(failed[0].status, status);
    });
  }

  for (const g of ['c400', 'ccw', 'ccf']) {
    test(`${g}: a bad request never cools`, async () => {
      const { rs, tags } = await calls(lxA, g, 12);
      const n = count(tags, `${g}bad`);
      assert.ok(n >= 4, `${g}bad keeps being picked (${n} of 12): ${tags}`);
      assert.equal(rs.filter((r) => r.status === 400).length, n);
    });
  }

  test("a group's only deployment is never cooled", async () => {
    const { rs, tags } = await calls(lxA, 'csolo', 6, { body: { num_retries: 0 } });
    assert.equal(tags.length, 6, `every call reached it: ${tags}`);
    for (const r of rs) assert.equal(r.status, 500, `never "No deployments available": ${r.text}`);
  });

  test('disable_cooldowns: a failing deployment keeps being picked', async () => {
    const { rs, tags } = await calls(lxD, 'nocool', 16);
    for (const r of rs) assert.equal(r.status, 200);
    assert.ok(count(tags, 'ncbad') >= 5, `ncbad still picked with allowed_fails 0: ${tags}`);
  });
});

describe('allowed_fails_policy', () => {
  test('RateLimitErrorAllowedFails 0: the first 429 cools', async () => {
    await sameMinute(8000);
    const { tags } = await calls(lxC, 'f429', 12);
    assert.equal(count(tags, 'fabad'), 1, `${tags}`);
  });

  test('InternalServerErrorAllowedFails 4 (over allowed_fails 1): the fifth 500 cools', async () => {
    await sameMinute(8000);
    const { rs, tags } = await calls(lxC, 'f500', 30);
    for (const r of rs) assert.equal(r.status, 200);
    assert.equal(count(tags, 'fbbad'), 5, `${tags}`);
  });

  test('TimeoutErrorAllowedFails 0: the first timeout cools', async () => {
    await sameMinute(15000);
    const { rs, tags } = await calls(lxC, 'fhang', 8, { timeout: 20000 });
    for (const r of rs) assert.equal(r.status, 200);
    assert.equal(count(tags, 'fcbad'), 1, `${tags}`);
  });
});

describe('every deployment cooling', () => {
  test('429 "No deployments available", no upstream call, retry-after; served again after cooldown_time', async () => {
    await sameMinute(12000);
    // two calls: each tries z1 and z2 (num_retries 1); the second failure of each cools it
    const first = await calls(lxA, 'call', 2);
    assert.deepEqual(first.tags.slice().sort(), ['z1', 'z1', 'z2', 'z2'], `${first.tags}`);
    for (const r of first.rs) assert.equal(r.status, 500);
    const { rs, tags } = await calls(lxA, 'call', 1);
    assert.deepEqual(tags, [], 'no upstream call while every deployment cools');
    const r = rs[0];
    assert.equal(r.status, 429, r.text);
    assert.equal(envelopeProblem(r.json, 429), null, r.text);
    assert.match(r.json.error.message, /No deployments available for selected model/);
    assert.match(r.json.error.message, /Try again in \d+ seconds/);
    assert.match(r.json.error.message, /Passed model=call/);
    assert.equal(r.json.error.type, 'rate_limit_error');
    assert.ok(Number(r.headers['retry-after']) >= 1, `retry-after header: ${r.headers['retry-after']}`);
    await sleep(2300);
    const back = await calls(lxA, 'call', 1, { body: { num_retries: 0 } });
    assert.equal(back.tags.length, 1, `after cooldown_time a deployment is tried again: ${back.tags}`);
    assert.equal(back.rs[0].status, 500);
  });
});
