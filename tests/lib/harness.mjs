// tests/lib/harness.mjs - shared harness for the Node integration and e2e suites.
//
// Starts the real `llmux-mock` and `llmux` binaries on loopback with ephemeral
// ports, writes temporary config files, and offers HTTP helpers: fetch-based
// requests, SSE parsing, and a raw socket client (RawConn) for the tests that
// need byte-level control (limits, malformed input, pipelining, slow clients).
//
// Every process started here is tracked and killed by PID in cleanup() (call it
// from an after() hook) and, as a last resort, when the test process exits.
// Every wait has a timeout. Binaries come from $LLMUX_BIN and $LLMUX_MOCK_BIN,
// defaulting to <repo>/build/llmux and <repo>/build/llmux-mock.

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LLMUX_BIN = process.env.LLMUX_BIN || path.join(REPO, 'build', 'llmux');
export const MOCK_BIN = process.env.LLMUX_MOCK_BIN || path.join(REPO, 'build', 'llmux-mock');
export const FIXTURES = process.env.LMX_FIXTURES || path.resolve(REPO, '..', 'shared', 'fixtures');
export const MASTER_KEY = 'sk-test';
export const UPSTREAM_KEY = 'sk-mock';

/* ------------------------------------------------------------------------ */
/* Small utilities */

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with `what` timed out after `ms` unless `p` settles first. */
export function withTimeout(p, ms, what = 'operation') {
  let t;
  const timer = new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

/** Polls the async predicate until it returns a truthy value (returned) or the timeout expires (throws). */
export async function waitFor(fn, { timeout = 5000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`${what}: not reached within ${timeout} ms (last: ${fmt(last)})`);
    }
    await sleep(interval);
  }
}

function fmt(v) {
  if (v instanceof Error) return v.message;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export function binariesPresent() {
  return fs.existsSync(LLMUX_BIN) && fs.existsSync(MOCK_BIN);
}

function requireBinary(p, envName) {
  if (!fs.existsSync(p)) {
    throw new Error(`${p} does not exist: build it first or set ${envName}`);
  }
}

/** A port nothing listens on (bound then closed; good for "connection refused" upstreams). */
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((res, rej) => srv.listen(0, '127.0.0.1', res).once('error', rej));
  const { port } = srv.address();
  await new Promise((res) => srv.close(res));
  return port;
}

/* ------------------------------------------------------------------------ */
/* Processes */

const live = new Set(); // every child still running
const tempFiles = new Set();

process.on('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const f of tempFiles) {
    try {
      fs.unlinkSync(f);
    } catch {
      /* already gone */
    }
  }
});

/** A child process with its combined output captured, and bounded waits on it. */
export class Proc {
  constructor(name, bin, args, { env, stdio } = {}) {
    this.name = name;
    this.out = '';
    this.stdout = '';
    this.stderr = '';
    this.exitInfo = null;
    this._listeners = new Set();
    this.child = spawn(bin, args, { env: env ?? process.env, stdio: stdio ?? ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
        this._notify();
      });
      this.child.once('error', (err) => {
        this.exitInfo = { code: null, signal: null, error: err };
        live.delete(this);
        resolve(this.exitInfo);
        this._notify();
      });
    });
    const onData = (which) => (chunk) => {
      const s = chunk.toString('utf8');
      this[which] += s;
      this.out += s;
      if (process.env.LLMUX_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${s}`);
      this._notify();
    };
    this.child.stdout?.on('data', onData('stdout'));
    this.child.stderr?.on('data', onData('stderr'));
  }

  _notify() {
    for (const l of this._listeners) l();
  }

  get running() {
    return this.exitInfo === null;
  }

  /** Waits until the output (from `from` on) matches `re`; returns the match. Throws on exit or timeout. */
  waitOutput(re, { timeout = 10000, from = 0 } = {}) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        const m = this.out.slice(from).match(re);
        if (m) {
          done();
          resolve(m);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited (${fmt(this.exitInfo)}) before printing ${re}; output:\n${this.tail()}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this._listeners.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: ${re} not seen within ${timeout} ms; output:\n${this.tail()}`));
      }, timeout);
      this._listeners.add(check);
      check();
    });
  }

  /** Waits for the process to exit; returns {code, signal}. Throws on timeout (the process is left running). */
  waitExit(timeout = 10000) {
    return withTimeout(this.exited, timeout, `${this.name} (pid ${this.pid}) exit`);
  }

  signal(sig) {
    if (this.running) process.kill(this.pid, sig);
  }

  /** SIGTERM, then SIGKILL after `grace` ms. Never throws. */
  async stop(grace = 5000) {
    if (!this.running) return this.exitInfo;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    try {
      return await this.waitExit(grace);
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      return this.exited;
    }
  }

  tail(n = 4000) {
    return this.out.length > n ? '...' + this.out.slice(-n) : this.out;
  }
}

