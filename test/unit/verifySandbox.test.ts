import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:net';
import { homedir, release, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { detectSandbox, hiddenFolders } from '../../src/core/verify/isolation';
import { detectRuntimes } from '../../src/core/verify/runtimes';
import type { Sandbox, SandboxResult, SandboxSpec } from '../../src/core/verify/sandbox';
import { runWrapped, withLimits } from '../../src/core/verify/sandbox';
import type { IsolationLevel, Runtime } from '../../src/core/verify/types';
import { DEFAULT_VERIFY_LIMITS } from '../../src/core/verify/types';

/**
 * Every test runs real attack programs (python3 and node) in the real sandboxes this machine offers: bubblewrap,
 * unshare with read-only mounts (`full`), unshare without mounts (`network`) and the plain process (`none`). Where a
 * method does not work here, detection falls back and the test runs against (and names) what it got instead.
 * Every attack is bounded on its own (counts, sleeps, timeouts) so a broken sandbox cannot hurt the machine.
 */

const linux = process.platform === 'linux';
const works = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'ignore', timeout: 5_000 }).status === 0;
const bwrapHere = linux && works('bwrap', ['--ro-bind', '/', '/', '--unshare-net', '--', '/bin/true']);
const unshareHere = linux && works('unshare', ['-rn', 'true']);

/**
 * Where RLIMIT_NPROC (maxProcesses) holds: inside a user namespace (not `none`), on Linux 5.14+ (counted per
 * namespace), and not for root (never enforced for the real root user).
 */
function processLimitEnforced(level: IsolationLevel): boolean {
  const [major = 0, minor = 0] = release().split('.').map((part) => Number.parseInt(part, 10));
  return linux && level !== 'none' && process.getuid?.() !== 0 && (major > 5 || (major === 5 && minor >= 14));
}

