// Routing strategies (notes/router-spec.md "Strategies", COMPAT §3.2), checked
// statistically over bounded runs: simple-shuffle weights (weight, rpm, tpm,
// uniform) within a 5-sigma binomial band and spread smoothly; order tiers;
// model_group_alias; enable_pre_call_checks (max_input_tokens, rpm);
// least-busy and latency-based-routing under skewed load (ttl and
// lowest_latency_buffer too); usage-based-routing(-v2) rpm/tpm caps; and
// cost-based-routing (cheapest unless it is cooling). Which deployment served
// a call comes from x-litellm-model-id (= the tag of its upstream name) and the
// mock's request log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { binomialBand, cleanup, closedLoop, config, envelopeProblem, sameMinute, sleep, startLlmux, startMock, tdep, tried } from '../lib/harness.mjs';

let mock;
const started = {};

before(async () => {
  mock = await startMock({ workers: 2 });
});

after(cleanup);

const d = (g, up, extra) => tdep(g, up, mock, extra);

/** Starts (once) the llmux of one strategy test group. */
async function llmux(name, models, router) {
  if (!started[name]) started[name] = await startLlmux(config(models, { router }));
  return started[name];
}

/** n calls to `group`, `conc` at a time; returns {counts: {id: n}, ids: [id in order of completion]}. */
async function spread(l, group, n, { conc = 20, body } = {}) {
  const counts = {};
  const ids = [];
  for (let i = 0; i < n; i += conc) {
    const rs = await Promise.all(Array.from({ length: Math.min(conc, n - i) }, () => l.chat(group, { body })));
    for (const r of rs) {
      assert.equal(r.status, 200, r.text);
      const id = r.headers['x-litellm-model-id'];
      counts[id] = (counts[id] ?? 0) + 1;
      ids.push(id);
    }
  }
  return { counts, ids };
}

function assertShare(counts, id, n, p, what) {
  const got = counts[id] ?? 0;
  const band = binomialBand(n, p, 5);
  assert.ok(Math.abs(got - n * p) <= band, `${what}: ${id} got ${got} of ${n}, expected ${n * p} ± ${band.toFixed(1)}: ${JSON.stringify(counts)}`);
}

