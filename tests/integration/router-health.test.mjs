// Background health checks (notes/router-spec.md "Background health checks",
// COMPAT §2.5): general_settings.background_health_checks with
// health_check_interval makes one real call per deployment every interval; a
// deployment whose check fails leaves every pick (no client call fails or is
// retried because of it) and GET /health reports it unhealthy; when its check
// passes again it takes calls again. The mock's /mock/fail rule makes one
// deployment's upstream fail and recover at run time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, sleep, startLlmux, startMock, tdep, waitFor } from '../lib/harness.mjs';

let mock;
let lx;

before(async () => {
  mock = await startMock();
  lx = await startLlmux(
    config([tdep('hb', 'ok@hb1', mock), tdep('hb', 'ok@hb2', mock), tdep('hsolo', 'ok@hs', mock)], {
      general: { background_health_checks: true, health_check_interval: 1 },
      router: { num_retries: 1 },
    }),
  );
});

after(async () => {
  await mock?.unfail().catch(() => {});
  await cleanup();
});

const HB1 = 'ok@hb1';

async function health() {
  const r = await lx.req('/health', { timeout: 10000 });
  assert.equal(r.status, 200, r.text);
  const has = (list, tag) => (list ?? []).some((e) => String(e.model).endsWith(`@${tag}`));
  return { json: r.json, healthy: (t) => has(r.json.healthy_endpoints, t), unhealthy: (t) => has(r.json.unhealthy_endpoints, t) };
}

describe('background health checks', () => {
  test('one call per deployment every health_check_interval; /health answers from them', async () => {
    await waitFor(async () => (await health()).json.healthy_count === 3, { timeout: 5000, what: 'three healthy deployments' });
    const since = await mock.mark();
    await sleep(3200);
    const log = await mock.log({ since });
    for (const t of ['hb1', 'hb2', 'hs']) {
      const n = log.filter((e) => e.tag === t).length;
      assert.ok(n >= 2 && n <= 5, `${t}: ${n} health calls in 3.2 s at interval 1 s`);
    }
    const t0 = Date.now();
    const h = await health();
    assert.ok(h.healthy('hb1') && h.healthy('hb2') && h.healthy('hs'), JSON.stringify(h.json));
    assert.ok(Date.now() - t0 < 1000, 'answered from the latest round');
  });

  test('a failing check takes the deployment out of every pick; no client call sees it', async () => {
    await mock.fail({ model: HB1, status: 500 });
    await waitFor(async () => (await health()).unhealthy('hb1'), { timeout: 6000, what: '/health shows hb1 unhealthy' });
    const h = await health();
    assert.ok(h.healthy('hb2'), JSON.stringify(h.json));
    for (let i = 0; i < 20; i++) {
      const r = await lx.chat('hb');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-litellm-model-id'], 'hb2', `call ${i} went to hb2`);
      assert.equal(r.headers['x-litellm-attempted-retries'], '0', `call ${i} was never tried on hb1`);
    }
  });

  test('when its check passes again it takes calls again', async () => {
    await mock.unfail(HB1);
    await waitFor(async () => (await health()).healthy('hb1'), { timeout: 6000, what: '/health shows hb1 healthy again' });
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const r = await lx.chat('hb');
      assert.equal(r.status, 200, r.text);
      ids.push(r.headers['x-litellm-model-id']);
    }
    assert.ok(ids.includes('hb1'), `hb1 serves again: ${ids}`);
  });
});
