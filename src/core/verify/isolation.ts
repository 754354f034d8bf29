/**
 * Which sandbox this machine offers, found by running each candidate once (a real probe, not "the binary exists"),
 * best first, and cached for the process:
 * - Linux, `bwrap` (bubblewrap): level `full`. Read-only bind of `/`, a fresh `/dev` and `/proc`, the temporary and
 *   runtime folders hidden (see {@link hiddenFolders}), the run's own folder a tmpfs of SandboxSpec.maxTotalMb with
 *   the run's files copied in, new user, network, pid, ipc and uts namespaces, all capabilities dropped, a new
 *   session, and the tree dies with bwrap.
 * - Linux, `unshare` (util-linux): user + network + mount + pid namespaces. Inside, a small `/bin/sh` script covers
 *   `/sys` with an empty read-only tmpfs, remounts every other mount read-only, hides the same folders, makes the
 *   run's folder a sized tmpfs with its files, sets the limits and drops every capability (`setpriv`) before it execs
 *   the program: level `full`. Remounting needs the mount namespace to work; where it does not, `unshare -r -n -p -f`
 *   without mounts is level `network`.
 * - macOS, `sandbox-exec` with a profile that denies the network and writes outside the temp folder: level `network`
 *   (no process tree of its own).
 * - Anything else: the plain process sandbox, level `none`.
 *
 * In every namespace variant the program is (a child of) pid 1 of a new pid namespace with `--kill-child` or
 * `--die-with-parent`: killing the wrapper's process group at the end of the run kills pid 1, and the kernel then
 * kills every process left in the namespace, background and double-forked ones included.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';

import type { Sandbox, SandboxResult, SandboxSpec, WrapCommand } from './sandbox';
import { DEFAULT_MAX_TOTAL_MB, limitLines, memoryKiB, ProcessSandbox, runWrapped, withLimits } from './sandbox';
import type { Isolation, IsolationLevel } from './types';

export type SandboxMethod = Isolation['method'];

export interface DetectSandboxOptions {
  /**
   * Use this method when it works here (tests choose `bwrap` or `unshare` explicitly); when it does not, detection
   * falls back to the best one that does, and the returned `isolation.method` says which.
   */
  readonly prefer?: SandboxMethod;
  /** With `prefer`: use that method at this level (`unshare` at `network`: without the read-only mounts). */
  readonly level?: IsolationLevel;
  /** Probe again instead of using the cached answer. */
  readonly refresh?: boolean;
}

/**
 * Where other programs keep their Unix sockets and temporary files: the D-Bus session and system buses, systemd,
 * Docker, ssh-agent, X11, VS Code's own IPC sockets (all in /run, $XDG_RUNTIME_DIR under it, or /tmp). A read-only
 * file system still lets a program CONNECT to a socket in it (through the session bus it could ask systemd to start
 * any command outside the sandbox), and the network namespace only cuts off abstract sockets, so level `full` covers
 * these folders, and the one the run's folder was made in, with empty read-only tmpfs. Sockets kept elsewhere (in the
 * home folder) stay reachable.
 */
const HIDDEN_ROOTS = ['/run', '/tmp', '/var/tmp'];

/**
 * The folders a `full` run does not see (HIDDEN_ROOTS and the parent of the run's folder): real folders only (not
 * symlinks: /var/run points into /run), none inside another one of them, none whose path has a newline (the unshare
 * script reads them a line each).
 */
export function hiddenFolders(dir: string): string[] {
  const real = (path: string): boolean => {
    try {
      const stat = lstatSync(path);
      return stat.isDirectory() && !stat.isSymbolicLink();
    } catch {
      return false;
    }
  };
  const candidates = [...new Set([...HIDDEN_ROOTS, dirname(dir)])].filter((path) => !path.includes('\n') && path !== '/' && real(path));
  return candidates.filter((path) => !candidates.some((other) => other !== path && inside(path, other)));
}

/** The visible folders (SandboxSpec.visible, the interpreter's installation) that a hidden folder would cover. */
function keptVisible(visible: readonly string[], hidden: readonly string[]): string[] {
  return [...new Set(visible)].filter((path) => !path.includes('\n') && hidden.some((folder) => path === folder || inside(path, folder)));
}