/** Runs a command to completion (bounded) and returns {code, signal, stdout, stderr}. */
export function runSync(bin, args, { env, timeout = 20000 } = {}) {
  const r = spawnSync(bin, args, { env: env ?? process.env, timeout, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Kills every process this test file started that is still running and removes temp files. */
export async function cleanup() {
  await Promise.all([...live].map((p) => p.stop(3000)));
  for (const f of tempFiles) {
    try {
      fs.unlinkSync(f);
    } catch {
      /* gone */
    }
  }
  tempFiles.clear();
}

/* ------------------------------------------------------------------------ */
/* The mock provider */

export class Mock {
  constructor(proc, port, apiKey) {
    this.proc = proc;
    this.port = port;
    this.hdrs = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    this.base = `http://127.0.0.1:${port}`;
    this.v1 = `${this.base}/v1`;
  }

  async stats() {
    const r = await fetchT(`${this.base}/mock/stats`, { headers: this.hdrs }, 5000);
    if (r.status !== 200) throw new Error(`/mock/stats: HTTP ${r.status}`);
    return r.json();
  }

  async last() {
    const r = await fetchT(`${this.base}/mock/last`, { headers: this.hdrs }, 5000);
    if (r.status !== 200) throw new Error(`/mock/last: HTTP ${r.status}`);
    return r.json();
  }

  async reset() {
    const r = await fetchT(`${this.base}/mock/reset`, { method: 'POST', headers: this.hdrs }, 5000);
    await r.arrayBuffer();
    if (r.status !== 200 && r.status !== 204) throw new Error(`/mock/reset: HTTP ${r.status}`);
  }

  /** Model requests the mock has seen (every path but its own /mock/*). */
  async modelRequests() {
    const s = await this.stats();
    return Object.entries(s.by_path ?? {}).reduce((n, [p, c]) => (p.startsWith('/mock/') ? n : n + c), 0);
  }

  /** Requests the mock has seen on `p` (e.g. "/v1/chat/completions"). */
  async count(p) {
    const s = await this.stats();
    return (s.by_path && s.by_path[p]) || 0;
  }

  stop() {
    return this.proc.stop();
  }
}

/** Starts llmux-mock on an ephemeral port; resolves once it printed its listening line. */
export async function startMock({ workers = 1, latencyMs, apiKey, args = [] } = {}) {
  requireBinary(MOCK_BIN, 'LLMUX_MOCK_BIN');
  const a = ['--host', '127.0.0.1', '--port', '0', '--workers', String(workers)];
  if (latencyMs !== undefined) a.push('--latency-ms', String(latencyMs));
  if (apiKey !== undefined) a.push('--api-key', apiKey);
  const proc = new Proc('llmux-mock', MOCK_BIN, [...a, ...args]);
  const m = await proc.waitOutput(/listening on 127\.0\.0\.1:(\d+)/, { timeout: 10000 });
  return new Mock(proc, Number(m[1]), apiKey);
}

/* ------------------------------------------------------------------------ */
/* Configs */

/** Writes `text` to a fresh temp file (removed by cleanup) and returns its path. */
export function writeTemp(text, ext = '.yaml') {
  const p = path.join(os.tmpdir(), `llmux-test-${process.pid}-${crypto.randomBytes(6).toString('hex')}${ext}`);
  fs.writeFileSync(p, text);
  tempFiles.add(p);
  return p;
}

/** Replaces the file's content atomically (a reload never sees half a file). */
export function rewriteFile(p, text) {
  const tmp = `${p}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, p);
}

/** A tiny block-style YAML emitter for plain objects (strings double-quoted, JSON escapes). */
export function toYaml(v, indent = 0) {
  const pad = ' '.repeat(indent);
  const scalar = (x) => {
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    return JSON.stringify(String(x));
  };
  const isObj = (x) => x !== null && typeof x === 'object';
  if (!isObj(v)) return scalar(v) + '\n';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]\n';
    let s = '';
    for (const item of v) {
      if (isObj(item) && !Array.isArray(item) && Object.keys(item).length > 0) {
        const inner = toYaml(item, indent + 2);
        s += pad + '- ' + inner.slice(indent + 2);
      } else if (isObj(item)) {
        s += pad + '- ' + (Array.isArray(item) ? (item.length ? JSON.stringify(item) : '[]') : '{}') + '\n';
      } else {
        s += pad + '- ' + scalar(item) + '\n';
      }
    }
    return s;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}\n';
  let s = '';
  for (const k of keys) {
    const x = v[k];
    const key = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k);
    if (isObj(x) && (Array.isArray(x) ? x.length > 0 : Object.keys(x).length > 0)) {
      s += `${pad}${key}:\n` + toYaml(x, indent + 2);
    } else if (isObj(x)) {
      s += `${pad}${key}: ${Array.isArray(x) ? '[]' : '{}'}\n`;
    } else {
      s += `${pad}${key}: ${scalar(x)}\n`;
    }
  }
  return s;
}

/**
 * One model_list entry. `upstream` is the model name the mock receives (and,
 * for the mock, may encode a fault: "mock-status-429", "mock-fault-hang", ...).
 */
export function dep(name, upstream, mockOrBase, extra = {}) {
  const { model_info, ...params } = extra;
  const api_base = typeof mockOrBase === 'string' ? mockOrBase : mockOrBase.v1;
  const e = {
    model_name: name,
    litellm_params: { model: `openai/${upstream}`, api_base, api_key: UPSTREAM_KEY, ...params },
  };
  if (model_info) e.model_info = model_info;
  return e;
}

/** A whole config object: the deployments plus the usual test settings (master key sk-test). */
export function config(models, { general = {}, litellm = {}, llmux = {}, router, extra = {} } = {}) {
  const c = {
    model_list: models,
    general_settings: { master_key: MASTER_KEY, ...general },
    litellm_settings: { num_retries: 0, request_timeout: 30, ...litellm },
    llmux_settings: { shutdown_grace: 10, ...llmux },
  };
  if (router) c.router_settings = router;
  return { ...c, ...extra };
}

/* ------------------------------------------------------------------------ */
/* llmux */

export class Llmux {
  constructor(proc, port, configPath) {
    this.proc = proc;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.configPath = configPath;
  }

  url(p) {
    return this.base + p;
  }

  /** fetch-based request to this llmux; see request(). */
  req(p, opts) {
    return request(this.base + p, opts);
  }

  /** POST a chat completion (non-stream) for `model`. */
  chat(model, opts = {}) {
    const { body = {}, ...rest } = opts;
    return this.req('/v1/chat/completions', {
      method: 'POST',
      body: { model, messages: [{ role: 'user', content: 'hello there friend' }], ...body },
      ...rest,
    });
  }

  /** Rewrites the config file (object or YAML text) and sends SIGHUP; returns the output offset before it. */
  reload(cfg) {
    const from = this.proc.out.length;
    if (cfg !== undefined) rewriteFile(this.configPath, typeof cfg === 'string' ? cfg : toYaml(cfg));
    this.proc.signal('SIGHUP');
    return from;
  }

  stop(grace) {
    return this.proc.stop(grace);
  }
}

/** The environment for llmux: the caller's, minus provider and LiteLLM variables that could leak in, plus `env`. */
export function cleanEnv(env = {}, unset = []) {
  const e = { ...process.env };
  for (const k of Object.keys(e)) {
    if (/^(OPENAI|AZURE|ANTHROPIC|GROQ|LITELLM|REDIS|DATABASE)_/.test(k) || k === 'PORT' || k === 'HOST') delete e[k];
  }
  for (const k of unset) delete e[k];
  e.LITELLM_LOG = 'INFO';
  e.LLMUX_DB = ''; // the response store stays in memory unless a test names a file
  return { ...e, ...env };
}

/**
 * Starts llmux with `cfg` (object, YAML text, or {path}) on 127.0.0.1 with an
 * ephemeral port; resolves once it logged its listening line.
 */
export async function startLlmux(cfg, { workers = 2, env, unset, args = [], timeout = 15000 } = {}) {
  requireBinary(LLMUX_BIN, 'LLMUX_BIN');
  let configPath;
  if (cfg && typeof cfg === 'object' && typeof cfg.path === 'string') configPath = cfg.path;
  else configPath = writeTemp(typeof cfg === 'string' ? cfg : toYaml(cfg));
  const a = ['--config', configPath, '--port', '0', '--host', '127.0.0.1', '--num_workers', String(workers), ...args];
  const proc = new Proc('llmux', LLMUX_BIN, a, { env: cleanEnv(env, unset) });
  const m = await proc.waitOutput(/listening on http:\/\/127\.0\.0\.1:(\d+)/, { timeout });
  return new Llmux(proc, Number(m[1]), configPath);
}

export function llmuxVersion() {
  const r = runSync(LLMUX_BIN, ['--version']);
  const m = r.stdout.trim().match(/^llmux (\S+)$/);
  return m ? m[1] : null;
}

/* ------------------------------------------------------------------------ */
/* fetch helpers */

export async function fetchT(url, init = {}, timeout = 15000) {
  return fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeout) });
}

/**
 * One HTTP request with fetch. `body` objects are sent as JSON; `key` (default
 * the master key; null = none) goes in Authorization: Bearer. Resolves to
 * {status, headers (lowercase object), text, json (or undefined)}.
 */
export async function request(url, { method = 'GET', body, headers = {}, key = MASTER_KEY, timeout = 15000 } = {}) {
  const h = { ...headers };
  if (key !== null && key !== undefined) h.authorization = `Bearer ${key}`;
  let b = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    b = JSON.stringify(body);
    h['content-type'] = h['content-type'] ?? 'application/json';
  } else if (typeof body === 'string' && !h['content-type']) {
    h['content-type'] = 'application/json';
  }
  const r = await fetchT(url, { method, headers: h, body: b }, timeout);
  const text = await withTimeout(r.text(), timeout, `body of ${method} ${url}`);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const hdrs = {};
  r.headers.forEach((v, k) => {
    hdrs[k] = v;
  });
  return { status: r.status, headers: hdrs, text, json };
}

/** Parses SSE text into events: [{data, raw}] (data lines joined by \n). */
export function parseSSE(text) {
  const events = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    if (!block.trim()) continue;
    const data = block
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) events.push({ data: data.join('\n'), raw: block });
    else events.push({ data: null, raw: block });
  }
  return events;
}

/**
 * A streaming request with fetch; reads the whole SSE body (bounded by
 * `timeout`). Resolves to {status, headers, text, events, json: parsed data
 * objects (non-JSON data such as [DONE] left out), done: saw [DONE]}.
 */
export async function streamRequest(url, { body, headers = {}, key = MASTER_KEY, timeout = 20000, onEvent } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(new Error('stream timed out')), timeout);
  try {
    const r = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body), signal: ac.signal });
    const hdrs = {};
    r.headers.forEach((v, k) => {
      hdrs[k] = v;
    });
    let text = '';
    const dec = new TextDecoder();
    let seen = 0;
    for await (const chunk of r.body) {
      text += dec.decode(chunk, { stream: true });
      if (onEvent) {
        const evs = parseSSE(text.slice(0, text.lastIndexOf('\n\n') + 2));
        while (seen < evs.length) onEvent(evs[seen++]);
      }
    }
    text += dec.decode();
    const events = parseSSE(text);
    const json = [];
    for (const e of events) {
      if (e.data === null || e.data === '[DONE]') continue;
      try {
        json.push(JSON.parse(e.data));
      } catch {
        /* not JSON: left for the caller in events */
      }
    }
    return { status: r.status, headers: hdrs, text, events, json, done: events.some((e) => e.data === '[DONE]') };
  } finally {
    clearTimeout(t);
  }
}

/**
 * An OpenAI chat (or completions) stream's chunks (streamRequest's json) put
 * together: {content (delta.content, or a completions choice's text),
 * reasoning (reasoning_content), tools: [{id, name, arguments}] by
 * index, finish (the last finish_reason), usage (the last usage), roleFirst
 * (the first chunk's delta has role "assistant"), ids (the chunk ids seen)}.
 */
export function assembleChat(chunks) {
  const out = { content: '', reasoning: '', tools: [], finish: null, usage: null, roleFirst: false, ids: new Set() };
  chunks.forEach((c, i) => {
    out.ids.add(c.id);
    const ch = c.choices?.[0];
    const d = ch?.delta ?? {};
    if (i === 0) out.roleFirst = d.role === 'assistant';
    if (typeof d.content === 'string') out.content += d.content;
    if (typeof ch?.text === 'string') out.content += ch.text;
    if (typeof d.reasoning_content === 'string') out.reasoning += d.reasoning_content;
    for (const t of d.tool_calls ?? []) {
      const slot = (out.tools[t.index] ??= { id: '', name: '', arguments: '' });
      if (t.id) slot.id = t.id;
      if (t.function?.name) slot.name = t.function.name;
      if (t.function?.arguments) slot.arguments += t.function.arguments;
    }
    if (ch?.finish_reason) out.finish = ch.finish_reason;
    if (c.usage) out.usage = c.usage;
  });
  return out;
}

/** Headers that make llmux pass mock controls upstream (COMPAT §5: x-pass-<name> is sent as <name>). */
export function mockCtl(ctl) {
  const h = {};
  for (const [k, v] of Object.entries(ctl)) h[`x-pass-x-mock-${k}`] = String(v);
  return h;
}

/**
 * Throws unless the mock's last request carried the x-mock-* controls that
 * mockCtl(ctl) asked llmux to pass on: tests that need a slow or long stream
 * call this so a missing x-pass-* feature fails with a clear reason.
 */
export async function checkPassed(mock, ctl) {
  const last = await mock.last();
  for (const [k, v] of Object.entries(ctl)) {
    if (last?.headers?.[`x-mock-${k}`] !== String(v)) {
      throw new Error(
        `llmux did not send x-pass-x-mock-${k} upstream as x-mock-${k} (COMPAT §5: x-pass-<name> is sent upstream as <name>); ` +
          `the mock got headers ${JSON.stringify(last?.headers)}`,
      );
    }
  }
}

/** Asserts-free check of the §6.1 envelope; returns a reason string when it is wrong, else null. */
export function envelopeProblem(json, status) {
  if (!json || typeof json !== 'object') return 'body is not JSON';
  const e = json.error;
  if (!e || typeof e !== 'object') return 'no "error" object';
  if (typeof e.message !== 'string' || e.message.length === 0) return 'error.message is not a non-empty string';
  if (!('type' in e)) return 'error.type missing';
  if (!('param' in e)) return 'error.param missing';
  if (typeof e.code !== 'string') return `error.code is not a string (${JSON.stringify(e.code)})`;
  if (status !== undefined && e.code !== String(status)) return `error.code ${e.code} != HTTP status ${status}`;
  return null;
}

/* ------------------------------------------------------------------------ */
/* Raw HTTP over net.Socket */

/**
 * A raw TCP connection with an incremental HTTP/1.1 response parser, for tests
 * that need exact bytes: pipelining, limits, malformed requests, timeouts.
 */
export class RawConn {
  static open(port, { host = '127.0.0.1', timeout = 5000 } = {}) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const s = net.connect({ port, host });
        s.once('connect', () => resolve(new RawConn(s)));
        s.once('error', reject);
      }),
      timeout,
      `connect to ${host}:${port}`,
    );
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this._wakers = new Set();
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this._wake();
    });
    sock.on('error', (e) => {
      this.error = e;
      this._wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this._wake();
    });
  }

  _wake() {
    for (const w of this._wakers) w();
  }

  _waitChange(deadline) {
    return new Promise((resolve) => {
      const ms = Math.max(0, deadline - Date.now());
      const done = () => {
        clearTimeout(t);
        this._wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this._wakers.add(done);
    });
  }

  /** Writes bytes; resolves when flushed (write errors, e.g. EPIPE after the peer closed, are swallowed and returned). */
  write(data) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve(new Error('socket destroyed'));
      this.sock.write(data, (err) => resolve(err ?? null));
    });
  }

  /**
   * Reads one response (a 1xx counts as one). Resolves to {status, reason,
   * headers (lowercase; repeated joined by ", "), rawHead, headBytes, body
   * (Buffer), text, json}. Throws on timeout or when the connection closes
   * before a whole response arrived.
   */
  async readResponse({ timeout = 10000, headOnly = false } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const r = this._tryParse(headOnly);
      if (r) return r;
      if (this.closed || this.error) {
        throw new Error(`connection closed before a whole response (got ${this.buf.length} bytes: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))})`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`no whole response within ${timeout} ms (got ${this.buf.length} bytes: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))})`);
      }
      await this._waitChange(deadline);
    }
  }

  _tryParse(headOnly) {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const rawHead = this.buf.subarray(0, end).toString('latin1');
    const lines = rawHead.split('\r\n');
    const m = lines[0].match(/^HTTP\/1\.[01] (\d{3})(?: (.*))?$/);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers = {};
    const headerList = [];
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) throw new Error(`bad header line: ${JSON.stringify(l)}`);
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headerList.push([k, v]);
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    const bodyStart = end + 4;
    let body;
    let consumed;
    const noBody = (status >= 100 && status < 200) || status === 204 || status === 304 || headOnly;
    if (noBody) {
      body = Buffer.alloc(0);
      consumed = bodyStart;
    } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      let p = bodyStart;
      for (;;) {
        const le = this.buf.indexOf('\r\n', p);
        if (le < 0) return null;
        const size = parseInt(this.buf.subarray(p, le).toString('latin1').split(';')[0], 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        p = le + 2;
        if (size === 0) {
          // trailers until an empty line
          for (;;) {
            const te = this.buf.indexOf('\r\n', p);
            if (te < 0) return null;
            const empty = te === p;
            p = te + 2;
            if (empty) break;
          }
          break;
        }
        if (this.buf.length < p + size + 2) return null;
        parts.push(this.buf.subarray(p, p + size));
        p += size + 2;
      }
      body = Buffer.concat(parts);
      consumed = p;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (this.buf.length < bodyStart + n) return null;
      body = this.buf.subarray(bodyStart, bodyStart + n);
      consumed = bodyStart + n;
    } else {
      if (!this.closed) return null; // body until close
      body = this.buf.subarray(bodyStart);
      consumed = this.buf.length;
    }
    this.buf = this.buf.subarray(consumed);
    const text = body.toString('utf8');
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status, reason: m[2] ?? '', headers, headerList, rawHead, headBytes: end + 4, body: Buffer.from(body), text, json };
  }

  /** Resolves true when the peer closes the connection within `timeout` ms, else false. */
  async waitClose(timeout = 5000) {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      if (Date.now() >= deadline) return false;
      await this._waitChange(deadline);
    }
    return true;
  }

  /** Waits until at least `n` bytes are buffered (or the timeout); returns the buffered text. */
  async waitBytes(n, timeout = 5000) {
    const deadline = Date.now() + timeout;
    while (this.buf.length < n && !this.closed && Date.now() < deadline) await this._waitChange(deadline);
    return this.buf.toString('utf8');
  }

  /** Waits until the buffered bytes contain `needle` (or the timeout/close); returns whether they do. */
  async waitText(needle, timeout = 5000) {
    const deadline = Date.now() + timeout;
    while (!this.buf.includes(needle) && !this.closed && Date.now() < deadline) await this._waitChange(deadline);
    return this.buf.includes(needle);
  }

  destroy() {
    this.sock.destroy();
  }
}

/** Builds a request's bytes. `body` objects become JSON; Content-Length added unless a transfer-encoding is set. */
export function rawRequest(method, p, { headers = {}, body, key = MASTER_KEY, host = '127.0.0.1' } = {}) {
  let b = body;
  if (b !== undefined && typeof b !== 'string' && !Buffer.isBuffer(b)) b = JSON.stringify(b);
  const h = { host, ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (b !== undefined) {
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'transfer-encoding')) h['content-length'] = String(Buffer.byteLength(b));
  }
  let head = `${method} ${p} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return b === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(b)]);
}