describe('simple-shuffle', () => {
  let lx;
  before(async () => {
    lx = await llmux(
      'shuffle',
      [
        d('w31', 'ok@wa', { weight: 3 }),
        d('w31', 'ok@wb', { weight: 1 }),
        d('rpm31', 'ok@ra', { rpm: 30000 }),
        d('rpm31', 'ok@rb', { rpm: 10000 }),
        d('tpm31', 'ok@ta', { tpm: 3000000 }),
        d('tpm31', 'ok@tb', { tpm: 1000000 }),
        d('uni', 'ok@ua'),
        d('uni', 'ok@ub'),
        d('even', 'ok@ea', { weight: 1 }),
        d('even', 'ok@eb', { weight: 1 }),
        d('ord', 'ok@o1', { order: 1 }),
        d('ord', 'ok@o2', { order: 2 }),
        d('ord', 'ok@o3', { order: 3 }),
        d('pc', 'ok@pcsmall', { model_info: { max_input_tokens: 10 } }),
        d('pc', 'ok@pcbig', { model_info: { max_input_tokens: 100000 } }),
      ],
      { num_retries: 2, cooldown_time: 2, model_group_alias: { 'alias-uni': 'uni', 'hidden-uni': { model: 'uni', hidden: true } } },
    );
  });

  test('weights 3:1 over 400 calls', async () => {
    const { counts } = await spread(lx, 'w31', 400);
    assertShare(counts, 'wa', 400, 0.75, 'weight 3:1');
  });

  test('no weight: rpm 3:1, then tpm 3:1, then uniform', async () => {
    assertShare((await spread(lx, 'rpm31', 200)).counts, 'ra', 200, 0.75, 'rpm 3:1');
    assertShare((await spread(lx, 'tpm31', 200)).counts, 'ta', 200, 0.75, 'tpm 3:1');
    assertShare((await spread(lx, 'uni', 200)).counts, 'ua', 200, 0.5, 'uniform');
  });

  test('smooth: with weights 1:1 no window of 8 consecutive calls gives either more than 6', async () => {
    const { log } = await tried(mock, async () => {
      for (let i = 0; i < 160; i++) assert.equal((await lx.chat('even')).status, 200);
    });
    const tags = log.map((e) => e.tag);
    assert.equal(tags.length, 160);
    for (let i = 0; i + 8 <= tags.length; i++) {
      const w = tags.slice(i, i + 8);
      const a = w.filter((t) => t === 'ea').length;
      assert.ok(a <= 6 && a >= 2, `window ${i}..${i + 7}: ${w.join(' ')}`);
    }
  });

  test('order: the lowest order takes everything; the next only when it failed or is cooling', async () => {
    const x = await spread(lx, 'ord', 20);
    assert.deepEqual(x.counts, { o1: 20 });
    await mock.fail({ model: 'ok@o1', status: 500 });
    try {
      await sameMinute(6000);
      const first = await tried(mock, () => lx.chat('ord'));
      assert.equal(first.res.status, 200);
      assert.deepEqual(first.tags, ['o1', 'o2'], 'order 2 only after order 1 was tried');
      // 3 more failures of o1 (allowed_fails 3), then it cools: straight to o2
      const more = await tried(mock, async () => {
        for (let i = 0; i < 8; i++) assert.equal((await lx.chat('ord')).status, 200);
      });
      assert.equal(more.tags.filter((t) => t === 'o1').length, 3, `${more.tags}`);
      assert.ok(!more.tags.includes('o3'), 'order 3 never needed');
      assert.deepEqual(more.tags.slice(-2), ['o2', 'o2'], 'o1 cooling: order 2 directly');
    } finally {
      await mock.unfail('ok@o1');
    }
    await sleep(2300); // cooldown_time 2
    const back = await tried(mock, () => lx.chat('ord'));
    assert.deepEqual(back.tags, ['o1'], 'order 1 again once its cooldown ended');
  });

  test('model_group_alias: an alias routes to its group; a hidden alias is not listed', async () => {
    for (const alias of ['alias-uni', 'hidden-uni']) {
      const r = await lx.chat(alias);
      assert.equal(r.status, 200, r.text);
      assert.ok(['ua', 'ub'].includes(r.headers['x-litellm-model-id']), r.headers['x-litellm-model-id']);
    }
    const ids = (await lx.req('/v1/models')).json.data.map((m) => m.id);
    assert.ok(!ids.includes('hidden-uni'), `hidden alias listed: ${ids}`);
  });

  test('without enable_pre_call_checks a long prompt may go to a small-context deployment', async () => {
    const long = 'word '.repeat(100);
    const { counts } = await spread(lx, 'pc', 20, { body: { messages: [{ role: 'user', content: long }] } });
    assert.ok((counts.pcsmall ?? 0) >= 1, JSON.stringify(counts));
  });
});

describe('enable_pre_call_checks', () => {
  let lx;
  before(async () => {
    lx = await llmux(
      'precall',
      [
        d('pc', 'ok@pcsmall2', { model_info: { max_input_tokens: 10 } }),
        d('pc', 'ok@pcbig2', { model_info: { max_input_tokens: 100000 } }),
        d('prpm', 'ok@pr1', { rpm: 2, weight: 1 }),
        d('prpm', 'ok@pr2', { rpm: 100000, weight: 1 }),
      ],
      { enable_pre_call_checks: true },
    );
  });

  test('max_input_tokens: a prompt too long for a deployment skips it', async () => {
    const long = 'word '.repeat(100); // ~125 tokens at 4 characters a token
    const big = await spread(lx, 'pc', 20, { body: { messages: [{ role: 'user', content: long }] } });
    assert.deepEqual(big.counts, { pcbig2: 20 });
    const small = await spread(lx, 'pc', 20, { body: { messages: [{ role: 'user', content: 'hi' }] } });
    assert.ok((small.counts.pcsmall2 ?? 0) >= 2, `a short prompt may use either: ${JSON.stringify(small.counts)}`);
  });

  test('rpm used up: skipped for the rest of the minute', async () => {
    await sameMinute(5000);
    const { counts } = await spread(lx, 'prpm', 24, { conc: 1 });
    assert.ok((counts.pr1 ?? 0) <= 2, `rpm 2: ${JSON.stringify(counts)}`);
    assert.ok((counts.pr1 ?? 0) >= 1, `weights 1:1 pick it at first: ${JSON.stringify(counts)}`);
  });
});

