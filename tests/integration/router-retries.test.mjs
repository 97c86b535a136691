// Router retries (notes/router-spec.md "Retries", COMPAT §3.3): which error
// classes are retried and how often (num_retries from config, body and
// header; retry_policy per class), a failed deployment is not tried again
// while an untried one is left, and the waits (upstream retry-after, the
// retry_after setting, exponential backoff). Every test reads the exact
// sequence of deployments tried from the mock's request log; each deployment
// has its own tagged upstream name ("mock-status-500@r5a") and that tag as its
// model_info.id. Cooldowns are off here (router-cooldown covers them).
// Deployments that reset every connection live on a mock of their own
// (rmock): then no connection to them is ever reused, and libcurl's silent
// re-send of a request whose reused connection died cannot blur the sequence
// (the last test checks that re-send on its own).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, closedPort, config, envelopeProblem, startLlmux, startMock, streamRequest, tdep, tried } from '../lib/harness.mjs';

let mock;
let rmock; // every deployment on it resets the connection
let lx; // num_retries 2 in router_settings
let lx2; // retry_policy (all classes but InternalServer), retry_after 1.5, num_retries unset everywhere
let lx3; // retry_policy InternalServerErrorRetries 0
let lx4; // router_settings timeout 3, stream_timeout 1
let dead;

const W = (w) => ({ weight: w });

before(async () => {
  mock = await startMock();
  rmock = await startMock();
  dead = await closedPort();
  const d = (g, up, extra) => tdep(g, up, mock, extra);
  const rd = (g, up, extra) => tdep(g, up, rmock, extra);
  lx = await startLlmux(
    config(
      [
        // every deployment fails the same way: a permutation of all of them is expected
        ...['a', 'b', 'c'].map((t) => d('all500', `mock-status-500@a5${t}`)),
        ...['a', 'b', 'c'].map((t) => d('all503', `mock-status-503@a3${t}`)),
        ...['a', 'b', 'c'].map((t) => d('all429', `mock-status-429@a4${t}`)),
        ...['a', 'b', 'c'].map((t) => rd('allreset', `mock-fault-reset@ar${t}`)),
        ...['a', 'b', 'c'].map((t) => d('allcut', `mock-fault-disconnect@ac${t}`)),
        ...['a', 'b', 'c'].map((t) => d('allbad', `mock-fault-malformed@am${t}`)),
        ...['a', 'b'].map((t) => d('allhang', `mock-fault-hang@ah${t}`, { timeout: 1 })),
        // a failing deployment (weighted to be picked first) and a healthy one
        d('mix500', 'mock-status-500@m5bad', W(1000)),
        d('mix500', 'ok@m5ok', W(1)),
        d('mix429', 'mock-status-429@m4bad', W(1000)),
        d('mix429', 'ok@m4ok', W(1)),
        d('mixhang', 'mock-fault-hang@mhbad', { ...W(1000), timeout: 1 }),
        d('mixhang', 'ok@mhok', W(1)),
        rd('mixreset', 'mock-fault-reset@mrbad', W(1000)),
        d('mixreset', 'ok@mrok', W(1)),
        tdep('mixdead', 'ok@mdbad', `http://127.0.0.1:${dead}/v1`, W(1000)),
        d('mixdead', 'ok@mdok', W(1)),
        // never retried
        ...['a', 'b'].map((t) => d('no400', `mock-status-400@n4${t}`)),
        ...['a', 'b'].map((t) => d('no401', `mock-status-401@n1${t}`)),
        ...['a', 'b'].map((t) => d('no403', `mock-status-403@n3${t}`)),
        ...['a', 'b'].map((t) => d('no404', `mock-status-404@n0${t}`)),
        ...['a', 'b'].map((t) => d('no422', `mock-status-422@n2${t}`)),
        ...['a', 'b'].map((t) => d('nocw', `mock-context-window@nw${t}`)),
        ...['a', 'b'].map((t) => d('nocf', `mock-content-filter@nf${t}`)),
        // num_retries from the body / header
        ...['a', 'b', 'c', 'd', 'e'].map((t) => d('five500', `mock-status-500@f5${t}`)),
        // one deployment: waits
        d('solo429', 'ra@solo429'),
        d('solo500', 'mock-status-500@solo500'),
        d('wait429', 'ra@w4bad', W(1000)),
        d('wait429', 'ok@w4ok', W(1)),
        d('okgroup', 'ok@okg'),
      ],
      { router: { num_retries: 2, disable_cooldowns: true } },
    ),
  );
  const c2 = config(
    [
      ...['a', 'b', 'c', 'd'].map((t) => d('p500', `mock-status-500@p5${t}`)),
      ...['a', 'b', 'c', 'd', 'e'].map((t) => d('p429', `mock-status-429@p4${t}`)),
      ...['a', 'b', 'c'].map((t) => d('p400', `mock-status-400@pb${t}`)),
      ...['a', 'b', 'c'].map((t) => d('p401', `mock-status-401@pu${t}`)),
      ...['a', 'b', 'c'].map((t) => d('pcf', `mock-content-filter@pc${t}`)),
      ...['a', 'b', 'c'].map((t) => d('pcw', `mock-context-window@pw${t}`)),
      ...['a', 'b', 'c'].map((t) => d('phang', `mock-fault-hang@pt${t}`, { timeout: 1 })),
      d('psolo', 'mock-status-503@psolo'),
    ],
    {
      router: {
        disable_cooldowns: true,
        retry_after: 1.5,
        retry_policy: {
          RateLimitErrorRetries: 3,
          BadRequestErrorRetries: 1,
          AuthenticationErrorRetries: 1,
          TimeoutErrorRetries: 1,
          ContentPolicyViolationErrorRetries: 1,
        },
      },
    },
  );
  delete c2.litellm_settings.num_retries; // the default (2) applies to the classes without a policy
  lx2 = await startLlmux(c2);
  lx3 = await startLlmux(
    config(
      ['a', 'b', 'c', 'd'].map((t) => d('q500', `mock-status-500@q5${t}`)),
      { router: { disable_cooldowns: true, num_retries: 2, retry_policy: { InternalServerErrorRetries: 0 } } },
    ),
  );
  lx4 = await startLlmux(
    config([d('rto', 'mock-latency-6000@rto'), d('rto2', 'mock-latency-1800@rto2')], { router: { num_retries: 0, timeout: 3, stream_timeout: 1 } }),
  );
});

