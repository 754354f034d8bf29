/**
 * The program one Node process runs to check one JavaScript/TypeScript answer (see javascript.ts).
 *
 * It is a string because the extension ships as one bundle: javascript.ts writes it into the sandbox's temp folder
 * as harness.js. Everything it gets is already plain CommonJS JavaScript (the host strips TypeScript with sucrase).
 *
 * Protocol: stdin is `<nonce>\n<job JSON>`, read whole BEFORE any code runs; every line the harness reports is
 * `<nonce> <JSON>` written straight to fd 1 with functions captured at start-up. The code's console and
 * process.stdout/stderr are captured inside its vm context and never reach the real stdout, so an answer that prints
 * a result line cannot make itself pass (it does not know the nonce).
 *
 * This keeps honest mistakes and printed "PASS" lines from passing; it is not a boundary against code written to
 * attack the checker (vm contexts share the process: a host function's constructor reaches this realm). Keeping the
 * code from the machine is the sandbox's job.
 *
 * Each check runs with `vm` and a timeout (its share of the run's time), so a synchronous endless loop fails that
 * check only. An endless loop started later from a timer or a microtask blocks the process; the host then fails the
 * check that was running and skips the rest.
 *
 * Written without backticks and dollar-brace so it can live in String.raw.
 */
export const NODE_HARNESS = String.raw`'use strict';
const vm = require('vm');
const fs = require('fs');
const nodeAssert = require('assert');
const BUILTINS = new Set(require('module').builtinModules);
const hostRequire = require;
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const parseJson = JSON.parse;
const now = Date.now;
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;
const exitNow = process.exit.bind(process);
const toStr = Object.prototype.toString;
const hasOwn = Object.prototype.hasOwnProperty;
const IDENT = /^[A-Za-z_$][\w$]*$/;

const bufferFrom = Buffer.from.bind(Buffer);
const REPORT_KEYS = ['k', 'i', 'name', 'status', 'expected', 'got', 'detail', 'names'];

let nonce = '';
/** Writes one report line; built from own properties and primitives only, so a patched prototype cannot change it. */
function emit(msg) {
  let text = '{';
  for (let n = 0; n < REPORT_KEYS.length; n++) {
    const key = REPORT_KEYS[n];
    if (!hasOwn.call(msg, key)) continue;
    const value = msg[key];
    let json;
    if (typeof value === 'number') json = String(value);
    else if (typeof value === 'string') json = stringify(value);
    else if (Array.isArray(value)) {
      json = '[';
      for (let j = 0; j < value.length; j++) json += (j ? ',' : '') + stringify(String(value[j]));
      json += ']';
    } else continue;
    text += (text.length > 1 ? ',' : '') + stringify(key) + ':' + json;
  }
  let buf = bufferFrom(nonce + ' ' + text + '}\n', 'utf8');
  for (let tries = 0; buf.length > 0 && tries < 100000; tries++) {
    try { const n = writeSync(1, buf); buf = buf.subarray(n); }
    catch (e) { if (!e || e.code !== 'EAGAIN') return; }
  }
}

function cut(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

/** A realm-independent description, used both to compare values and to show them. loose: ignore class names and undefined properties. */
function show(v, loose, depth, seen) {
  depth = depth || 0;
  seen = seen || [];
  const t = typeof v;
  if (v === null) return 'null';
  if (t === 'undefined') return 'undefined';
  if (t === 'number') return v !== v ? 'NaN' : v === 0 ? '0' : String(v);
  if (t === 'bigint') return String(v) + 'n';
  if (t === 'string') return stringify(v);
  if (t === 'boolean') return String(v);
  if (t === 'symbol') return v.toString();
  if (t === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
  if (seen.indexOf(v) >= 0) return '[Circular]';
  if (depth > 12) return '[Object]';
  seen = seen.concat([v]);
  const inner = function (x) { return show(x, loose, depth + 1, seen); };
  try {
    const tag = toStr.call(v);
    if (Array.isArray(v)) {
      const parts = [];
      for (let i = 0; i < v.length && i < 10000; i++) parts.push(inner(v[i]));
      return '[' + parts.join(', ') + ']';
    }
    if (tag === '[object Date]') return 'Date(' + (isNaN(v.getTime()) ? 'Invalid' : v.toISOString()) + ')';
    if (tag === '[object RegExp]') return String(v);
    if (tag === '[object Map]') {
      const parts = [];
      v.forEach(function (val, key) { parts.push(inner(key) + ' => ' + inner(val)); });
      return 'Map {' + parts.sort().join(', ') + '}';
    }
    if (tag === '[object Set]') {
      const parts = [];
      v.forEach(function (val) { parts.push(inner(val)); });
      return 'Set {' + parts.sort().join(', ') + '}';
    }
    if (tag === '[object Error]') return (v.name || 'Error') + ': ' + v.message;
    if (tag === '[object Promise]') return 'Promise';
    if (ArrayBuffer.isView(v)) return tag.slice(8, -1) + ' [' + Array.prototype.join.call(v, ', ') + ']';
    if (tag === '[object Number]' || tag === '[object String]' || tag === '[object Boolean]') return tag.slice(8, -1) + '(' + show(v.valueOf()) + ')';
    const proto = Object.getPrototypeOf(v);
    let name = '';
    if (!loose) {
      if (proto === null) name = '[null prototype] ';
      else {
        const ctor = proto.constructor;
        const cn = ctor && ctor.name;
        if (cn && cn !== 'Object') name = cn + ' ';
      }
    }
    const parts = [];
    for (const key of Object.keys(v).sort()) {
      const val = v[key];
      if (loose && val === undefined) continue;
      parts.push((IDENT.test(key) ? key : stringify(key)) + ': ' + inner(val));
    }
    return name + '{' + parts.join(', ') + '}';
  } catch (e) {
    return '[unreadable]';
  }
}

function errName(e) {
  if (e && (typeof e === 'object' || typeof e === 'function')) {
    try { return String(e.name || (e.constructor && e.constructor.name) || 'Error'); } catch (x) { return 'Error'; }
  }
  return 'a thrown ' + typeof e;
}
function errText(e) {
  if (e && typeof e === 'object') {
    try { return errName(e) + ': ' + String(e.message); } catch (x) { return 'Error'; }
  }
  return 'throw ' + show(e);
}
function isTimeout(e) { return !!e && typeof e === 'object' && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'; }

function unsupported(what) {
  const e = new Error(what + ' is not supported by the checker');
  e.mrUnsupported = true;
  return e;
}

/** Compiles and runs source in ctx with a timeout: { value } | { error } | { timeout } | { syntax }. */
function runIn(ctx, source, filename, ms) {
  let script;
  try { script = new vm.Script(source, { filename: filename }); } catch (e) { return { syntax: e }; }
  try { return { value: script.runInContext(ctx, { timeout: Math.max(1, Math.floor(ms)) }) }; }
  catch (e) { return isTimeout(e) ? { timeout: true } : { error: e }; }
}

const CALL = new vm.Script('globalThis.__mrCall__()', { filename: 'check.js' });
/** Calls thunk inside ctx so that the vm timeout covers everything it runs synchronously. */
function callIn(ctx, thunk, ms) {
  ctx.__mrCall__ = thunk;
  try { return { value: CALL.runInContext(ctx, { timeout: Math.max(1, Math.floor(ms)) }) }; }
  catch (e) { return isTimeout(e) ? { timeout: true } : { error: e }; }
  finally { try { delete ctx.__mrCall__; } catch (x) { /* gone */ } }
}

/** Awaits a thenable result for at most ms. */
async function settle(r, ms) {
  if (!r || !('value' in r)) return r;
  const v = r.value;
  let then;
  try { then = v !== null && (typeof v === 'object' || typeof v === 'function') ? v.then : undefined; } catch (e) { return { error: e }; }
  if (typeof then !== 'function') return r;
  return race(Promise.resolve(v).then(function (value) { return { value: value }; }, function (error) { return { error: error }; }), ms);
}
function race(promise, ms) {
  let timer;
  const late = new Promise(function (resolve) { timer = realSetTimeout(function () { resolve({ timeout: true }); }, Math.max(1, Math.floor(ms))); });
  return Promise.race([promise, late]).finally(function () { realClearTimeout(timer); });
}

function makeContext(log, extraGlobals) {
  const record = function (args) {
    if (log.text.length > 4000) return;
    const parts = [];
    for (const a of args) parts.push(typeof a === 'string' ? a : show(a, true));
    log.text += parts.join(' ') + '\n';
  };
  const noop = function () {};
  const cons = {
    log: function () { record(arguments); }, info: function () { record(arguments); }, debug: function () { record(arguments); },
    warn: function () { record(arguments); }, error: function () { record(arguments); }, trace: function () { record(arguments); },
    dir: function () { record(arguments); }, table: function () { record(arguments); },
    time: noop, timeEnd: noop, timeLog: noop, group: noop, groupEnd: noop, groupCollapsed: noop, count: noop, countReset: noop,
    assert: function (cond) {
      if (cond) return;
      const rest = Array.prototype.slice.call(arguments, 1).join(' ');
      throw new nodeAssert.AssertionError({ message: 'console.assert failed' + (rest ? ': ' + rest : ''), actual: cond, expected: true, operator: '==' });
    },
  };
  const stream = { write: function (s) { record([String(s)]); return true; }, isTTY: false, columns: 80, on: function () { return stream; } };
  const fakeProcess = {
    env: { NODE_ENV: 'test' }, argv: ['node', 'answer.js'], argv0: 'node', execArgv: [], platform: process.platform, arch: process.arch,
    version: process.version, versions: process.versions, pid: process.pid, release: process.release,
    cwd: function () { return process.cwd(); }, nextTick: function () { return process.nextTick.apply(process, arguments); },
    hrtime: process.hrtime, memoryUsage: process.memoryUsage, uptime: process.uptime, emitWarning: noop,
    stdout: stream, stderr: stream,
    exit: function (code) { throw new Error('the code called process.exit(' + (code === undefined ? '' : code) + ')'); },
    on: function () { return fakeProcess; }, once: function () { return fakeProcess; }, off: function () { return fakeProcess; },
  };
  const globals = {
    console: cons, process: fakeProcess, Buffer: Buffer, setTimeout: setTimeout, clearTimeout: clearTimeout, setInterval: setInterval,
    clearInterval: clearInterval, setImmediate: setImmediate, clearImmediate: clearImmediate, queueMicrotask: queueMicrotask,
    structuredClone: structuredClone, URL: URL, URLSearchParams: URLSearchParams, TextEncoder: TextEncoder, TextDecoder: TextDecoder,
    AbortController: AbortController, AbortSignal: AbortSignal, atob: atob, btoa: btoa, performance: performance,
    crypto: globalThis.crypto, EventTarget: EventTarget, Event: Event, assert: nodeAssert, expect: expect,
  };
  for (const key of Object.keys(extraGlobals || {})) globals[key] = extraGlobals[key];
  const ctx = vm.createContext(globals);
  ctx.global = vm.runInContext('globalThis', ctx);
  return { ctx: ctx, process: fakeProcess };
}

/** require inside a check: Node built-ins, the given shims, and (for generated tests) relative paths. */
function makeRequire(fakeProcess, shims, relative) {
  return function require(name) {
    name = String(name);
    if (shims && hasOwn.call(shims, name)) {
      const shim = shims[name];
      if (shim instanceof Error) throw shim;
      return shim;
    }
    const bare = name.indexOf('node:') === 0 ? name.slice(5) : name;
    if (bare === 'process') return fakeProcess;
    if (BUILTINS.has(bare)) return hostRequire(name);
    if (relative && (name[0] === '.' || name[0] === '/')) return relative(name);
    throw new Error("require('" + name + "'): a check can load only Node's built-in modules" +
      (name[0] === '.' || name[0] === '/' ? ' (the answer runs alone: there is no other file of the project to import)' : ' (the project\'s node_modules are not available)'));
  };
}

function loadScript(env, code, filename, ms, shims, relative) {
  const mod = { exports: {} };
  env.ctx.module = mod;
  env.ctx.exports = mod.exports;
  env.ctx.require = makeRequire(env.process, shims, relative);
  const r = runIn(env.ctx, code, filename, ms);
  if (r.syntax) return { module: mod, error: 'it does not parse: ' + errText(r.syntax) };
  if (r.timeout) return { module: mod, error: 'its top-level code did not finish in ' + Math.floor(ms) + ' ms' };
  if (r.error) return { module: mod, error: 'it throws when loaded: ' + errText(r.error), unsupported: !!(r.error && r.error.mrUnsupported) };
  return { module: mod };
}

function failure(e) {
  const out = { status: 'failed', detail: cut(errText(e), 300) };
  if (e && typeof e === 'object') {
    try {
      if (typeof e.mrExpected === 'string') { out.expected = cut(e.mrExpected, 200); out.got = cut(e.mrGot, 200); }
      else if ('expected' in e || 'actual' in e) { out.expected = cut(show(e.expected), 200); out.got = cut(show(e.actual), 200); }
    } catch (x) { /* unreadable */ }
  }
  return out;
}
function outcome(r) {
  if (r.timeout) return 'did not finish in time';
  if (r.error !== undefined) return 'throws ' + errText(r.error);
  return show(r.value);
}

// ---- checks: examples, asserts, differential ----

async function runChecks(job) {
  const started = now();
  const answerLog = { text: '' };
  let answer = null;
  let answerError = null;
  if (job.answer) {
    emit({ k: 'load' });
    answer = makeContext(answerLog);
    const loaded = loadScript(answer, job.answer, 'answer.js', job.loadMs);
    if (loaded.error) answerError = 'The answer cannot run: ' + loaded.error;
  }
  let original = null;
  let originalError = null;
  if (job.original && job.checks.some(function (c) { return c.kind === 'differential'; })) {
    original = makeContext({ text: '' });
    const loaded = loadScript(original, job.original, 'original.js', job.loadMs);
    if (loaded.error) originalError = 'the original code cannot run on its own (' + loaded.error + ')';
  }
  const literals = vm.createContext({});
  const per = Math.max(50, Math.floor((job.budgetMs - (now() - started)) / Math.max(1, job.checks.length)));
  for (let i = 0; i < job.checks.length; i++) {
    const check = job.checks[i];
    emit({ k: 'start', i: i });
    let result;
    try {
      result = await runCheck(check, answer, answerError, original, originalError, literals, per, job);
    } catch (e) {
      result = { status: 'failed', detail: cut('the check could not run: ' + errText(e), 300) };
    }
    result.k = 'result';
    result.i = i;
    emit(result);
  }
}

async function runCheck(check, answer, answerError, original, originalError, literals, per, job) {
  if (check.skip) return { status: 'skipped', detail: check.skip };
  if (check.kind === 'differential') {
    if (!original) return { status: 'skipped', detail: job.originalSkip || 'the original code is not available' };
    if (originalError) return { status: 'skipped', detail: cut(originalError, 300) };
    const before = await settle(runIn(original.ctx, check.script, 'check.js', per / 2), per / 2);
    if (before.syntax) return { status: 'skipped', detail: cut('the call does not parse: ' + errText(before.syntax), 300) };
    if (before.timeout) return { status: 'skipped', detail: 'the call does not finish on the original code either' };
    if (before.error !== undefined && errName(before.error) === 'ReferenceError') {
      return { status: 'skipped', detail: cut('the call does not run on the original code either: ' + errText(before.error), 300) };
    }
    if (!answer) return { status: 'skipped', detail: job.answerSkip };
    if (answerError) return { status: 'failed', detail: cut(answerError, 300) };
    const after = await settle(runIn(answer.ctx, check.script, 'check.js', per / 2), per / 2);
    const same = before.error !== undefined
      ? after.error !== undefined && errName(after.error) === errName(before.error)
      : 'value' in after && show(after.value) === show(before.value);
    if (same) return { status: 'passed' };
    return {
      status: 'failed', expected: cut(outcome(before), 200), got: cut(outcome(after), 200),
      detail: after.timeout ? 'the new code did not finish in ' + Math.floor(per / 2) + ' ms (an endless loop?)' : 'the new code behaves differently from the original on this call',
    };
  }
  if (!answer) return { status: 'skipped', detail: job.answerSkip };
  if (answerError) return { status: 'failed', detail: cut(answerError, 300) };
  if (check.kind === 'example') {
    let want;
    if (check.throws === undefined) {
      const lit = runIn(literals, '(' + check.expected + '\n)', 'expected.js', 100);
      if (!('value' in lit)) return { status: 'skipped', detail: cut('the expected value is not a JavaScript literal, so nothing to compare with: ' + check.expected, 300) };
      want = lit.value;
    }
    const r = await settle(runIn(answer.ctx, check.script, 'check.js', per), per);
    if (r.syntax) return { status: 'skipped', detail: cut('the example does not parse: ' + errText(r.syntax), 300) };
    if (r.timeout) return { status: 'failed', expected: cut(check.expected, 200), got: 'no result', detail: 'did not finish in ' + per + ' ms (an endless loop?)' };
    if (check.throws !== undefined) {
      if (r.error !== undefined && (check.throws === '' || errName(r.error) === check.throws)) return { status: 'passed' };
      return { status: 'failed', expected: cut('throws ' + (check.throws || 'an error'), 200), got: cut(outcome(r), 200) };
    }
    const unknown = undefinedName(r, job, check);
    if (unknown) return { status: 'skipped', detail: cut('the example uses ' + unknown + ', which neither the selection nor the answer defines', 300) };
    if (r.error !== undefined) return { status: 'failed', expected: cut(show(want), 200), got: cut(outcome(r), 200), detail: cut(errText(r.error), 300) };
    if (show(r.value, true) === show(want, true)) return { status: 'passed' };
    return { status: 'failed', expected: cut(show(want), 200), got: cut(show(r.value), 200) };
  }
  // assert / expect
  const r = await settle(runIn(answer.ctx, check.script, 'check.js', per), per);
  if (r.syntax) return { status: 'skipped', detail: cut('the assertion does not parse: ' + errText(r.syntax), 300) };
  const unknown = undefinedName(r, job, check);
  if (unknown) return { status: 'skipped', detail: cut('the assertion uses ' + unknown + ', which neither the selection nor the answer defines (a placeholder?)', 300) };
  if (r.timeout) return { status: 'failed', detail: 'did not finish in ' + per + ' ms (an endless loop?)' };
  if (r.error !== undefined) {
    if (r.error && r.error.mrUnsupported) return { status: 'skipped', detail: cut(String(r.error.message), 300) };
    return failure(r.error);
  }
  return { status: 'passed' };
}

/**
 * The name a check's ReferenceError is about, when neither the selection nor the answer mentions it and the check
 * does not call it: the request's check uses a placeholder (assert(condition)), which is not the answer's fault. A
 * name the selection has and the answer dropped, or a function the check calls, is the answer's fault.
 */
function undefinedName(r, job, check) {
  if (r.error === undefined || errName(r.error) !== 'ReferenceError') return undefined;
  const name = /^([A-Za-z_$][\w$]*) is not defined/.exec(String(r.error.message));
  if (!name) return undefined;
  const escaped = name[1].replace(/\$/g, '\\$');
  // A name the check calls or constructs is what the request asks the code to provide: missing it is a failure.
  const called = new RegExp('(^|[^\\w$.])' + escaped + '\\s*[(<]|new\\s+' + escaped + '($|[^\\w$])');
  if (called.test(check.script || '')) return undefined;
  const word = new RegExp('(^|[^\\w$])' + escaped + '($|[^\\w$])');
  return word.test(job.answer || '') || word.test(job.originalText || '') ? undefined : name[1];
}

// ---- expect, jest.fn ----

function expectError(message, expected, got) {
  const e = new Error(message);
  e.name = 'AssertionError';
  e.mrExpected = expected;
  e.mrGot = got;
  return e;
}

function throwMatches(err, expected) {
  if (expected === undefined) return true;
  const message = err && typeof err === 'object' ? String(err.message) : String(err);
  if (typeof expected === 'string') return message.indexOf(expected) >= 0;
  if (expected && toStr.call(expected) === '[object RegExp]') return expected.test(message);
  if (typeof expected === 'function') return err instanceof expected || errName(err) === expected.name;
  if (expected && typeof expected === 'object') return message === String(expected.message);
  return false;
}

function matchesObject(actual, pattern) {
  if (pattern === null || typeof pattern !== 'object') return show(actual, true) === show(pattern, true);
  if (actual === null || typeof actual !== 'object') return false;
  if (Array.isArray(pattern)) return Array.isArray(actual) && actual.length === pattern.length && pattern.every(function (p, i) { return matchesObject(actual[i], p); });
  return Object.keys(pattern).every(function (k) { return k in actual && matchesObject(actual[k], pattern[k]); });
}

function makeMatchers(actual, negated, mode) {
  const check = function (pass, what, expected, got) {
    if (Boolean(pass) !== negated) return;
    throw expectError('expect(received).' + (negated ? 'not.' : '') + what + ' failed', (negated ? 'not ' : '') + expected, got);
  };
  const calls = function () {
    if (typeof actual !== 'function' || !actual.mock) throw unsupported('a call matcher on a value that is not jest.fn()/vi.fn()');
    return actual.mock.calls;
  };
  const m = {
    toBe: function (e) { check(Object.is(actual, e) || (actual === 0 && e === 0), 'toBe', show(e), show(actual)); },
    toEqual: function (e) { check(show(actual, true) === show(e, true), 'toEqual', show(e), show(actual)); },
    toStrictEqual: function (e) { check(show(actual) === show(e), 'toStrictEqual', show(e), show(actual)); },
    toBeTruthy: function () { check(!!actual, 'toBeTruthy', 'truthy', show(actual)); },
    toBeFalsy: function () { check(!actual, 'toBeFalsy', 'falsy', show(actual)); },
    toBeNull: function () { check(actual === null, 'toBeNull', 'null', show(actual)); },
    toBeUndefined: function () { check(actual === undefined, 'toBeUndefined', 'undefined', show(actual)); },
    toBeDefined: function () { check(actual !== undefined, 'toBeDefined', 'defined', show(actual)); },
    toBeNaN: function () { check(actual !== actual, 'toBeNaN', 'NaN', show(actual)); },
    toBeCloseTo: function (e, digits) {
      const d = digits === undefined ? 2 : digits;
      check(Math.abs(e - actual) < Math.pow(10, -d) / 2, 'toBeCloseTo', show(e) + ' (' + d + ' digits)', show(actual));
    },
    toBeGreaterThan: function (e) { check(actual > e, 'toBeGreaterThan', '> ' + show(e), show(actual)); },
    toBeGreaterThanOrEqual: function (e) { check(actual >= e, 'toBeGreaterThanOrEqual', '>= ' + show(e), show(actual)); },
    toBeLessThan: function (e) { check(actual < e, 'toBeLessThan', '< ' + show(e), show(actual)); },
    toBeLessThanOrEqual: function (e) { check(actual <= e, 'toBeLessThanOrEqual', '<= ' + show(e), show(actual)); },
    toContain: function (e) {
      const has = typeof actual === 'string' ? actual.indexOf(e) >= 0 : actual != null && Array.from(actual).some(function (x) { return Object.is(x, e); });
      check(has, 'toContain', 'containing ' + show(e), show(actual));
    },
    toContainEqual: function (e) {
      const has = actual != null && Array.from(actual).some(function (x) { return show(x, true) === show(e, true); });
      check(has, 'toContainEqual', 'containing ' + show(e), show(actual));
    },
    toHaveLength: function (n) { check(actual != null && actual.length === n, 'toHaveLength', 'length ' + n, actual == null ? show(actual) : 'length ' + actual.length); },
    toMatch: function (e) {
      const ok = typeof actual === 'string' && (typeof e === 'string' ? actual.indexOf(e) >= 0 : e.test(actual));
      check(ok, 'toMatch', String(e), show(actual));
    },
    toMatchObject: function (e) { check(matchesObject(actual, e), 'toMatchObject', show(e, true), show(actual, true)); },
    toHaveProperty: function (path, value) {
      const keys = Array.isArray(path) ? path : String(path).split('.');
      let cur = actual;
      let found = true;
      for (const k of keys) {
        if (cur != null && (typeof cur === 'object' || typeof cur === 'function') && k in cur) cur = cur[k];
        else { found = false; break; }
      }
      const ok = found && (arguments.length < 2 || show(cur, true) === show(value, true));
      check(ok, 'toHaveProperty', String(path) + (arguments.length < 2 ? '' : ' = ' + show(value)), found ? show(cur) : 'no such property');
    },
    toBeInstanceOf: function (cls) { check(actual instanceof cls, 'toBeInstanceOf', 'instance of ' + (cls && cls.name), show(actual)); },
    toThrow: function (e) {
      let threw = false;
      let err;
      if (mode === 'rejects') { threw = true; err = actual; }
      else {
        if (typeof actual !== 'function') throw expectError('expect(received).toThrow() needs a function', 'a function', show(actual));
        try { actual(); } catch (x) { threw = true; err = x; }
      }
      const ok = negated ? threw : threw && throwMatches(err, e);
      check(negated ? !ok : ok, 'toThrow', 'throws' + (e === undefined ? '' : ' ' + show(e)), threw ? 'throws ' + errText(err) : 'no error');
    },
    toHaveBeenCalled: function () { check(calls().length > 0, 'toHaveBeenCalled', 'called', calls().length + ' calls'); },
    toHaveBeenCalledTimes: function (n) { check(calls().length === n, 'toHaveBeenCalledTimes', n + ' calls', calls().length + ' calls'); },
    toHaveBeenCalledWith: function () {
      const want = show(Array.prototype.slice.call(arguments), true);
      check(calls().some(function (c) { return show(c, true) === want; }), 'toHaveBeenCalledWith', want, show(calls(), true));
    },
    toHaveBeenLastCalledWith: function () {
      const want = show(Array.prototype.slice.call(arguments), true);
      const all = calls();
      check(all.length > 0 && show(all[all.length - 1], true) === want, 'toHaveBeenLastCalledWith', want, show(all, true));
    },
  };
  m.toThrowError = m.toThrow;
  m.toBeCalled = m.toHaveBeenCalled;
  m.toBeCalledWith = m.toHaveBeenCalledWith;
  m.toBeCalledTimes = m.toHaveBeenCalledTimes;
  return m;
}

function guard(target) {
  return new Proxy(target, {
    get: function (t, p) {
      if (typeof p === 'string' && !(p in t) && p !== 'then') return function () { throw unsupported('expect(...).' + p + '()'); };
      return t[p];
    },
  });
}

function expect(actual) {
  const base = makeMatchers(actual, false, 'value');
  base.not = guard(makeMatchers(actual, true, 'value'));
  const later = function (negated, rejects) {
    const names = Object.keys(makeMatchers(actual, negated, 'value'));
    const out = {};
    for (const name of names) {
      out[name] = function () {
        const args = arguments;
        return Promise.resolve(actual).then(
          function (v) {
            if (rejects) throw expectError('expected the promise to reject', 'a rejection', 'resolved to ' + show(v));
            const mm = makeMatchers(v, negated, 'value');
            return mm[name].apply(null, args);
          },
          function (e) {
            if (!rejects) throw expectError('expected the promise to resolve', 'a value', 'rejected with ' + errText(e));
            const mm = makeMatchers(e, negated, 'rejects');
            return mm[name].apply(null, args);
          },
        );
      };
    }
    return guard(out);
  };
  base.resolves = later(false, false);
  base.rejects = later(false, true);
  return guard(base);
}
['any', 'anything', 'objectContaining', 'arrayContaining', 'stringContaining', 'stringMatching', 'assertions', 'hasAssertions', 'extend'].forEach(function (name) {
  expect[name] = function () { throw unsupported('expect.' + name + '()'); };
});

function mockFn(impl) {
  const mock = function () {
    const args = Array.prototype.slice.call(arguments);
    mock.mock.calls.push(args);
    const f = mock._once.length ? mock._once.shift() : mock._impl;
    const value = f ? f.apply(this, args) : undefined;
    mock.mock.results.push({ type: 'return', value: value });
    return value;
  };
  mock.mock = { calls: [], results: [] };
  mock._impl = impl;
  mock._once = [];
  mock.mockImplementation = function (f) { mock._impl = f; return mock; };
  mock.mockImplementationOnce = function (f) { mock._once.push(f); return mock; };
  mock.mockReturnValue = function (v) { mock._impl = function () { return v; }; return mock; };
  mock.mockReturnValueOnce = function (v) { mock._once.push(function () { return v; }); return mock; };
  mock.mockResolvedValue = function (v) { mock._impl = function () { return Promise.resolve(v); }; return mock; };
  mock.mockRejectedValue = function (v) { mock._impl = function () { return Promise.reject(v); }; return mock; };
  mock.mockClear = function () { mock.mock.calls = []; mock.mock.results = []; return mock; };
  mock.mockReset = function () { mock.mockClear(); mock._impl = undefined; mock._once = []; return mock; };
  return mock;
}
const jestShim = {
  fn: mockFn,
  spyOn: function (obj, name) {
    const orig = obj[name];
    const m = mockFn(function () { return orig.apply(this, arguments); });
    m.mockRestore = function () { obj[name] = orig; };
    obj[name] = m;
    return m;
  },
  clearAllMocks: function () {}, resetAllMocks: function () {}, restoreAllMocks: function () {},
};
['mock', 'doMock', 'useFakeTimers', 'advanceTimersByTime', 'runAllTimers', 'setSystemTime'].forEach(function (name) {
  jestShim[name] = function () { throw unsupported('jest.' + name + '() / vi.' + name + '()'); };
});

// ---- generated tests (describe/it/test, hooks) ----

async function runTests(job) {
  const started = now();
  const log = { text: '' };
  const root = { name: '', parent: null, items: [], before: [], after: [], beforeEach: [], afterEach: [], skip: false };
  let current = root;
  const suite = function (skip) {
    return function (name, fn) {
      const s = { name: String(name), parent: current, items: [], before: [], after: [], beforeEach: [], afterEach: [], skip: skip || current.skip };
      current.items.push({ suite: s });
      const prev = current;
      current = s;
      try { if (typeof fn === 'function') fn.call({ timeout: function () {} }); } finally { current = prev; }
    };
  };
  const testFn = function (skip, nodeTest) {
    return function (name, a, b) {
      // (name, fn), (name, fn, timeout) and node:test's (name, options, fn)
      const fn = typeof a === 'function' ? a : b;
      const skipped = skip || current.skip || typeof fn !== 'function' || !!(a && typeof a === 'object' && (a.skip || a.todo));
      current.items.push({ test: { name: String(name), fn: fn, skip: skipped, nodeTest: !!nodeTest } });
    };
  };
  const format = function (title, args) {
    let n = 0;
    return String(title).replace(/%[sidfpjo#%]/g, function (m) {
      if (m === '%%') return '%';
      if (m === '%#') return String(n);
      const v = args[n++];
      return typeof v === 'string' && m === '%s' ? v : show(v, true);
    });
  };
  const each = function (base) {
    return function (table) {
      return function (title, fn) {
        Array.from(table).forEach(function (row, index) {
          const args = Array.isArray(row) ? row : [row];
          const name = format(title, args).replace(/\$(\w+)/g, function (m, key) { return row && typeof row === 'object' && key in row ? show(row[key], true) : m; });
          base(name + (name === String(title) ? ' [' + index + ']' : ''), function () { return fn.apply(this, args); });
        });
      };
    };
  };
  const describe = suite(false);
  describe.skip = suite(true);
  describe.only = describe;
  describe.each = each(describe);
  const it = testFn(false);
  it.skip = testFn(true);
  it.only = it;
  it.todo = function (name) { current.items.push({ test: { name: String(name), skip: true } }); };
  it.each = each(it);
  const hook = function (kind) { return function (fn) { if (typeof fn === 'function') current[kind].push(fn); }; };
  const api = {
    describe: describe, suite: describe, context: describe, xdescribe: describe.skip,
    it: it, test: it, specify: it, xit: it.skip, xtest: it.skip,
    beforeEach: hook('beforeEach'), afterEach: hook('afterEach'), beforeAll: hook('before'), afterAll: hook('after'),
    before: hook('before'), after: hook('after'), expect: expect, jest: jestShim, vi: jestShim, assert: nodeAssert,
  };
  // node:test passes a test context, not a done callback, to a one-parameter test function.
  const nodeTest = testFn(false, true);
  nodeTest.skip = testFn(true, true);
  nodeTest.only = nodeTest;
  nodeTest.todo = it.todo;
  nodeTest.test = nodeTest;
  nodeTest.describe = describe;
  nodeTest.it = nodeTest;
  nodeTest.before = api.before;
  nodeTest.after = api.after;
  nodeTest.beforeEach = api.beforeEach;
  nodeTest.afterEach = api.afterEach;
  nodeTest.mock = { fn: mockFn };
  const env = makeContext(log, api);
  const chai = unsupported("chai (expect(x).to.equal(y)); use jest/vitest expect or node:assert");
  const shims = { vitest: api, '@jest/globals': api, mocha: api, 'node:test': nodeTest, chai: chai, 'chai/register-expect': chai, 'chai/register-should': chai };

  // The current code, importable under any relative path (and under its own base name).
  let currentModule = null;
  let currentError = job.originalSkip || null;
  if (job.original && !currentError) {
    const loaded = loadScript(env, job.original, job.moduleName, job.loadMs, shims);
    if (loaded.error) currentError = 'the current code cannot run on its own: ' + loaded.error;
    else currentModule = loaded.module;
  }
  const single = function (status, detail) { emit({ k: 'test', name: 'the generated tests', status: status, detail: cut(detail, 300) }); };
  if (currentError) return single('skipped', currentError);
  const exported = function () {
    const ex = currentModule.exports;
    if (ex === null || (typeof ex !== 'object' && typeof ex !== 'function') || typeof ex === 'function') return ex;
    return new Proxy(ex, {
      get: function (t, p) {
        if (p in t) return t[p];
        if (p === '__esModule') return true;
        if (typeof p === 'string' && p !== 'then' && IDENT.test(p)) {
          const r = runIn(env.ctx, 'typeof ' + p + " === 'undefined' ? undefined : " + p, 'lookup.js', 50);
          if ('value' in r) return r.value;
        }
        return undefined;
      },
    });
  };
  const base = String(job.moduleName || '').replace(/\.[^.\/]*$/, '');
  const testRequire = makeRequire(env.process, shims, function () { return exported(); });
  const requireTests = function (name) {
    if (base && name === base) return exported();
    return testRequire(name);
  };
  const wrapped = runIn(env.ctx, '(function (exports, require, module, __filename, __dirname) {' + job.tests + '\n})', 'answer.test.js', job.loadMs);
  let loadFail = wrapped.syntax ? 'the tests do not parse: ' + errText(wrapped.syntax) : wrapped.error !== undefined ? errText(wrapped.error) : null;
  if (!loadFail) {
    const mod = { exports: {} };
    const r = callIn(env.ctx, function () { return wrapped.value(mod.exports, requireTests, mod, '/project/answer.test.js', '/project'); }, job.loadMs);
    if (r.timeout) loadFail = 'the tests\' top-level code did not finish in ' + job.loadMs + ' ms';
    else if (r.error !== undefined) {
      if (r.error && r.error.mrUnsupported) return single('skipped', 'the tests cannot be run: ' + String(r.error.message));
      loadFail = 'the tests throw when loaded: ' + errText(r.error);
    }
  }
  if (loadFail) return single('failed', loadFail);

  const flat = [];
  const walk = function (s, path) {
    for (const item of s.items) {
      if (item.suite) walk(item.suite, path.concat([item.suite.name]));
      else flat.push({ name: path.concat([item.test.name]).join(' > '), test: item.test, suite: s });
    }
  };
  walk(root, []);
  if (flat.length > 500) flat.length = 500;
  for (const entry of flat) entry.name = cut(entry.name, 200);
  if (flat.length === 0) return single('failed', 'the answer defines no tests (no it()/test() call)');
  emit({ k: 'tests', names: flat.map(function (t) { return t.name; }) });
  const per = Math.max(50, Math.floor((job.budgetMs - (now() - started)) / flat.length));

  const mochaThis = { timeout: function () { return mochaThis; }, slow: function () { return mochaThis; }, retries: function () { return mochaThis; }, skip: function () { throw unsupported('this.skip()'); } };
  const nodeContext = function (name) {
    return { name: name, skip: function () { throw unsupported('t.skip()'); }, todo: function () { throw unsupported('t.todo()'); }, diagnostic: function () {}, plan: function () {},
      test: function () { throw unsupported('subtests (t.test())'); }, assert: nodeAssert, mock: { fn: mockFn } };
  };
  const runFn = async function (fn, asNodeTest, name) {
    if (asNodeTest) return settle(callIn(env.ctx, function () { return fn.call(undefined, nodeContext(name)); }, per), per);
    if (fn.length > 0) {
      let finish;
      const done = new Promise(function (resolve) { finish = resolve; });
      const cb = function (err) { finish(err ? { error: err } : { value: undefined }); };
      const r = callIn(env.ctx, function () { return fn.call(mochaThis, cb); }, per);
      if (!('value' in r)) return r;
      return race(done, per);
    }
    return settle(callIn(env.ctx, function () { return fn.call(mochaThis); }, per), per);
  };
  const chain = function (s) { const out = []; for (let x = s; x; x = x.parent) out.unshift(x); return out; };
  const beforeDone = new Map();
  for (let i = 0; i < flat.length; i++) {
    const entry = flat[i];
    emit({ k: 'start', i: i });
    let result;
    if (entry.test.skip) {
      result = { status: 'skipped', detail: 'skipped by the tests themselves (it.skip / it.todo)' };
    } else {
      let hookError = null;
      for (const s of chain(entry.suite)) {
        if (!beforeDone.has(s)) {
          let err = null;
          for (const fn of s.before) {
            const r = await runFn(fn);
            if (!('value' in r)) { err = r.timeout ? 'did not finish in ' + per + ' ms' : errText(r.error); break; }
          }
          beforeDone.set(s, err);
        }
        if (beforeDone.get(s)) { hookError = 'a beforeAll hook failed: ' + beforeDone.get(s); break; }
      }
      if (!hookError) {
        for (const s of chain(entry.suite)) {
          for (const fn of s.beforeEach) {
            const r = await runFn(fn);
            if (!('value' in r)) { hookError = 'a beforeEach hook failed: ' + (r.timeout ? 'did not finish in ' + per + ' ms' : errText(r.error)); break; }
          }
          if (hookError) break;
        }
      }
      if (hookError) result = { status: 'failed', detail: cut(hookError, 300) };
      else {
        const r = await runFn(entry.test.fn, entry.test.nodeTest, entry.name);
        if (r.timeout) result = { status: 'failed', detail: 'did not finish in ' + per + ' ms (an endless loop, or a done callback never called?)' };
        else if (r.error !== undefined) result = r.error && r.error.mrUnsupported ? { status: 'skipped', detail: cut(String(r.error.message), 300) } : failure(r.error);
        else result = { status: 'passed' };
        for (const s of chain(entry.suite).reverse()) for (const fn of s.afterEach) await runFn(fn);
      }
    }
    result.k = 'test';
    result.i = i;
    result.name = entry.name;
    emit(result);
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', function (chunk) { input += chunk; });
process.stdin.on('end', function () {
  const nl = input.indexOf('\n');
  nonce = input.slice(0, nl);
  let job;
  try { job = parseJson(input.slice(nl + 1)); } catch (e) { process.stderr.write('harness: bad job\n'); exitNow(3); return; }
  input = '';
  emit({ k: 'ready' });
  (job.mode === 'tests' ? runTests(job) : runChecks(job)).then(
    function () { emit({ k: 'done' }); exitNow(0); },
    function (e) { process.stderr.write('harness: ' + errText(e) + '\n'); exitNow(4); },
  );
});
`;