describe('least-busy', () => {
  test('under concurrent load the fast deployment (fewer in flight) takes most calls', async () => {
    const lx = await llmux('least', [d('lb', 'mock-latency-300@lbslow'), d('lb', 'ok@lbfast')], { routing_strategy: 'least-busy' });
    const counts = {};
    await closedLoop(8, 3000, async () => {
      const r = await lx.chat('lb');
      assert.equal(r.status, 200, r.text);
      const id = r.headers['x-litellm-model-id'];
      counts[id] = (counts[id] ?? 0) + 1;
    });
    const n = (counts.lbfast ?? 0) + (counts.lbslow ?? 0);
    assert.ok(counts.lbfast >= 0.8 * n, `fast ${counts.lbfast} of ${n}: ${JSON.stringify(counts)}`);
    // one at a time nothing is in flight: ties are random, both get calls
    const seq = await spread(lx, 'lb', 16, { conc: 1 });
    assert.ok((seq.counts.lbslow ?? 0) >= 1 && (seq.counts.lbfast ?? 0) >= 1, JSON.stringify(seq.counts));
  });
});

describe('latency-based-routing', () => {
  test('after a warm-up the fast deployment takes at least 80%', async () => {
    const lx = await llmux('latency', [d('lat', 'mock-latency-150@latslow'), d('lat', 'ok@latfast')], { routing_strategy: 'latency-based-routing' });
    const warm = await spread(lx, 'lat', 10, { conc: 1 });
    assert.ok((warm.counts.latslow ?? 0) >= 1, `no samples counts as fastest: both tried in the warm-up: ${JSON.stringify(warm.counts)}`);
    const { counts } = await spread(lx, 'lat', 40, { conc: 1 });
    assert.ok((counts.latfast ?? 0) >= 32, JSON.stringify(counts));
  });

  test('lowest_latency_buffer: deployments within (1 + buffer) × best share the calls', async () => {
    const lx = await llmux('latbuf', [d('latb', 'mock-latency-40@lb40'), d('latb', 'mock-latency-60@lb60')], {
      routing_strategy: 'latency-based-routing',
      routing_strategy_args: { lowest_latency_buffer: 1 },
    });
    await spread(lx, 'latb', 10, { conc: 1 });
    const { counts } = await spread(lx, 'latb', 40, { conc: 1 });
    assert.ok((counts.lb60 ?? 0) >= 6 && (counts.lb40 ?? 0) >= 6, `both within the buffer: ${JSON.stringify(counts)}`);
  });

  test('ttl: samples older than ttl are forgotten, so traffic follows a change in latency', async () => {
    const lx = await llmux('latttl', [d('latt', 'mock-latency-150@ttslow'), d('latt', 'ok@ttfast')], {
      routing_strategy: 'latency-based-routing',
      routing_strategy_args: { ttl: 1 },
    });
    const warm = await spread(lx, 'latt', 20, { conc: 1 });
    assert.ok((warm.counts.ttfast ?? 0) >= 10, JSON.stringify(warm.counts));
    await mock.fail({ model: 'ok@ttfast', latency_ms: 400 });
    try {
      const ids = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 5000) {
        const r = await lx.chat('latt');
        assert.equal(r.status, 200);
        ids.push([Date.now() - t0, r.headers['x-litellm-model-id']]);
      }
      const late = ids.filter(([t]) => t >= 2500).map(([, id]) => id);
      const slow = late.filter((id) => id === 'ttslow').length;
      // (an expired deployment counts as fastest again, so the other is re-probed about once a ttl;
      // with the default ttl the 400 ms one would keep every call for several seconds)
      assert.ok(late.length >= 4 && slow >= 0.6 * late.length, `after 2.5 s the formerly slow one leads: ${JSON.stringify(ids)}`);
    } finally {
      await mock.unfail('ok@ttfast');
    }
  });
});