/** One request on a fresh connection; resolves to the parsed response (the connection is then closed). */
export async function rawOnce(port, bytes, { timeout = 10000 } = {}) {
  const c = await RawConn.open(port);
  try {
    await c.write(bytes);
    return await c.readResponse({ timeout });
  } finally {
    c.destroy();
  }
}

/** Resolves true when a TCP connect to the port is refused (nothing listening). */
export function connectRefused(port, timeout = 3000) {
  return withTimeout(
    new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
    }),
    timeout,
    'connect probe',
  );
}

/* ------------------------------------------------------------------------ */
/* Router tests: the mock's request log and failure rules, tagged deployments,
 * statistics, resident memory. (Appended for the router suites; see
 * tools/mock/control.c for /mock/log and /mock/fail.) */

/**
 * The mock's request log (GET /mock/log): [{seq, model, tag, path, stream,
 * status, fault, chaos, rule, t_ms, done_ms}] oldest first. `since`: only
 * entries with seq > since; `limit`: the last N.
 */
Mock.prototype.log = async function log({ since, limit } = {}) {
  const q = new URLSearchParams();
  if (since !== undefined) q.set('since', String(since));
  if (limit !== undefined) q.set('limit', String(limit));
  const r = await fetchT(`${this.base}/mock/log${q.size ? `?${q}` : ''}`, { headers: this.hdrs }, 5000);
  if (r.status !== 200) throw new Error(`/mock/log: HTTP ${r.status}`);
  return r.json();
};