after(cleanup);

/**
 * One chat request to `group`; returns {r, tags, log} from the main mock and
 * rtags from rmock; all: rmock's tags then the main mock's (rmock deployments
 * only ever fail, so they always come first).
 */
async function call(l, group, { body = {}, headers = {}, timeout = 30000 } = {}) {
  const outer = await tried(rmock, () => tried(mock, () => l.chat(group, { body, headers, timeout })));
  const { res, tags, log } = outer.res;
  return { r: res, tags, log, rtags: outer.tags, all: [...outer.tags, ...tags] };
}

function retriesOf(r) {
  return Number(r.headers['x-litellm-attempted-retries']);
}

function assertDistinct(tags, what) {
  assert.equal(new Set(tags).size, tags.length, `${what}: a deployment was tried twice while another was untried: ${tags}`);
}

/**
 * Calls `group` (a failing deployment weighted 1000, a healthy one weighted 1)
 * until the failing one was tried first (at most 6 calls); every call must be
 * [bad, ok] or [ok], and answered 200 by ok.
 */
async function badThenOk(l, group, bad, ok) {
  for (let i = 0; i < 6; i++) {
    const { r, all: tags } = await call(l, group);
    assert.equal(r.status, 200, `${group}: ${r.text}`);
    assert.equal(r.headers['x-litellm-model-id'], ok, 'the healthy deployment answered');
    if (tags[0] === ok) {
      assert.deepEqual(tags, [ok]);
      assert.equal(retriesOf(r), 0);
      continue;
    }
    assert.deepEqual(tags, [bad, ok], `${group}: the retry went to the other deployment at once`);
    assert.equal(retriesOf(r), 1, 'x-litellm-attempted-retries');
    return r;
  }
  assert.fail(`${group}: the failing deployment (weight 1000 of 1001) was never picked first`);
}