/** Process ids whose command line contains `marker` (Linux: /proc; elsewhere `pgrep -f`). */
function processesWith(marker: string): number[] {
  if (!linux) {
    const out = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout ?? '';
    return out.split('\n').filter(Boolean).map(Number);
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Waits (bounded) until no process carries `marker`; returns those still there after 3 s. */
async function leftBehind(marker: string): Promise<number[]> {
  for (let i = 0; i < 30; i += 1) {
    if (processesWith(marker).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return processesWith(marker);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

const cases: ReadonlyArray<{ readonly title: string; readonly prefer: 'bwrap' | 'unshare' | 'process'; readonly level?: IsolationLevel; readonly expect: IsolationLevel | undefined }> = [
  { title: 'bubblewrap', prefer: 'bwrap', expect: bwrapHere ? 'full' : undefined },
  { title: 'unshare with read-only mounts', prefer: 'unshare', level: 'full', expect: unshareHere ? 'full' : undefined },
  { title: 'unshare without mounts', prefer: 'unshare', level: 'network', expect: unshareHere ? 'network' : undefined },
  { title: 'plain process', prefer: 'process', expect: 'none' },
];

let python: Runtime;
let node: Runtime;

before(async () => {
  const runtimes = await detectRuntimes({ host: 'cli' });
  assert.ok(runtimes.python, 'these tests need python3 on PATH');
  python = runtimes.python;
  node = runtimes.node!;
});

for (const testCase of cases) {
  describe(`verify sandbox: ${testCase.title}`, function () {
    this.timeout(30_000);
    let sandbox: Sandbox;
    let level: IsolationLevel;
    let server: Server | undefined;

    before(async () => {
      sandbox = await detectSandbox({ prefer: testCase.prefer, ...(testCase.level ? { level: testCase.level } : {}) });
      level = sandbox.isolation.level;
    });

    afterEach(async () => {
      if (server) await new Promise((r) => server!.close(r));
      server = undefined;
    });

    const spec = (runtime: Runtime, args: string[], extra: Partial<SandboxSpec> = {}): SandboxSpec => ({
      command: runtime.command,
      args: [...runtime.args, ...args],
      ...(runtime.env ? { env: runtime.env } : {}),
      ...DEFAULT_VERIFY_LIMITS,
      ...extra,
    });
    const py = (code: string, extra: Partial<SandboxSpec> = {}): Promise<SandboxResult> => sandbox.run(spec(python, ['-I', '-S', '-c', code], extra));
    const js = (code: string, extra: Partial<SandboxSpec> = {}): Promise<SandboxResult> => sandbox.run(spec(node, ['-e', code], extra));

    it('uses the method it was asked for where it works here, at the level it promises', () => {
      if (testCase.expect) {
        assert.equal(sandbox.isolation.method, testCase.prefer);
        assert.equal(sandbox.isolation.level, testCase.expect);
      } else {
        assert.notEqual(sandbox.isolation.method, testCase.prefer, `${testCase.prefer} does not work here: detection must fall back`);
      }
      assert.match(sandbox.isolation.description, /\S/);
      assert.ok(!sandbox.isolation.description.includes('\n'));
    });

    it('runs python and node answers and gives their output', async () => {
      const p = await py('print(6 * 7)');
      assert.equal(p.exitCode, 0, p.stderr);
      assert.equal(p.stdout.trim(), '42');
      const n = await js('console.log(6 * 7)');
      assert.equal(n.exitCode, 0, n.stderr);
      assert.equal(n.stdout.trim(), '42');
    });

    it('stops an infinite loop at the time limit and kills it', async () => {
      const marker = `mr-loop-${process.pid}-${testCase.prefer}-${testCase.level ?? ''}`;
      const result = await sandbox.run(spec(python, ['-c', 'while True: pass', marker], { timeoutMs: 1_000 }));
      assert.equal(result.timedOut, true);
      assert.notEqual(result.exitCode, 0);
      assert.ok(result.ms >= 1_000 && result.ms < 4_000, `took ${result.ms} ms`);
      assert.deepEqual(await leftBehind(marker), []);
      const spin = await js('for (;;) {}', { timeoutMs: 1_000 });
      assert.equal(spin.timedOut, true);
      assert.ok(spin.ms < 4_000, `took ${spin.ms} ms`);
    });

    it('leaves no process of a (bounded) fork bomb behind', async () => {
      const marker = `mr-bomb-${process.pid}-${testCase.prefer}-${testCase.level ?? ''}`;
      // A binary tree of forks 7 levels deep (at most 255 processes), each sleeping 20 s: the run is killed at 1.5 s.
      const bomb = [
        'import os, sys, time',
        'for depth in range(7):',
        '    try:',
        '        for _ in range(2):',
        '            if os.fork() == 0: break',
        '        else:',
        '            break',
        '    except OSError as error:',
        '        print("fork refused", error, flush=True)',
        '        break',
        'print("up", flush=True)',
        'time.sleep(20)',
      ].join('\n');
      try {
        const result = await sandbox.run(spec(python, ['-c', bomb, marker], { timeoutMs: 1_500, maxProcesses: 64 }));
        assert.equal(result.timedOut, true);
        const started = result.stdout.split('\n').filter((line) => line === 'up').length;
        const refused = /fork refused/.test(result.stdout);
        assert.ok(started > 32, `only ${started} processes started: the bomb did not run (${result.stderr})`);
        if (processLimitEnforced(level)) assert.ok(refused && started <= 64 + 8, `RLIMIT_NPROC did not stop the bomb: ${started} started`);
        else assert.ok(started > 100, `${started} processes started, though nothing limits their number here`);
        assert.deepEqual(await leftBehind(marker), []);      } finally {
        killAll(processesWith(marker));
      }
    });

    it('refuses a 10 GB allocation quickly (memory limit) in python and node', async () => {
      const p = await py('x = bytearray(10 * 1024 ** 3)\nprint("allocated")');
      assert.notEqual(p.exitCode, 0);
      assert.doesNotMatch(p.stdout, /allocated/);
      assert.match(p.stderr, /MemoryError/);
      assert.equal(p.timedOut, false);
      const grow = await py('chunks = []\nfor _ in range(100): chunks.append(b"x" * 100_000_000)\nprint("allocated")');
      assert.notEqual(grow.exitCode, 0);
      assert.doesNotMatch(grow.stdout, /allocated/);
      assert.match(grow.stderr, /MemoryError/);
      const n = await js('const kept = []; for (let i = 0; i < 10; i += 1) kept.push(Buffer.alloc(1024 ** 3, 1)); console.log("allocated")');
      assert.notEqual(n.exitCode, 0);
      assert.doesNotMatch(n.stdout, /allocated/);
      assert.equal(n.timedOut, false);
      // The JS heap: 1,250 arrays of a million numbers (10 GB) stop at the limit, long before the time limit.
      const heap = await js('const kept = []; for (let i = 0; i < 1250; i += 1) kept.push(new Array(1e6).fill(i + 0.5)); console.log("allocated")');
      assert.notEqual(heap.exitCode, 0);
      assert.doesNotMatch(heap.stdout, /allocated/);
      assert.equal(heap.timedOut, false, heap.stderr);
    });

    it('caps 1 GB of output at maxOutputBytes and ends the run', async () => {
      const result = await py('import sys\nchunk = "x" * (1 << 20)\nfor _ in range(1024): sys.stdout.write(chunk)', { maxOutputBytes: 64 * 1024 });
      assert.equal(result.outputCapped, true);
      assert.ok(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr) <= 64 * 1024);
      assert.equal(result.timedOut, false);
    });

    it('stops a 1 GB file at the file-size limit in python and node, long before the time limit', async () => {
      // Each program reports how much it wrote after every MiB; the file is in the temp folder, removed afterwards.
      const p = await py(
        'import sys\nchunk = b"x" * (1 << 20)\nwritten = 0\n' +
          'try:\n  with open("big.bin", "wb", buffering=0) as f:\n    for _ in range(1024):\n      f.write(chunk); written += 1; print(written, flush=True)\n' +
          'except OSError as e:\n  print("stopped", e.errno, flush=True)',
        { maxFileMb: 8 },
      );
      const pLines = p.stdout.trim().split('\n');
      assert.match(pLines.at(-1) ?? '', /^stopped 27$/, p.stdout.slice(-200) + p.stderr); // EFBIG
      assert.ok(Number(pLines.at(-2)) <= 8, p.stdout.slice(-200));
      assert.equal(p.timedOut, false);
      const n = await js(
        'const fs = require("fs"); const fd = fs.openSync("big.bin", "w"); const chunk = Buffer.alloc(1 << 20, 1);' +
          'for (let i = 1; i <= 1024; i += 1) { fs.writeSync(fd, chunk); console.log(i); }',
        { maxFileMb: 8 },
      );
      const nLines = n.stdout.trim().split('\n');
      assert.notEqual(n.exitCode, 0, n.stdout.slice(-200));
      assert.ok(Number(nLines.at(-1)) <= 8, n.stdout.slice(-200));
      assert.equal(n.timedOut, false);
      // Under the limit nothing changes: 4 MiB is written whole.
      const small = await py('with open("ok.bin", "wb") as f: f.write(b"x" * (4 << 20))\nimport os\nprint(os.path.getsize("ok.bin"))', { maxFileMb: 8 });
      assert.equal(small.stdout.trim(), String(4 << 20), small.stderr);
    });

    it('cannot connect to a loopback port the test listens on, unless it says it is not isolated', async () => {
      let accepted = 0;
      const listening = createServer((socket) => {
        accepted += 1;
        socket.end();
      });
      server = listening;
      await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
      const port = (listening.address() as AddressInfo).port;
      const p = await py(`import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=2).close(); print("connected")\nexcept OSError as e:\n    print("failed", e)`);
      const n = await js(`require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => console.log('failed', e.code)); setTimeout(() => {}, 2000).unref()`);
      if (level === 'none') {
        assert.equal(sandbox.isolation.method, 'process');
        assert.match(sandbox.isolation.description, /not isolated/);
        assert.match(p.stdout, /connected/);
        assert.match(n.stdout, /connected/);
      } else {
        assert.match(p.stdout, /^failed/);
        assert.match(n.stdout, /^failed/);
        assert.equal(accepted, 0);
      }
    });

    it('gives the program none of the keys, tokens or secrets in the environment', async () => {
      const secrets: Record<string, string> = {
        OPENAI_API_KEY: 'sk-test-openai-secret-value',
        ANTHROPIC_API_KEY: 'sk-ant-test-secret-value',
        GITHUB_TOKEN: 'ghp_testsecretvalue',
        MY_SECRET_KEY: 'my-secret-value',
        MODEL_ROUTER_DB_PASSWORD: 'hunter2-secret-value',
      };
      const saved = Object.fromEntries(Object.keys(secrets).map((k) => [k, process.env[k]]));
      Object.assign(process.env, secrets);
      try {
        const p = await py('import os\nfor k, v in sorted(os.environ.items()): print(k, v)');
        const n = await js('for (const [k, v] of Object.entries(process.env)) console.log(k, v)');
        for (const result of [p, n]) {
          assert.equal(result.exitCode, 0, result.stderr);
          for (const [name, value] of Object.entries(secrets)) {
            assert.ok(!result.stdout.includes(name), `${name} reached the program`);
            assert.ok(!result.stdout.includes(value), `the value of ${name} reached the program`);
          }
          assert.doesNotMatch(result.stdout, /_(TOKEN|KEY) /);
          assert.match(result.stdout, /^HOME /m);
        }
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });

    it('keeps HOME and the working directory in a temp folder that is removed after the run', async () => {
      // Folders the program locks (chmod 0) must not keep the temp folder alive either.
      const result = await py('import os\nprint(os.getcwd()); print(os.environ["HOME"])\nopen("answer.txt", "w").write("x")\nopen(os.path.join(os.environ["HOME"], ".rc"), "w").write("x")\nos.makedirs("locked/inner")\nopen("locked/inner/f", "w").write("x")\nos.chmod("locked/inner", 0)\nos.chmod("locked", 0)');
      assert.equal(result.exitCode, 0, result.stderr);
      const [cwd, home] = result.stdout.trim().split('\n');
      assert.equal(cwd, home);
      assert.match(cwd!, /model-router-verify-/);
      assert.equal(existsSync(cwd!), false, 'the temp folder must be removed');
    });

    it('writes outside the temp folder only where the level allows (full: nothing survives)', async () => {
      // One folder in the temporary folder (hidden at `full`), one beside the tests, or in the home folder when the
      // tests themselves lie in a hidden folder (a clone under /tmp): read-only at `full`.
      const hidden = hiddenFolders(join(tmpdir(), 'model-router-verify-x'));
      const isHidden = (path: string): boolean => hidden.some((folder) => path.startsWith(`${folder}/`));
      const visibleFolder = isHidden(join(process.cwd(), 'x')) ? homedir() : process.cwd();
      const owned = [mkdtempSync(join(tmpdir(), 'mr-outside-')), mkdtempSync(join(visibleFolder, '.mr-outside-'))];
      const targets = owned.map((folder) => join(folder, 'written-by-the-answer.txt'));
      try {
        const code = `import sys\nfor target in sys.argv[1:]:\n    try:\n        open(target, "w").write("pwned"); print("wrote")\n    except OSError as e:\n        print("refused", e)`;
        const result = await sandbox.run(spec(python, ['-I', '-S', '-c', code, ...targets]));
        const lines = result.stdout.trim().split('\n');
        assert.equal(lines.length, 2, result.stdout + result.stderr);
        if (level === 'full') {
          // Inside a hidden folder the path is not there at all; elsewhere the file system is read-only.
          targets.forEach((target, i) => assert.match(lines[i]!, isHidden(target) ? /^refused .*No such file or directory/ : /^refused .*Read-only file system/));
          for (const target of targets) assert.equal(existsSync(target), false);
        } else {
          // `network` and `none`: the program can write where the user can (said in the isolation description).
          assert.match(sandbox.isolation.description, /write/);
          assert.deepEqual(lines, ['wrote', 'wrote']);
          for (const target of targets) assert.equal(existsSync(target), true);
        }
      } finally {
        for (const folder of owned) rmSync(folder, { recursive: true, force: true });
      }
    });

    it('cannot connect to a Unix socket in /tmp or /run (the session bus, ssh-agent, docker) where isolated', async () => {
      // A read-only file system does not stop connect(); `full` hides the folders such sockets live in.
      const folders = [mkdtempSync(join(tmpdir(), 'mr-socket-'))];
      const runtime = process.env.XDG_RUNTIME_DIR ?? (process.getuid?.() === 0 ? '/run' : undefined);
      if (runtime && existsSync(runtime)) folders.push(mkdtempSync(join(runtime, 'mr-socket-')));
      const servers: Server[] = [];
      let accepted = 0;
      try {
        const paths: string[] = [];
        for (const folder of folders) {
          const listening = createServer((socket) => {
            accepted += 1;
            socket.end();
          });
          servers.push(listening);
          const path = join(folder, 'bus.sock');
          await new Promise<void>((r) => listening.listen(path, r));
          paths.push(path);
        }
        const code = `import socket, sys\nfor path in sys.argv[1:]:\n    s = socket.socket(socket.AF_UNIX)\n    try:\n        s.connect(path); print("connected")\n    except OSError as e:\n        print("failed", e)`;
        const result = await sandbox.run(spec(python, ['-I', '-S', '-c', code, ...paths]));
        const lines = result.stdout.trim().split('\n');
        assert.equal(lines.length, paths.length, result.stdout + result.stderr);
        if (level === 'full') {
          for (const line of lines) assert.match(line, /^failed /);
          assert.equal(accepted, 0);
        } else {
          assert.match(sandbox.isolation.description, /not isolated|local sockets/);
          assert.deepEqual(lines, paths.map(() => 'connected'));
        }
      } finally {
        for (const server of servers) await new Promise((r) => server.close(r));
        for (const folder of folders) rmSync(folder, { recursive: true, force: true });
      }
    });

    it('sees its own files and no other run (full: the temporary folder holds only this run)', async () => {
      const other = mkdtempSync(join(tmpdir(), 'model-router-verify-'));
      try {
        const result = await py('import os\nprint(open("given.txt").read())\nprint(sorted(os.listdir(".")))\nprint(sorted(os.listdir("..")))', { files: { 'given.txt': 'from the caller' } });
        assert.equal(result.exitCode, 0, result.stderr);
        const [given, own, parent] = result.stdout.trim().split('\n');
        assert.equal(given, 'from the caller');
        assert.equal(own, "['given.txt']");
        if (level === 'full') assert.doesNotMatch(parent!, new RegExp(basename(other)), 'another run\'s folder is hidden');
        else assert.match(parent!, new RegExp(basename(other)));
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('keeps the folders it is told of and the interpreter visible, read-only, where it hides /tmp', async () => {
      // A harness folder and an interpreter installed in the temporary folder (here: a link to the real one).
      const harness = mkdtempSync(join(tmpdir(), 'mr-harness-'));
      const install = mkdtempSync(join(tmpdir(), 'mr-python-'));
      try {
        writeFileSync(join(harness, 'harness.txt'), 'the harness');
        mkdirSync(join(install, 'bin'));
        symlinkSync(python.command, join(install, 'bin', 'python3'));
        const code = `import sys\nprint(open(sys.argv[1]).read())\ntry:\n    open(sys.argv[1], "a").write("x"); print("wrote")\nexcept OSError as e:\n    print("refused", e)`;
        const result = await sandbox.run({ ...spec(python, ['-I', '-S', '-c', code, join(harness, 'harness.txt')]), command: join(install, 'bin', 'python3'), visible: [harness] });
        assert.equal(result.exitCode, 0, result.stderr + (result.spawnError ?? ''));
        const [read, wrote] = result.stdout.trim().split('\n');
        assert.equal(read, 'the harness');
        if (level === 'full') assert.match(wrote!, /^refused .*Read-only file system/);
        else assert.equal(wrote, 'wrote');
      } finally {
        rmSync(harness, { recursive: true, force: true });
        rmSync(install, { recursive: true, force: true });
      }
    });

    it('bounds everything the run writes at the folder size where isolated, each file at the file-size limit', async () => {
      // Six files of 8 MiB (each at the file-size limit) into a 16 MiB folder.
      const code = 'import os\nchunk = b"x" * (1 << 20)\nwritten = 0\ntry:\n  for i in range(6):\n    with open(f"part{i}.bin", "wb", buffering=0) as f:\n      for _ in range(8):\n        f.write(chunk); written += 1\n  print("wrote", written)\nexcept OSError as e:\n  print("stopped", e.errno, written)';
      const result = await py(code, { maxFileMb: 8, maxTotalMb: 16 });
      assert.equal(result.timedOut, false);
      if (level === 'full') {
        const [word, errno, mib] = result.stdout.trim().split(' ');
        assert.equal(word, 'stopped', result.stdout + result.stderr);
        assert.equal(errno, '28'); // ENOSPC
        assert.ok(Number(mib) <= 16, result.stdout);
      } else {
        // Without a folder of its own, only time x the file-size limit bounds the total (the description says it can write).
        assert.match(sandbox.isolation.description, /write/);
        assert.equal(result.stdout.trim(), 'wrote 48', result.stderr);
      }
    });

    it('leaves no background process behind (nohup, and a new session where isolated)', async () => {
      const marker = `mr-bg-${process.pid}-${testCase.prefer}-${testCase.level ?? ''}`;
      const escape = level === 'none' ? '' : '\nsubprocess.Popen(["sleep", "30", marker + "-setsid"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)';
      const code = `import subprocess, sys\nmarker = sys.argv[1]\nsubprocess.Popen(["nohup", "sleep", "30", marker], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)${escape}\nprint("started")`;
      try {
        const result = await sandbox.run(spec(python, ['-c', code, marker]));
        assert.equal(result.stdout.trim(), 'started', result.stderr);
        assert.equal(result.timedOut, false);
        assert.deepEqual(await leftBehind(marker), []);
      } finally {
        killAll(processesWith(marker));
      }
    });

    it('kills the run when the caller aborts', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const result = await py('while True: pass', { signal: controller.signal, timeoutMs: 10_000 });
      assert.equal(result.aborted, true);
      assert.equal(result.timedOut, false);
      assert.ok(result.ms < 5_000, `took ${result.ms} ms`);
    });
  });
}

describe('verify sandbox: detection', () => {
  it('offers the best isolation this machine has, and caches it', async function () {
    this.timeout(20_000);
    const best = await detectSandbox();
    assert.equal(await detectSandbox(), best, 'detected once, then cached');
    if (bwrapHere) assert.deepEqual([best.isolation.method, best.isolation.level], ['bwrap', 'full']);
    else if (unshareHere) assert.equal(best.isolation.method, 'unshare');
    else if (process.platform !== 'darwin') assert.equal(best.isolation.level, 'none');
  });
});

describe('verify sandbox: a wrapper that cannot set up', () => {
  const limits = { ...DEFAULT_VERIFY_LIMITS, timeoutMs: 5_000 };

  it('reports its own set-up failure as spawnError, not as the program failing', async function () {
    if (process.platform === 'win32') this.skip();
    // The step that fails stands in for a mount the kernel refuses: it prints the run's set-up line and exits 125.
    const result = await runWrapped({ command: '/bin/true', args: [], ...limits }, (run) => ({
      command: '/bin/sh',
      args: ['-c', 'echo "mount: /: permission denied" >&2; printf "%s\\n" "$0" >&2; exit 125', run.setupFailed],
    }));
    assert.match(result.spawnError ?? '', /^The sandbox could not be set up for this run: mount: \/: permission denied\.$/);
    assert.doesNotMatch(result.stderr, /model-router-sandbox-setup-failed/);
  });

  it('keeps a program that exits 125 on its own a normal result', async function () {
    if (process.platform === 'win32') this.skip();
    const result = await runWrapped(
      { command: '/bin/sh', args: ['-c', 'echo model-router-sandbox-setup-failed-guess >&2; exit 125'], ...limits },
      (run) => withLimits(run),
    );
    assert.equal(result.exitCode, 125);
    assert.equal(result.spawnError, undefined);
  });
});

describe('verify runtimes', () => {
  it('finds python3 by running it once and keeps its real path', async () => {
    const runtimes = await detectRuntimes({ host: 'cli' });
    assert.ok(runtimes.python);
    assert.ok(runtimes.python.command.startsWith('/') || /^[A-Za-z]:\\/.test(runtimes.python.command));
    const version = spawnSync(runtimes.python.command, ['--version'], { encoding: 'utf8' });
    assert.match(version.stdout + version.stderr, /^Python 3\./);
    assert.deepEqual(runtimes.node, { command: process.execPath, args: [] });
  });

  it('reports a missing or wrong interpreter as undefined', async () => {
    assert.equal((await detectRuntimes({ host: 'cli', python: 'python-that-does-not-exist-here' })).python, undefined);
    assert.equal((await detectRuntimes({ host: 'cli', python: `${process.execPath} -e process.exit(3) --` })).python, undefined);
  });

  it('runs node as the extension host does: its own runtime with ELECTRON_RUN_AS_NODE=1', async () => {
    const runtimes = await detectRuntimes({ host: 'extension-host' });
    assert.deepEqual(runtimes.node, { command: process.execPath, args: [], env: { ELECTRON_RUN_AS_NODE: '1' } });
  });
});