/** The seq of the newest log entry (0 when the log is empty): pass it as `since` later. */
Mock.prototype.mark = async function mark() {
  const l = await this.log({ limit: 1 });
  return l.length ? l[l.length - 1].seq : 0;
};

/**
 * Adds (or replaces) a /mock/fail rule: requests for exactly `rule.model` are
 * answered as the rule says ({status, fault, latency_ms, retry_after,
 * error_message, error_code, count}) instead of as their model name says.
 */
Mock.prototype.fail = async function fail(rule) {
  const r = await fetchT(`${this.base}/mock/fail`, { method: 'POST', headers: { ...this.hdrs, 'content-type': 'application/json' }, body: JSON.stringify(rule) }, 5000);
  const t = await r.text();
  if (r.status !== 200) throw new Error(`/mock/fail: HTTP ${r.status}: ${t}`);
  return JSON.parse(t);
};

/** Deletes the /mock/fail rule for `model`, or every rule. */
Mock.prototype.unfail = async function unfail(model) {
  const q = model === undefined ? '' : `?model=${encodeURIComponent(model)}`;
  const r = await fetchT(`${this.base}/mock/fail${q}`, { method: 'DELETE', headers: this.hdrs }, 5000);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`DELETE /mock/fail: HTTP ${r.status}`);
};