function inside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

/**
 * The script the unshare sandbox runs as pid 1 of its namespaces (as root of the new user namespace), before it
 * execs the program: `$0` is the set-up failure line (see WrapInput), `$1` the temp folder, `$2` the same escaped as
 * in /proc/self/mountinfo and fstab (`\040` for a space), `$3` the memory limit in KiB, `$4` the process limit
 * (0: none), `$5` the file-size limit in 512-byte blocks, `$6` the second mount table (see {@link hidingTable}), `$7`
 * the folders it keeps visible (a line each, opened as fd 3 and up), `$8` 1 when the run has files to copy in, the
 * rest the program and its arguments.
 *
 * The mounts are done by one `mount -a` over a generated fstab (one process instead of one per mount: each costs a
 * few ms): the temp folder bound onto itself, an empty read-only tmpfs over `/sys` (hiding the cgroup and sysfs
 * mounts under it), and every other writable mount remounted read-only; `/`, which `mount -a` skips, separately.
 * Then, from inside the temp folder (the working directory keeps reaching its files once they are covered): the
 * folders to keep visible are opened (fd 3 and up) and a second `mount -a` hides, keeps, and mounts the run's folder
 * (see {@link hidingTable}); the files are copied in. Then every mount point is checked to be read-only (a step that
 * did nothing fails the run, and the probe with it). `setpriv` drops every capability, so the program cannot
 * remount anything writable (a user namespace it makes itself gets the mounts locked).
 */
const UNSHARE_FULL_SCRIPT = [
  'F="$0"; D="$1"; E="$2"; M="$3"; N="$4"; B="$5"; H="$6"; V="$7"; C="$8"; shift 8',
  "fail() { printf '%s\\n' \"$*\" \"$F\" >&2; exit 125; }",
  'T="$D/.model-router-mounts"',
  '{',
  "  printf '%s %s none bind 0 0\\n' \"$E\" \"$E\"",
  "  printf 'none /sys tmpfs ro,nosuid,nodev,noexec,size=4k 0 0\\n'",
  '  while read -r _ _ _ _ mp opts _; do',
  '    case "$mp" in "$E"|/|/sys|/sys/*) continue;; esac',
  '    case "$opts" in ro|ro,*) continue;; esac',
  '    o="${opts#rw}"',
  "    printf 'none %s none remount,bind,ro%s 0 0\\n' \"$mp\" \"$o\"",
  '  done < /proc/self/mountinfo',
  '} > "$T" || fail "cannot write the mount table"',
  'mount -a -T "$T" || fail "mount -a failed"',
  'rm -f "$T"',
  'while read -r _ _ _ _ mp opts _; do',
  '  if [ "$mp" = / ]; then case "$opts" in ro|ro,*) ;; *) mount -o "remount,bind,ro${opts#rw}" / || fail "cannot remount / read-only";; esac; fi',
  'done < /proc/self/mountinfo',
  'cd "$D" || fail "cannot enter the temporary folder"',
  'n=3',
  'while IFS= read -r p; do',
  '  [ -n "$p" ] || continue',
  '  eval "exec $n<\\"\\$p\\"" || fail "cannot open $p"',
  '  n=$((n + 1))',
  'done <<EOF',
  '$V',
  'EOF',
  'printf \'%s\\n\' "$H" > .model-router-hide || fail "cannot write the mount table"',
  'mount -a -c -T .model-router-hide || fail "cannot hide the temporary folders or mount the run folder"',
  'rm -f .model-router-hide',
  'exec 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&-',
  'if [ "$C" = 1 ]; then cp -R ./. "$D/" || fail "cannot copy the files into the run folder"; fi',
  'cd "$D" || fail "cannot enter the run folder"',
  'while read -r _ _ _ _ mp _; do',
  '  case "$mp" in "$E"|/sys/*) continue;; esac',
  "  case \"$mp\" in *\\\\*) mp=$(printf '%b' \"$mp\");; esac",
  '  if [ -w "$mp" ]; then fail "still writable: $mp"; fi',
  'done < /proc/self/mountinfo',
  limitLines('"$M"', '"$B"', '"$N"', 'fail "cannot set the memory or file-size limit"'),
  'exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"',
].join('\n');

