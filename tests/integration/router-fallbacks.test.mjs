// Router fallbacks (notes/router-spec.md "Fallbacks", COMPAT §3.3, §3.4):
// fallbacks / default_fallbacks / context_window_fallbacks /
// content_policy_fallbacks by error class, the request's own fallbacks (list
// and {model, messages} form), max_fallbacks, a fallback group's own retries,
// fallbacks when every deployment of the group is cooling, and the test hooks
// mock_testing_fallbacks, mock_testing_rate_limit_error, mock_timeout and
// mock_response. The deployments tried come from the mock's request log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, config, envelopeProblem, startLlmux, startMock, streamRequest, tdep, tried } from '../lib/harness.mjs';

let mock;
let lx; // num_retries 0, cooldowns off
let lxM; // max_fallbacks 2; no default_fallbacks
let lxC; // cooldowns on (allowed_fails 0); default_fallbacks in router_settings

before(async () => {
  mock = await startMock();
  const d = (g, up, extra) => tdep(g, up, mock, extra);
  lx = await startLlmux(
    config(
      [
        d('g1', 'mock-status-500@g1a'),
        d('g2', 'mock-status-500@g2a'),
        d('g3', 'ok@g3a'),
        d('other', 'ok@othera'),
        d('r1', 'mock-status-500@r1a'),
        d('r1', 'mock-status-500@r1b'),
        d('r2', 'mock-status-503@r2a'),
        d('r2', 'mock-status-503@r2b'),
        d('r3', 'ok@r3a'),
        d('d1', 'mock-status-500@d1a'),
        d('dfb', 'ok@dfa'),
        d('cw', 'mock-context-window@cwa'),
        d('cwbig', 'ok@cwbiga'),
        d('cp', 'mock-content-filter@cpa'),
        d('cpalt', 'ok@cpalta'),
        d('br', 'mock-status-400@bra'),
        d('au', 'mock-status-401@aua'),
        d('nf', 'mock-status-404@nfa'),
        d('rl', 'mock-status-429@rla'),
        d('tm', 'mock-fault-hang@tma', { timeout: 1 }),
        d('mt', 'ok@mta'),
        d('mr', 'ok@mra'),
        d('mrf', 'ok@mrfa'),
        d('mresp', 'ok@mrespa'),
      ],
      {
        // litellm_settings.fallbacks is overridden by router_settings.fallbacks;
        // default_fallbacks only exists here and is used
        litellm: { fallbacks: [{ g1: ['other'] }], default_fallbacks: ['dfb'] },
        router: {
          num_retries: 0,
          disable_cooldowns: true,
          fallbacks: [
            { g1: ['g2', 'g3'] },
            { r1: ['r2', 'r3'] },
            { cw: ['other'] },
            { cp: ['other'] },
            { br: ['other'] },
            { au: ['other'] },
            { nf: ['other'] },
            { rl: ['other'] },
            { tm: ['other'] },
            { mt: ['other'] },
            { mrf: ['other'] },
          ],
          context_window_fallbacks: [{ cw: ['cwbig'] }],
          content_policy_fallbacks: [{ cp: ['cpalt'] }],
        },
      },
    ),
  );
  lxM = await startLlmux(
    config(
      [d('m', 'mock-status-500@ma'), d('m1', 'mock-status-500@m1a'), d('m2', 'mock-status-500@m2a'), d('m3', 'ok@m3a'), d('mr0', 'ok@mr0a'), d('mto', 'ok@mtoa', { timeout: 1 })],
      { router: { num_retries: 0, max_fallbacks: 2, fallbacks: [{ m: ['m1', 'm2', 'm3'] }] } },
    ),
  );
  lxC = await startLlmux(
    config([d('cg', 'mock-status-500@cga'), d('cg', 'mock-status-500@cgb'), d('cgh', 'ok@cgha'), d('dd', 'mock-status-500@dda')], {
      litellm: { default_fallbacks: ['g3'] }, // overridden by router_settings.default_fallbacks
      router: { num_retries: 1, allowed_fails: 0, cooldown_time: 30, fallbacks: [{ cg: ['cgh'] }], default_fallbacks: ['cgh'] },
    }),
  );
});

after(cleanup);

async function call(l, group, { body = {}, headers = {}, timeout = 30000 } = {}) {
  const { res, tags, log } = await tried(mock, () => l.chat(group, { body, headers, timeout }));
  return { r: res, tags, log };
}