/** The tag of a tagged upstream model name: "mock-status-500@a" -> "a" (null when untagged). */
export function tagOf(upstream) {
  const i = upstream.lastIndexOf('@');
  return i < 0 ? null : upstream.slice(i + 1);
}

/**
 * A deployment whose model_info.id is the tag of its upstream name, so the
 * x-litellm-model-id header and the mock log's "tag" name the same thing:
 * tdep('g', 'mock-status-500@a', mock) is deployment "a" of group "g".
 */
export function tdep(group, upstream, mock, extra = {}) {
  const { model_info, ...rest } = extra;
  return dep(group, upstream, mock, { ...rest, model_info: { id: tagOf(upstream), ...(model_info ?? {}) } });
}

/**
 * Runs `fn` (one request, or several in a row) and returns {res, log, tags}:
 * the mock log entries that arrived meanwhile and their tags in arrival order.
 */
export async function tried(mock, fn) {
  const since = await mock.mark();
  const res = await fn();
  const log = await mock.log({ since });
  return { res, log, tags: log.map((e) => e.tag) };
}

/** VmRSS of a process in KiB (Linux /proc), or null when it is gone. */
export function rssKb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Waits, when needed, so that the next `needMs` ms stay inside one wall-clock
 * minute (per-minute counters: rpm, tpm, allowed_fails). Never waits more than 60 s.
 */