/** A path as /proc/self/mountinfo and fstab write it: space, tab, newline and backslash as octal escapes. */
function mountEscape(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The mount table that hides `hidden` under empty tmpfs, binds each `kept` folder back from its open descriptor
 * (`/proc/self/fd/3` and up; `mount -c`, or mount would turn the descriptor back into its path, which now leads into
 * the empty tmpfs), mounts a tmpfs of `sizeKiB` on the run's folder, and makes the rest read-only. One `mount -a`
 * instead of a process per mount; `X-mount.mkdir` makes the mount points inside the fresh tmpfs. The tmpfs sources have
 * names of their own: `mount -a` skips an entry whose source, type and target are already mounted (a host whose /tmp
 * is a tmpfs named "none" would otherwise keep its /tmp, sockets and all).
 */
function hidingTable(dir: string, hidden: readonly string[], kept: readonly string[], sizeKiB: number): string {
  return [
    ...hidden.map((folder) => `model-router-hidden ${mountEscape(folder)} tmpfs mode=755,size=64k 0 0`),
    ...kept.map((folder, i) => `/proc/self/fd/${i + 3} ${mountEscape(folder)} none bind,X-mount.mkdir 0 0`),
    ...kept.map((folder) => `none ${mountEscape(folder)} none remount,bind,ro 0 0`),
    `model-router-run ${mountEscape(dir)} tmpfs size=${sizeKiB}k,mode=700,X-mount.mkdir 0 0`,
    ...hidden.map((folder) => `none ${mountEscape(folder)} none remount,bind,ro 0 0`),
  ].join('\n');
}

/** fd 3 to 9: the folders the unshare script can keep visible. */
const MAX_KEPT = 7;

const wrapUnshareFull: WrapCommand = ({ dir, memoryMb, command, args, setupFailed, maxProcesses, maxFileBlocks, maxTotalBytes, visible, hasFiles }) => {
  const hidden = hiddenFolders(dir);
  const kept = keptVisible(visible, hidden).slice(0, MAX_KEPT);
  return {
    command: 'unshare',
    args: [
      '--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc',
      '/bin/sh', '-c', UNSHARE_FULL_SCRIPT, setupFailed, dir, mountEscape(dir), memoryKiB(memoryMb), String(maxProcesses),
      maxFileBlocks, hidingTable(dir, hidden, kept, Math.ceil(maxTotalBytes / 1024)), kept.join('\n'), hasFiles ? '1' : '0', command, ...args,
    ],
  };
};

const wrapUnshareNetwork: WrapCommand = (run) => {
  const limited = withLimits(run, { inUserNamespace: true });
  return { command: 'unshare', args: ['--user', '--map-root-user', '--net', '--pid', '--fork', '--kill-child', limited.command, ...limited.args] };
};

const wrapBwrap: WrapCommand = (run) => {
  const { dir } = run;
  const hidden = hiddenFolders(dir);
  // The run's files, beside its folder (inside a hidden folder, so only this run sees them): the shell copies them
  // into the sized tmpfs mounted over the folder they were written to.
  const files = `${dir}.files`;
  const limited = withLimits(run, { inUserNamespace: true, ...(run.hasFiles ? { copyFrom: files } : {}) });
  return {
    command: 'bwrap',
    args: [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      ...hidden.flatMap((folder) => ['--tmpfs', folder]),
      ...keptVisible(run.visible, hidden).flatMap((folder) => ['--ro-bind', folder, folder]),
      '--size', String(run.maxTotalBytes), '--tmpfs', dir,
      ...(run.hasFiles ? ['--ro-bind', dir, files] : []),
      ...hidden.flatMap((folder) => ['--remount-ro', folder]),
      '--chdir', dir,
      '--unshare-all',
      '--cap-drop', 'ALL',
      '--die-with-parent',
      '--new-session',
      '--',
      limited.command,
      ...limited.args,
    ],
  };
};

/** A macOS Seatbelt profile: everything the user may do, minus the network and minus writes outside `dir`. */
function seatbeltProfile(dir: string): string {
  const quoted = JSON.stringify(dir);
  return [
    '(version 1)',
    '(allow default)',
    '(deny network*)',
    '(deny file-write*)',
    `(allow file-write* (subpath ${quoted}) (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (regex #"^/dev/fd/"))`,
  ].join(' ');
}

const wrapSandboxExec: WrapCommand = (run) => {
  const limited = withLimits(run);
  return { command: '/usr/bin/sandbox-exec', args: ['-p', seatbeltProfile(run.dir), limited.command, ...limited.args] };
};

/** A sandbox that runs every spec through `wrap` (one of the command lines above). */
export class WrappedSandbox implements Sandbox {
  constructor(
    readonly isolation: Isolation,
    private readonly wrap: WrapCommand,
  ) {}

  run(spec: SandboxSpec): Promise<SandboxResult> {
    return runWrapped(spec, this.wrap);
  }
}

interface Candidate {
  readonly isolation: Isolation;
  readonly wrap: WrapCommand;
  readonly platforms: readonly NodeJS.Platform[];
}

const CANDIDATES: readonly Candidate[] = [
  {
    isolation: {
      level: 'full',
      method: 'bwrap',
      description: `isolated with bubblewrap: no network, the file system read-only except a temporary folder of its own (at most ${DEFAULT_MAX_TOTAL_MB} MiB), /tmp and /run hidden, its own process tree`,
    },
    wrap: wrapBwrap,
    platforms: ['linux'],
  },
  {
    isolation: {
      level: 'full',
      method: 'unshare',
      description: `isolated with Linux namespaces (unshare): no network, the file system read-only except a temporary folder of its own (at most ${DEFAULT_MAX_TOTAL_MB} MiB), /tmp and /run hidden, its own process tree`,
    },
    wrap: wrapUnshareFull,
    platforms: ['linux'],
  },
  {
    isolation: {
      level: 'network',
      method: 'unshare',
      description: 'partly isolated with Linux namespaces (unshare): no network and its own process tree, but it can write where you can and use local sockets (/tmp, /run)',
    },
    wrap: wrapUnshareNetwork,
    platforms: ['linux'],
  },
  {
    isolation: {
      level: 'network',
      method: 'sandbox-exec',
      description: 'partly isolated with macOS sandbox-exec: no network and no writes outside a temporary folder, but no process tree of its own',
    },
    wrap: wrapSandboxExec,
    platforms: ['darwin'],
  },
];

/** The probe: `/bin/sh -c 'exit 0'` through the candidate's full command line, in a temp folder, within 3 s. */
async function works(candidate: Candidate): Promise<boolean> {
  if (!candidate.platforms.includes(process.platform)) return false;
  const result = await runWrapped(
    { command: '/bin/sh', args: ['-c', 'echo ok'], timeoutMs: 3_000, memoryMb: 64, maxOutputBytes: 4_096 },
    candidate.wrap,
  ).catch(() => undefined);
  return result !== undefined && result.exitCode === 0 && result.stdout.trim() === 'ok';
}

async function detect({ prefer, level }: DetectSandboxOptions): Promise<Sandbox> {
  if (prefer === 'process') return new ProcessSandbox();
  const preferred = (c: Candidate): boolean => c.isolation.method === prefer && (level === undefined || c.isolation.level === level);
  const ordered = prefer ? [...CANDIDATES.filter(preferred), ...CANDIDATES.filter((c) => !preferred(c))] : CANDIDATES;
  for (const candidate of ordered) {
    if (await works(candidate)) return new WrappedSandbox(candidate.isolation, candidate.wrap);
  }
  return new ProcessSandbox();
}

/** Detection is costly (a few process starts) and its answer does not change while the process runs: once per preference. */
const detected = new Map<string, Promise<Sandbox>>();

/** The best sandbox this machine offers (or the preferred one when it works here), probed once and cached. */
export function detectSandbox(options: DetectSandboxOptions = {}): Promise<Sandbox> {
  const key = `${options.prefer ?? 'best'}:${options.level ?? ''}`;
  const cached = detected.get(key);
  if (cached && !options.refresh) return cached;
  const pending = detect(options);
  detected.set(key, pending);
  return pending;
}