describe('fallbacks by error class', () => {
  test('fallbacks: in order until one answers; router_settings wins over litellm_settings', async () => {
    const { r, tags } = await call(lx, 'g1');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['g1a', 'g2a', 'g3a']);
    assert.equal(r.headers['x-litellm-model-id'], 'g3a');
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
  });

  test('each fallback group gets its own retries', async () => {
    const { r, tags } = await call(lx, 'r1', { body: { num_retries: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(tags.length, 5, `${tags}`);
    assert.deepEqual(tags.slice(0, 2).sort(), ['r1a', 'r1b']);
    assert.deepEqual(tags.slice(2, 4).sort(), ['r2a', 'r2b']);
    assert.equal(tags[4], 'r3a');
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
  });

  test('default_fallbacks when the group has no fallbacks of its own', async () => {
    const { r, tags } = await call(lx, 'd1');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['d1a', 'dfa']);
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
  });

  test('router_settings.default_fallbacks', async () => {
    const { r, tags } = await call(lxC, 'dd', { body: { num_retries: 0 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['dda', 'cgha']);
  });

  test('context window error → context_window_fallbacks (not fallbacks), no retry', async () => {
    const { r, tags } = await call(lx, 'cw', { body: { num_retries: 2 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['cwa', 'cwbiga']);
    assert.equal(r.headers['x-litellm-model-id'], 'cwbiga');
  });

  test('content policy error → content_policy_fallbacks (not fallbacks)', async () => {
    const { r, tags } = await call(lx, 'cp');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['cpa', 'cpalta']);
  });

  test('a bad request never falls back', async () => {
    const { r, tags } = await call(lx, 'br');
    assert.equal(r.status, 400, r.text);
    assert.equal(envelopeProblem(r.json, 400), null, r.text);
    assert.deepEqual(tags, ['bra']);
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
  });

  for (const [g, what] of [
    ['au', '401'],
    ['nf', '404'],
    ['rl', '429'],
    ['tm', 'timeout'],
  ]) {
    test(`${what} falls back`, async () => {
      const { r, tags } = await call(lx, g);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(tags, [`${g}a`, 'othera']);
      assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
    });
  }

  test('max_fallbacks 2: the third fallback group is never tried', async () => {
    const { r, tags } = await call(lxM, 'm');
    assert.equal(r.status, 500, r.text);
    assert.equal(envelopeProblem(r.json, 500), null, r.text);
    assert.deepEqual(tags, ['ma', 'm1a', 'm2a']);
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
    assert.equal(r.headers['x-litellm-max-fallbacks'], '2');
  });

  test('every deployment of the group cooling: the fallbacks answer', async () => {
    const first = await call(lxC, 'cg');
    assert.equal(first.r.status, 200, first.r.text);
    assert.deepEqual(first.tags.slice(0, 2).sort(), ['cga', 'cgb']);
    assert.equal(first.tags[2], 'cgha');
    const { r, tags } = await call(lxC, 'cg');
    assert.equal(r.status, 200, `no "No deployments available" when fallbacks exist: ${r.text}`);
    assert.deepEqual(tags, ['cgha']);
  });
});

describe("the request's own fallbacks", () => {
  test('body fallbacks: ["other"] replaces the configured list', async () => {
    const { r, tags } = await call(lx, 'g1', { body: { fallbacks: ['other'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['g1a', 'othera']);
  });

  test('body fallbacks: [{model, messages}] sends those messages to the fallback group', async () => {
    const messages = [{ role: 'user', content: 'alpha beta gamma delta' }];
    const { r, tags } = await call(lx, 'g1', { body: { fallbacks: [{ model: 'other', messages }] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['g1a', 'othera']);
    const last = await mock.last();
    assert.equal(last.body.model, 'ok@othera');
    assert.deepEqual(last.body.messages, messages);
    assert.equal(last.body.fallbacks, undefined, 'fallbacks are not sent upstream');
  });
});

describe('test hooks', () => {
  test('mock_testing_fallbacks: the group fails at once, its fallbacks run', async () => {
    const { r, tags } = await call(lx, 'mt', { body: { mock_testing_fallbacks: true } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(tags, ['othera'], 'the first group made no upstream call');
    assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
    const last = await mock.last();
    assert.equal(last.body.mock_testing_fallbacks, undefined, 'never sent upstream');
  });

  test('mock_testing_rate_limit_error: a fake 429 on the first attempt; retries and fallbacks run', async () => {
    // like LiteLLM: the flag fails the first attempt only, so a retry reaches the deployment
    const x = await call(lx, 'mr', { body: { mock_testing_rate_limit_error: true, num_retries: 1 } });
    assert.equal(x.r.status, 200, x.r.text);
    assert.deepEqual(x.tags, ['mra']);
    assert.equal(x.r.headers['x-litellm-attempted-retries'], '1');
    const { r, tags } = await call(lxM, 'mr0', { body: { mock_testing_rate_limit_error: true } });
    assert.equal(r.status, 429, `num_retries 0, no fallbacks: ${r.text}`);
    assert.equal(envelopeProblem(r.json, 429), null, r.text);
    assert.deepEqual(tags, [], 'no upstream call');
    const f = await call(lx, 'mrf', { body: { mock_testing_rate_limit_error: true } });
    assert.equal(f.r.status, 200, `the fallbacks run: ${f.r.text}`);
    assert.deepEqual(f.tags, ['othera']);
  });

  test('mock_timeout: a fake 408, no upstream call', async () => {
    const { r, tags } = await call(lxM, 'mto', { body: { mock_timeout: true } });
    assert.equal(r.status, 408, r.text);
    assert.equal(envelopeProblem(r.json, 408), null, r.text);
    assert.deepEqual(tags, []);
  });

  test('x-litellm-timeout: the deployment timeout, or the request header (LiteLLM e2e tests)', async () => {
    let { r } = await call(lxM, 'mto', { body: { mock_timeout: true } });
    assert.equal(r.headers['x-litellm-timeout'], '1.0');
    ({ r } = await call(lxM, 'mto', { body: { mock_timeout: true }, headers: { 'x-litellm-timeout': '0.001' } }));
    assert.equal(r.headers['x-litellm-timeout'], '0.001');
  });

  test('mock_response: that text, no upstream call (stream and not)', async () => {
    const { r, tags } = await call(lx, 'mresp', { body: { mock_response: 'canned answer here' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(r.json.choices[0].message.content, 'canned answer here');
    assert.deepEqual(tags, []);
    const s = await tried(mock, () =>
      streamRequest(lx.url('/v1/chat/completions'), {
        body: { model: 'mresp', stream: true, mock_response: 'canned stream', messages: [{ role: 'user', content: 'hi' }] },
      }),
    );
    assert.equal(s.res.status, 200);
    assert.ok(s.res.done, `ends with [DONE]: ${s.res.text}`);
    const text = s.res.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'canned stream');
    assert.deepEqual(s.tags, []);
  });
});