export async function sameMinute(needMs) {
  const left = 60000 - (Date.now() % 60000);
  if (left < needMs) await sleep(left + 200);
}

/** Half-width of a k-sigma band for a binomial count: k * sqrt(n p (1-p)). */
export function binomialBand(n, p, k = 5) {
  return k * Math.sqrt(n * p * (1 - p));
}

/**
 * `workers` async loops calling fn(i, worker) until `ms` have passed (a closed
 * loop: each starts its next call when the previous one ends). Resolves to the
 * number of calls made; rejects with the first error thrown by fn.
 */
export async function closedLoop(workers, ms, fn) {
  const end = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < end) await fn(n++, w);
    }),
  );
  return n;
}

/* ------------------------------------------------------------------------ */
/* Redis (fleet-wide router state): a real redis-server on a loopback port,
 * and a one-command RESP client. (Appended for tests/integration/redis.test.mjs.) */

/** The redis-server binary ($REDIS_SERVER_BIN, else redis-server on PATH), or null when there is none. */
export function redisServerBin() {
  const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
  try {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 && /Redis server/i.test(r.stdout) ? bin : null;
  } catch {
    return null;
  }
}

function parseResp(buf, i) {
  const e = buf.indexOf('\r\n', i);
  if (e < 0) return null;
  const type = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, e);
  if (type === '+') return { value: line, next: e + 2 };
  if (type === '-') return { value: new Error(line), next: e + 2 };
  if (type === ':') return { value: Number(line), next: e + 2 };
  if (type === '$' || type === '*') {
    const n = Number(line);
    if (n < 0) return { value: null, next: e + 2 };
    if (type === '$') {
      if (buf.length < e + 2 + n + 2) return null;
      return { value: buf.toString('utf8', e + 2, e + 2 + n), next: e + 4 + n };
    }
    const arr = [];
    let p = e + 2;
    for (let k = 0; k < n; k++) {
      const r = parseResp(buf, p);
      if (!r) return null;
      arr.push(r.value);
      p = r.next;
    }
    return { value: arr, next: p };
  }
  throw new Error(`bad RESP reply type ${JSON.stringify(type)}`);
}