describe('retried classes land on another deployment first', () => {
  for (const [group, status] of [
    ['all500', 500],
    ['all503', 503],
    ['all429', 429],
  ]) {
    test(`${status}: num_retries 2 → three different deployments, then the error`, async () => {
      const { r, tags, log } = await call(lx, group);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.equal(tags.length, 3, `1 + 2 retries: ${tags}`);
      assertDistinct(tags, group);
      assert.ok(log.every((e) => e.status === status));
      assert.equal(r.headers['x-litellm-attempted-retries'], '2');
      assert.equal(r.headers['x-litellm-max-retries'], '2');
      assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
    });
  }

  test('connection reset: retried on the other deployments (APIConnection)', async () => {
    const { r, rtags: tags } = await call(lx, 'allreset');
    assert.ok(r.status >= 500, `status ${r.status}`);
    assert.equal(envelopeProblem(r.json, r.status), null, r.text);
    assert.equal(tags.length, 3, `${tags}`);
    assertDistinct(tags, 'allreset');
    assert.equal(r.headers['x-litellm-attempted-retries'], '2');
  });

  test('an answer cut in half / not JSON: retried (InternalServer)', async () => {
    for (const g of ['allcut', 'allbad']) {
      const { r, tags } = await call(lx, g);
      assert.ok(r.status >= 500, `${g}: status ${r.status}`);
      assert.equal(tags.length, 3, `${g}: ${tags}`);
      assertDistinct(tags, g);
    }
  });

  test('timeout: retried on the other deployment (body num_retries 1)', async () => {
    const t0 = Date.now();
    const { r, tags } = await call(lx, 'allhang', { body: { num_retries: 1 } });
    assert.equal(r.status, 408, r.text);
    assert.equal(envelopeProblem(r.json, 408), null, r.text);
    assert.equal(tags.length, 2, `${tags}`);
    assertDistinct(tags, 'allhang');
    assert.equal(r.headers['x-litellm-attempted-retries'], '1');
    assert.ok(Date.now() - t0 >= 1900, 'each attempt waited its 1 s timeout');
  });

  test('failing then healthy: 500, 429, timeout, reset, connection refused → 200 from the healthy one', async () => {
    await badThenOk(lx, 'mix500', 'm5bad', 'm5ok');
    await badThenOk(lx, 'mix429', 'm4bad', 'm4ok');
    await badThenOk(lx, 'mixhang', 'mhbad', 'mhok');
    await badThenOk(lx, 'mixreset', 'mrbad', 'mrok');
    // a refused connection leaves no trace at the mock: the headers tell
    let sawRetry = false;
    for (let i = 0; i < 6 && !sawRetry; i++) {
      const { r, tags } = await call(lx, 'mixdead');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(tags, ['mdok']);
      assert.equal(r.headers['x-litellm-model-id'], 'mdok');
      sawRetry = retriesOf(r) === 1;
    }
    assert.ok(sawRetry, 'the refused deployment (weight 1000) was tried first at least once, then retried');
  });
});

describe('never retried', () => {
  for (const [group, status] of [
    ['no400', 400],
    ['no401', 401],
    ['no403', 403],
    ['no404', 404],
    ['no422', 422],
    ['nocw', 400],
    ['nocf', 400],
  ]) {
    test(`${group}: one attempt, upstream status ${status} passed on`, async () => {
      const { r, tags } = await call(lx, group);
      assert.equal(r.status, status, r.text);
      assert.equal(envelopeProblem(r.json, status), null, r.text);
      assert.equal(tags.length, 1, `no retry: ${tags}`);
      assert.equal(r.headers['x-litellm-attempted-retries'], '0');
    });
  }
});

describe('how many retries', () => {
  test('router_settings.num_retries, body num_retries, header x-litellm-num-retries', async () => {
    let x = await call(lx, 'five500');
    assert.equal(x.tags.length, 3, `config num_retries 2: ${x.tags}`);
    x = await call(lx, 'five500', { body: { num_retries: 4 } });
    assert.equal(x.tags.length, 5, `body num_retries 4: ${x.tags}`);
    assertDistinct(x.tags, 'five500');
    assert.equal(x.r.headers['x-litellm-attempted-retries'], '4');
    assert.equal(x.r.headers['x-litellm-max-retries'], '4');
    x = await call(lx, 'five500', { headers: { 'x-litellm-num-retries': '1' } });
    assert.equal(x.tags.length, 2, `header num_retries 1: ${x.tags}`);
    assert.equal(x.r.headers['x-litellm-attempted-retries'], '1');
    x = await call(lx, 'five500', { body: { num_retries: 0 } });
    assert.equal(x.tags.length, 1, `body num_retries 0: ${x.tags}`);
    assert.equal(x.r.headers['x-litellm-attempted-retries'], '0');
  });

  test('num_retries unset everywhere: 2', async () => {
    const { r, tags } = await call(lx2, 'p500');
    assert.equal(r.status, 500);
    assert.equal(tags.length, 3, `${tags}`);
    assertDistinct(tags, 'p500');
    assert.equal(r.headers['x-litellm-attempted-retries'], '2');
  });

  test('retry_policy per class', async () => {
    const expect = [
      ['p429', 429, 4, 'RateLimitErrorRetries 3'],
      ['p400', 400, 2, 'BadRequestErrorRetries 1'],
      ['p401', 401, 2, 'AuthenticationErrorRetries 1'],
      ['pcf', 400, 2, 'ContentPolicyViolationErrorRetries 1'],
      ['pcw', 400, 1, 'context window errors are never retried'],
      ['phang', 408, 2, 'TimeoutErrorRetries 1'],
    ];
    for (const [g, status, attempts, why] of expect) {
      const { r, tags } = await call(lx2, g);
      assert.equal(r.status, status, `${g}: ${r.text}`);
      assert.equal(tags.length, attempts, `${g} (${why}): ${tags}`);
      assertDistinct(tags, g);
      assert.equal(retriesOf(r), attempts - 1, `${g}: x-litellm-attempted-retries`);
    }
    const { r, tags } = await call(lx3, 'q500');
    assert.equal(r.status, 500);
    assert.equal(tags.length, 1, `InternalServerErrorRetries 0: ${tags}`);
    assert.equal(r.headers['x-litellm-attempted-retries'], '0');
  });

  test('retry_policy wins over the request num_retries', async () => {
    let x = await call(lx3, 'q500', { body: { num_retries: 3 } });
    assert.equal(x.tags.length, 1, `InternalServerErrorRetries 0: ${x.tags}`);
    x = await call(lx2, 'p429', { body: { num_retries: 0 } });
    assert.equal(x.tags.length, 4, `RateLimitErrorRetries 3: ${x.tags}`);
  });
});

