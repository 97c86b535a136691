// The command line: --version, `llmux check` on good and bad configs, and the
// real LiteLLM configs from the shared fixtures (checked, then served with
// their environment variables unset).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { FIXTURES, LLMUX_BIN, cleanEnv, cleanup, request, runSync, startLlmux, writeTemp } from '../lib/harness.mjs';

after(cleanup);

const GOOD = `# a good config
model_list:
  - model_name: gpt-ok
    litellm_params:
      model: openai/up-ok
      api_base: http://127.0.0.1:9/v1
      api_key: sk-mock
general_settings:
  master_key: sk-test
`;

function check(file, env) {
  return runSync(LLMUX_BIN, ['check', '--config', file], { env: cleanEnv(env) });
}

function diagLines(stderr, file) {
  const re = new RegExp(`(?:^|\\s)${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+): (error|warning): (.+)$`, 'gm');
  return [...stderr.matchAll(re)].map((m) => ({ line: Number(m[1]), col: Number(m[2]), level: m[3], reason: m[4] }));
}

describe('llmux --version and usage', () => {
  test('--version prints "llmux <version>" and exits 0', () => {
    const r = runSync(LLMUX_BIN, ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^llmux \S+\n$/);
  });

  test('an unknown flag exits non-zero', () => {
    const r = runSync(LLMUX_BIN, ['--no-such-flag']);
    assert.notEqual(r.code, 0);
  });
});

describe('llmux check', () => {
  test('a good config: exit 0, no errors', () => {
    const f = writeTemp(GOOD);
    const r = check(f);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(diagLines(r.stderr, f).filter((d) => d.level === 'error').length, 0, r.stderr);
  });

  test('the positional form `llmux check FILE` works too', () => {
    const f = writeTemp(GOOD);
    const r = runSync(LLMUX_BIN, ['check', f], { env: cleanEnv() });
    assert.equal(r.code, 0, r.stderr);
  });

  test('a deployment without litellm_params.model: exit 1, error at its line', () => {
    const text = `model_list:
  - model_name: good
    litellm_params:
      model: openai/x
  - model_name: bad
    litellm_params:
      api_key: sk-x
general_settings:
  master_key: sk-test
`;
    const f = writeTemp(text);
    const r = check(f);
    assert.equal(r.code, 1, r.stderr);
    const errs = diagLines(r.stderr, f).filter((d) => d.level === 'error');
    assert.ok(errs.length >= 1, `an error line "file:line:column: error: ..." on stderr:\n${r.stderr}`);
    assert.ok(errs.some((e) => e.line >= 5 && e.line <= 7), `the error points into the bad entry (lines 5-7):\n${r.stderr}`);
    assert.ok(errs.every((e) => e.col >= 1));
  });

  test('a YAML syntax error: exit 1, error with its position', () => {
    const text = 'model_list:\n  - model_name: a\n    litellm_params: {model: openai/x\n  - model_name: b\n';
    const f = writeTemp(text);
    const r = check(f);
    assert.equal(r.code, 1, r.stderr);
    const errs = diagLines(r.stderr, f).filter((d) => d.level === 'error');
    assert.ok(errs.length >= 1, r.stderr);
    assert.ok(errs[0].line >= 3 && errs[0].line <= 5, `syntax error located near line 3-5:\n${r.stderr}`);
  });

  test('several problems are all reported', () => {
    const text = `model_list:
  - model_name: a
    litellm_params:
      api_key: x
  - litellm_params:
      model: openai/y
  - model_name: c
    litellm_params:
      model: openai/z
      timeout: not-a-number
`;
    const f = writeTemp(text);
    const r = check(f);
    assert.equal(r.code, 1, r.stderr);
    const errs = diagLines(r.stderr, f).filter((d) => d.level === 'error');
    assert.ok(errs.length >= 2, `every error reported, not just the first:\n${r.stderr}`);
    const lines = new Set(errs.map((e) => e.line));
    assert.ok(lines.size >= 2, `errors at distinct lines:\n${r.stderr}`);
  });

  test('model_list not a list: exit 1', () => {
    const f = writeTemp('model_list: 42\n');
    const r = check(f);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(diagLines(r.stderr, f).some((d) => d.level === 'error' && d.line === 1), r.stderr);
  });

  test('unknown keys are warnings, not errors: exit 0', () => {
    const f = writeTemp(`${GOOD}some_future_section:
  foo: bar
litellm_settings:
  not_a_real_setting: 1
`);
    const r = check(f);
    assert.equal(r.code, 0, r.stderr);
    const d = diagLines(r.stderr, f);
    assert.ok(d.some((x) => x.level === 'warning'), `unknown keys produce a warning:\n${r.stderr}`);
  });

  test('a missing file: a non-zero exit (1 or 2) with a message', () => {
    const r = check('/nonexistent/dir/llmux-config.yaml');
    assert.ok(r.code === 1 || r.code === 2, `exit ${r.code}`);
    assert.match(r.stderr, /llmux-config\.yaml/);
  });

  test('an unset os.environ/ reference is a warning, not an error', () => {
    const f = writeTemp(GOOD.replace('api_key: sk-mock', 'api_key: os.environ/LLMUX_TEST_SURELY_UNSET_VAR'));
    const r = check(f);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /LLMUX_TEST_SURELY_UNSET_VAR/);
  });

  test('llmux --config with a bad config exits non-zero without listening', () => {
    const f = writeTemp('model_list:\n  - model_name: bad\n    litellm_params: {}\n');
    const r = runSync(LLMUX_BIN, ['--config', f, '--port', '0', '--host', '127.0.0.1'], { env: cleanEnv(), timeout: 10000 });
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stderr + r.stdout, /listening on/);
    assert.ok(diagLines(r.stderr, f).some((d) => d.level === 'error'), r.stderr);
  });
});

describe('real LiteLLM configs (shared fixtures)', () => {
  const dir = path.join(FIXTURES, 'litellm-configs');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];

  test('the fixture configs are present', { skip: files.length === 0 ? `no fixtures at ${dir}` : false }, () => {
    assert.ok(files.length >= 4, `expected the 4 LiteLLM configs, found ${files.join(', ')}`);
  });

  for (const name of files) {
    const file = path.join(dir, name);
    const envNames = [...fs.readFileSync(file, 'utf8').matchAll(/os\.environ\/([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);

    test(`llmux check ${name} (env vars unset) exits 0`, () => {
      const r = runSync(LLMUX_BIN, ['check', '--config', file], { env: cleanEnv({}, envNames) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(diagLines(r.stderr, file).filter((d) => d.level === 'error').length, 0, r.stderr);
    });

    test(`llmux --config ${name} (env vars unset) serves readiness, then exits 0 on SIGTERM`, async () => {
      const lx = await startLlmux({ path: file }, { unset: envNames });
      try {
        const r = await request(lx.url('/health/readiness'), { key: null });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'connected');
        const live = await request(lx.url('/health/liveliness'), { key: null });
        assert.equal(live.status, 200);
      } finally {
        lx.proc.signal('SIGTERM');
      }
      const exit = await lx.proc.waitExit(10000);
      assert.deepEqual(exit, { code: 0, signal: null }, lx.proc.tail());
    });
  }
});