/**
 * Sends one command (an array of strings) to the Redis on 127.0.0.1:port over
 * a fresh connection. Resolves to the reply: a string, number, null, array, or
 * an Error for an error reply. Rejects when it cannot connect or on timeout.
 */
export function redisCommand(port, args, timeout = 2000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`redis ${args[0]} on ${port}: no reply within ${timeout} ms`));
    }, timeout);
    s.once('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResp(buf, 0);
      if (r) {
        clearTimeout(t);
        s.destroy();
        resolve(r.value);
      }
    });
    s.once('connect', () => {
      const parts = [Buffer.from(`*${args.length}\r\n`)];
      for (const a of args) {
        const b = Buffer.from(String(a));
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
      }
      s.write(Buffer.concat(parts));
    });
  });
}

/** A redis-server child on 127.0.0.1 (no persistence), killed by cleanup() like every Proc. */
export class RedisServer {
  constructor(bin, port) {
    this.bin = bin;
    this.port = port;
    this.proc = null;
  }

  /** Starts it (again, on the same port) and waits until it answers PING. */
  async start(timeout = 10000) {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()];
    this.proc = new Proc('redis-server', this.bin, args);
    const end = Date.now() + timeout;
    for (;;) {
      if (!this.proc.running) throw new Error(`redis-server exited (${fmt(this.proc.exitInfo)}); output:\n${this.proc.tail()}`);
      try {
        if ((await this.cmd('PING')) === 'PONG') return this;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > end) throw new Error(`redis-server on port ${this.port}: no PONG within ${timeout} ms; output:\n${this.proc.tail()}`);
      await sleep(50);
    }
  }

  cmd(...args) {
    return redisCommand(this.port, args);
  }

  /** SIGKILL (a crash: connections are cut, nothing is saved); waits for the exit. */
  async kill() {
    if (!this.proc?.running) return;
    this.proc.signal('SIGKILL');
    await this.proc.waitExit(5000);
  }

  stop() {
    return this.proc?.stop();
  }
}