describe('waits between retries', () => {
  test('one deployment: the second attempt comes at least retry-after (2 s) later', async () => {
    await mock.fail({ model: 'ra@solo429', status: 429, retry_after: 2 });
    try {
      const { r, log } = await call(lx, 'solo429', { body: { num_retries: 1 } });
      assert.equal(r.status, 429, r.text);
      assert.deepEqual(log.map((e) => e.tag), ['solo429', 'solo429']);
      const gap = log[1].t_ms - log[0].t_ms;
      assert.ok(gap >= 1950, `retry-after 2 honoured: the retry came ${gap.toFixed(0)} ms later`);
    } finally {
      await mock.unfail('ra@solo429');
    }
  });

  test('one deployment, no retry-after: exponential backoff (~0.5 s, then ~1 s, ±25%)', async () => {
    const { r, log } = await call(lx, 'solo500');
    assert.equal(r.status, 500);
    assert.equal(log.length, 3, JSON.stringify(log.map((e) => e.tag)));
    const g1 = log[1].t_ms - log[0].t_ms;
    const g2 = log[2].t_ms - log[1].t_ms;
    assert.ok(g1 >= 350, `first wait ${g1.toFixed(0)} ms >= 0.5 s - 25%`);
    assert.ok(g2 >= 700, `second wait ${g2.toFixed(0)} ms >= 1 s - 25%`);
  });

  test('router_settings.retry_after: at least that long between retries of one deployment', async () => {
    const { r, log } = await call(lx2, 'psolo', { body: { num_retries: 1 } });
    assert.equal(r.status, 503);
    assert.equal(log.length, 2);
    const gap = log[1].t_ms - log[0].t_ms;
    assert.ok(gap >= 1450, `retry_after 1.5: the retry came ${gap.toFixed(0)} ms later`);
  });

  test('no wait when an untried deployment is left, even with a long retry-after', async () => {
    await mock.fail({ model: 'ra@w4bad', status: 429, retry_after: 5 });
    try {
      const t0 = Date.now();
      await badThenOk(lx, 'wait429', 'w4bad', 'w4ok');
      assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms: the retry-after of 5 s was waited out`);
    } finally {
      await mock.unfail('ra@w4bad');
    }
  });
});

describe('headers', () => {
  test('a plain success: model id, group, zero retries and fallbacks', async () => {
    const { r, tags } = await call(lx, 'okgroup');
    assert.equal(r.status, 200);
    assert.deepEqual(tags, ['okg']);
    assert.equal(r.headers['x-litellm-model-id'], 'okg');
    assert.equal(r.headers['x-litellm-model-group'], 'okgroup');
    assert.equal(r.headers['x-litellm-attempted-retries'], '0');
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
    assert.equal(r.headers['x-litellm-max-retries'], '2');
    assert.ok(r.headers['x-litellm-max-fallbacks'] !== undefined, 'x-litellm-max-fallbacks present');
  });
});


describe('router_settings timeouts', () => {
  test('timeout: a deployment without its own timeout gets the router one', async () => {
    const t0 = Date.now();
    const slow = await lx4.chat('rto', { timeout: 30000 });
    const took = Date.now() - t0;
    assert.equal(slow.status, 408, slow.text);
    assert.equal(envelopeProblem(slow.json, 408), null, slow.text);
    assert.ok(took >= 2900, `waited the 3 s timeout (${took} ms)`);
    const ok = await lx4.chat('rto2', { timeout: 30000 });
    assert.equal(ok.status, 200, `1.8 s is within the 3 s timeout: ${ok.text}`);
  });

  test('stream_timeout: a stream gets no first byte within 1 s → 408, not the 3 s timeout', async () => {
    const t0 = Date.now();
    const r = await streamRequest(lx4.url('/v1/chat/completions'), {
      body: { model: 'rto2', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      timeout: 30000,
    });
    const took = Date.now() - t0;
    assert.equal(r.status, 408, r.text);
    assert.equal(envelopeProblem(JSON.parse(r.text), 408), null, r.text);
    assert.ok(took >= 900 && took < 1750, `cut by stream_timeout 1 s before the 1.8 s answer (${took} ms)`);
  });
});
