// Chaos run (issue 5): three deployments of group "chaos" each fail about 30%
// of their calls at random (mock-chaos-30: 500, 429 with retry-after 1,
// connection reset, 300 ms before the headers, a stream closed before its
// first event, a non-stream answer cut in half), with a healthy group
// "steady" as their fallback. allowed_fails is 1000 a minute and cooldown_time
// 1 s, so a run sees both phases: failures absorbed by retries on the other
// deployments (and the fallback when all three attempts fail), and, once a
// deployment's failures pass the allowance, cooldowns with the fallback
// taking over. Eight clients call it without pause, half of
// the calls streams, for LLMUX_CHAOS_SECONDS (default 60, the figure; the
// runner's per-file timeout is 120 s). Passes when:
//   - no client sees an error: every answer is a 200 with a whole
//     chat.completion, every stream is whole (the mock's text, [DONE], no error event);
//   - llmux's resident memory is flat: the mean of its VmRSS over the last
//     sixth of the run is within max(10%, 2 MiB) of the mean over the second
//     sixth (seconds 10-20 of a 60 s run), sampled every second. Not with a
//     sanitizer build (ASan's quarantine holds freed memory on purpose): then
//     only the first condition is checked.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { LLMUX_BIN, cleanup, closedLoop, config, rssKb, startLlmux, startMock, streamRequest, tdep } from '../lib/harness.mjs';

const SECONDS = Number(process.env.LLMUX_CHAOS_SECONDS || 60);
const CLIENTS = 8;
const TEXT = 'mock '.repeat(16);
const SANITIZED = fs.existsSync(LLMUX_BIN) && fs.readFileSync(LLMUX_BIN).includes('__asan_init');

let mock;
let lx;

before(async () => {
  mock = await startMock({ workers: 2 });
  lx = await startLlmux(
    config(
      [
        tdep('chaos', 'mock-chaos-30@ca', mock),
        tdep('chaos', 'mock-chaos-30@cb', mock),
        tdep('chaos', 'mock-chaos-30@cc', mock),
        tdep('steady', 'ok@steady', mock),
      ],
      { router: { num_retries: 2, allowed_fails: 1000, cooldown_time: 1, fallbacks: [{ chaos: ['steady'] }] } },
    ),
  );
});

after(cleanup);

const seen = { retried: 0, fellBack: 0 };

function count(headers) {
  if (Number(headers['x-litellm-attempted-retries']) > 0) seen.retried++;
  if (Number(headers['x-litellm-attempted-fallbacks']) > 0) seen.fellBack++;
}

/** Returns null when the answer is whole and right, else why not. */
async function oneCall(stream) {
  const body = { model: 'chaos', messages: [{ role: 'user', content: 'hello there friend' }] };
  try {
    if (stream) {
      const r = await streamRequest(lx.url('/v1/chat/completions'), { body: { ...body, stream: true }, timeout: 30000 });
      count(r.headers);
      if (r.status !== 200) return `stream: HTTP ${r.status}: ${r.text.slice(0, 200)}`;
      if (!r.done) return `stream without [DONE]: ${r.text.slice(-200)}`;
      if (r.events.some((e) => e.data && e.data.includes('"error"'))) return `stream error event: ${r.text.slice(-200)}`;
      const text = r.json.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
      if (text !== TEXT) return `stream text ${JSON.stringify(text)}`;
      return null;
    }
    const r = await lx.chat('chaos', { body, timeout: 30000 });
    count(r.headers);
    if (r.status !== 200) return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    if (r.json?.object !== 'chat.completion' || r.json.choices?.[0]?.message?.content !== TEXT) return `bad body: ${r.text.slice(0, 200)}`;
    return null;
  } catch (e) {
    return `${stream ? 'stream' : 'call'} failed: ${e.message}`;
  }
}

test(`chaos: ${SECONDS} s, ${CLIENTS} clients, ~30% faults on 3 deployments, one healthy fallback`, { timeout: (SECONDS + 60) * 1000 }, async () => {
  const rss = [];
  const t0 = Date.now();
  const sampler = setInterval(() => rss.push([(Date.now() - t0) / 1000, rssKb(lx.proc.pid)]), 1000);
  const errors = [];
  let calls = 0;
  try {
    calls = await closedLoop(CLIENTS, SECONDS * 1000, async (i) => {
      const why = await oneCall(i % 2 === 1);
      if (why) errors.push(why);
    });
  } finally {
    clearInterval(sampler);
  }
  const log = await mock.log(); // the last 4096 upstream calls
  const chaosCalls = log.filter((e) => e.tag === 'ca' || e.tag === 'cb' || e.tag === 'cc');
  const faults = chaosCalls.filter((e) => e.chaos).length;
  const steady = log.filter((e) => e.tag === 'steady').length;
  const summary = `${calls} calls (${seen.retried} retried, ${seen.fellBack} fell back), ${errors.length} errors; last ${log.length} upstream calls: ${chaosCalls.length} to the chaos deployments (${faults} faults), ${steady} to the fallback`;
  process.stderr.write(`chaos: ${summary}\n`);

  assert.ok(lx.proc.running, `llmux died: ${lx.proc.tail()}`);
  assert.deepEqual(errors.slice(0, 10), [], `no client-visible error (${summary})`);
  assert.ok(calls >= SECONDS * 20, `the run made progress: ${summary}`);
  assert.ok(chaosCalls.length === 0 || faults >= 0.1 * chaosCalls.length, `faults were injected: ${summary}`);
  assert.ok(seen.retried > 0 && seen.fellBack > 0, `retries and fallbacks both happened: ${summary}`);

  if (SANITIZED) {
    process.stderr.write('chaos: sanitizer build: resident memory not checked\n');
    return;
  }
  const mean = (from, to) => {
    const xs = rss.filter(([t, v]) => t >= from && t < to && v !== null).map(([, v]) => v);
    assert.ok(xs.length >= 2, `RSS samples between ${from} and ${to} s: ${JSON.stringify(rss)}`);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const early = mean(SECONDS / 6, SECONDS / 3);
  const late = mean((SECONDS * 5) / 6, SECONDS + 1);
  const allowed = Math.max(0.1 * early, 2048);
  process.stderr.write(`chaos: VmRSS ${Math.round(early)} kB (second sixth) -> ${Math.round(late)} kB (last sixth)\n`);
  assert.ok(late - early <= allowed, `resident memory grew ${Math.round(late - early)} kB (allowed ${Math.round(allowed)} kB): ${JSON.stringify(rss)}`);
});