/** Starts redis-server on a free loopback port (or `port`); throws when there is no redis-server. */
export async function startRedis({ port } = {}) {
  const bin = redisServerBin();
  if (!bin) throw new Error('redis-server is not installed (scripts/deps.sh installs it)');
  return new RedisServer(bin, port ?? (await closedPort())).start();
}

/**
 * Sends several commands on one connection (e.g. AUTH, SELECT, KEYS) and
 * resolves to the array of replies, in order.
 */
export function redisPipeline(port, cmds, timeout = 2000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`redis pipeline on ${port}: no reply within ${timeout} ms`));
    }, timeout);
    s.once('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const out = [];
      let at = 0;
      while (out.length < cmds.length) {
        const r = parseResp(buf, at);
        if (!r) return;
        out.push(r.value);
        at = r.next;
      }
      clearTimeout(t);
      s.destroy();
      resolve(out);
    });
    s.once('connect', () => {
      const parts = [];
      for (const args of cmds) {
        parts.push(Buffer.from(`*${args.length}\r\n`));
        for (const a of args) {
          const b = Buffer.from(String(a));
          parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
        }
      }
      s.write(Buffer.concat(parts));
    });
  });
}

/** redis-server with `requirepass` on a free loopback port; resolves to {port, proc, cmd(...cmds)}. */
export async function startRedisWithPassword(password, timeout = 10000) {
  const bin = redisServerBin();
  if (!bin) throw new Error('redis-server is not installed (scripts/deps.sh installs it)');
  const port = await closedPort();
  const proc = new Proc('redis-server', bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir(), '--requirepass', password]);
  const end = Date.now() + timeout;
  for (;;) {
    try {
      const [auth] = await redisPipeline(port, [['AUTH', password]]);
      if (auth === 'OK') break;
    } catch {
      /* not listening yet */
    }
    if (!proc.running || Date.now() > end) throw new Error(`redis-server (requirepass) on ${port} did not start:\n${proc.tail()}`);
    await sleep(50);
  }
  return { port, proc, cmd: (...cmds) => redisPipeline(port, [['AUTH', password], ...cmds]) };
}
