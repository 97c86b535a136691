// SIGHUP reloads the config under traffic: no request fails while the config
// changes, the new groups work afterwards, and an invalid config keeps the
// old one (and says why).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkPassed, cleanup, config, dep, mockCtl, sleep, startLlmux, startMock, streamRequest, toYaml, waitFor } from '../lib/harness.mjs';

let mock;
let lx;

function cfgA() {
  return config([dep('alpha', 'alpha-v1', mock), dep('keep', 'keep-up', mock)]);
}

function cfgB() {
  return config([
    dep('alpha', 'alpha-v2', mock, { model_info: { id: 'alpha-2' } }),
    dep('keep', 'keep-up', mock),
    dep('beta', 'beta-up', mock),
  ]);
}

before(async () => {
  mock = await startMock();
  lx = await startLlmux(cfgA());
});

after(cleanup);

/** Sends `keep` requests in a loop (2 in parallel) until stop(); returns the statuses seen. */
function trafficLoop() {
  let stopped = false;
  const statuses = [];
  const failures = [];
  const worker = async () => {
    while (!stopped) {
      try {
        const r = await lx.chat('keep');
        statuses.push(r.status);
        if (r.status !== 200) failures.push(`${r.status} ${r.text.slice(0, 200)}`);
      } catch (e) {
        failures.push(`exception: ${e.message}`);
      }
    }
  };
  const running = Promise.all([worker(), worker()]);
  return {
    statuses,
    failures,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

async function upstreamModelFor(group) {
  const r = await lx.chat(group);
  if (r.status !== 200) return { status: r.status, text: r.text };
  return { status: 200, model: (await mock.last()).body.model, id: r.headers['x-litellm-model-id'] };
}

describe('SIGHUP reload', () => {
  test('a changed model group takes effect; traffic never fails', async () => {
    assert.equal((await upstreamModelFor('alpha')).model, 'alpha-v1');
    assert.equal((await lx.chat('beta')).status, 400, 'beta does not exist yet');

    const traffic = trafficLoop();
    try {
      await sleep(200);
      const from = lx.reload(cfgB());
      await waitFor(async () => (await lx.chat('beta')).status === 200, { timeout: 5000, what: 'beta works after the reload' });
      await lx.proc.waitOutput(/reload/i, { from, timeout: 5000 });
      await sleep(200);
    } finally {
      await traffic.stop();
    }
    assert.deepEqual(traffic.failures, [], 'no request failed during the reload');
    assert.ok(traffic.statuses.length >= 4, `the loop kept sending (${traffic.statuses.length} requests)`);

    // The changed group now points at the new upstream model, for every worker.
    for (let i = 0; i < 6; i++) {
      const a = await upstreamModelFor('alpha');
      assert.equal(a.model, 'alpha-v2', `alpha now goes to alpha-v2 (${JSON.stringify(a)})`);
      assert.equal(a.id, 'alpha-2');
    }
    const b = await upstreamModelFor('beta');
    assert.equal(b.model, 'beta-up');
    const models = await lx.req('/v1/models');
    assert.deepEqual(models.json.data.map((m) => m.id).sort(), ['alpha', 'beta', 'keep']);
  });

  test('an invalid config keeps the old one, logs why, and traffic never fails', async () => {
    const traffic = trafficLoop();
    let from;
    try {
      await sleep(100);
      // a deployment without litellm_params.model, plus a YAML that still parses
      from = lx.reload(toYaml({ model_list: [{ model_name: 'broken', litellm_params: { api_key: 'x' } }], general_settings: { master_key: 'sk-test' } }));
      await lx.proc.waitOutput(/error/i, { from, timeout: 5000 });
      await sleep(300);
      // and a file that is not YAML at all
      from = lx.reload('model_list: [\n  {model_name: "x",\n    litellm_params: {model: [}\n');
      await lx.proc.waitOutput(/error/i, { from, timeout: 5000 });
      await sleep(300);
    } finally {
      await traffic.stop();
    }
    assert.deepEqual(traffic.failures, []);
    assert.ok(lx.proc.running, 'llmux is still running');
    // the previous config (from the first test) still serves
    assert.equal((await upstreamModelFor('beta')).model, 'beta-up');
    assert.equal((await upstreamModelFor('alpha')).model, 'alpha-v2');
    assert.equal((await lx.chat('broken')).status, 400, 'nothing of the rejected config was applied');
  });

  test('a reload that removes a group: it answers 400 afterwards, others unaffected', async () => {
    lx.reload(cfgA());
    await waitFor(async () => (await lx.chat('beta')).status === 400, { timeout: 5000, what: 'beta gone after the reload' });
    assert.equal((await upstreamModelFor('alpha')).model, 'alpha-v1');
    assert.equal((await lx.chat('keep')).status, 200);
  });

  test('a stream in flight during a reload completes on the old config', async () => {
    const p = streamRequest(lx.url('/v1/chat/completions'), {
      body: { model: 'alpha', messages: [{ role: 'user', content: 'x' }], stream: true },
      headers: mockCtl({ chunks: 20, 'interval-ms': 50 }),
    });
    p.catch(() => {});
    await sleep(200);
    lx.reload(cfgB());
    const r = await p;
    await checkPassed(mock, { chunks: 20, 'interval-ms': 50 });
    assert.equal(r.status, 200);
    assert.ok(r.done, 'the stream finished with [DONE]');
    assert.ok(r.json.length >= 20, `all chunks arrived (${r.json.length})`);
    await waitFor(async () => (await lx.chat('beta')).status === 200, { timeout: 5000, what: 'new config active' });
  });
});