describe('usage-based-routing', () => {
  for (const strategy of ['usage-based-routing-v2', 'usage-based-routing']) {
    test(`${strategy}: rpm caps, then 429 "No deployments available" when every deployment is full`, async () => {
      const lx = await llmux(strategy, [d('u', 'ok@u1', { rpm: 5 }), d('u', 'ok@u2', { rpm: 100000 }), d('ucap', 'ok@uc1', { rpm: 3 }), d('ucap', 'ok@uc2', { rpm: 3 })], {
        routing_strategy: strategy,
      });
      await sameMinute(6000);
      const { counts } = await spread(lx, 'u', 30, { conc: 1 });
      assert.ok((counts.u1 ?? 0) >= 1 && counts.u1 <= 5, `rpm 5: ${JSON.stringify(counts)}`);
      const six = await spread(lx, 'ucap', 6, { conc: 1 });
      assert.deepEqual(six.counts, { uc1: 3, uc2: 3 });
      const { res: r, tags } = await tried(mock, () => lx.chat('ucap'));
      assert.equal(r.status, 429, r.text);
      assert.equal(envelopeProblem(r.json, 429), null, r.text);
      assert.match(r.json.error.message, /No deployments available/);
      assert.deepEqual(tags, [], 'no upstream call');
    });
  }

  test('usage-based-routing-v2: lowest tpm used first (balanced), tpm caps', async () => {
    const lx = await llmux('usage-tpm', [d('ubal', 'ok@ub1'), d('ubal', 'ok@ub2'), d('ut', 'ok@ut1', { tpm: 100 }), d('ut', 'ok@ut2', { tpm: 10000000 })], {
      routing_strategy: 'usage-based-routing-v2',
    });
    await sameMinute(6000);
    const bal = await spread(lx, 'ubal', 40, { conc: 1 });
    assert.ok(Math.abs((bal.counts.ub1 ?? 0) - 20) <= 4, `equal calls, equal tokens: ${JSON.stringify(bal.counts)}`);
    // each call uses 19 tokens (3 prompt + 16 completion): tpm 100 is full after 6
    const { counts } = await spread(lx, 'ut', 30, { conc: 1 });
    assert.ok((counts.ut1 ?? 0) >= 1 && counts.ut1 <= 6, `tpm 100: ${JSON.stringify(counts)}`);
  });
});

describe('cost-based-routing', () => {
  test('the cheapest deployment wins while healthy; the other while it cools', async () => {
    const lx = await llmux(
      'cost',
      [
        d('cb', 'ok@cheap', { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }),
        d('cb', 'ok@pricey', { input_cost_per_token: 0.00001, output_cost_per_token: 0.00002 }),
        d('cbi', 'ok@cheapi', { model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } }),
        d('cbi', 'ok@priceyi', { model_info: { input_cost_per_token: 0.00001, output_cost_per_token: 0.00002 } }),
      ],
      { routing_strategy: 'cost-based-routing', allowed_fails: 0, cooldown_time: 2, num_retries: 1 },
    );
    assert.deepEqual((await spread(lx, 'cb', 20)).counts, { cheap: 20 });
    assert.deepEqual((await spread(lx, 'cbi', 20)).counts, { cheapi: 20 }, 'prices from model_info');
    await mock.fail({ model: 'ok@cheap', status: 500 });
    try {
      const first = await tried(mock, () => lx.chat('cb'));
      assert.equal(first.res.status, 200);
      assert.deepEqual(first.tags, ['cheap', 'pricey']);
      const rest = await spread(lx, 'cb', 10, { conc: 1 });
      assert.deepEqual(rest.counts, { pricey: 10 }, 'the cheapest is cooling');
    } finally {
      await mock.unfail('ok@cheap');
    }
    await sleep(2300);
    assert.deepEqual((await spread(lx, 'cb', 5, { conc: 1 })).counts, { cheap: 5 }, 'cheapest again after its cooldown');
  });
});
