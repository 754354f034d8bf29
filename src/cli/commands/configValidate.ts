/**
 * `model-router config validate [FILE]`: checks FILE, or the user config and the (trusted) workspace config, and
 * prints every diagnostic as `file:line:col: severity: message`. Exit 0 when there is no error, 3 otherwise.
 */
import path from 'node:path';

import { formatDiagnostic } from '../../core/config/diagnostics';
import type { ConfigFileInput } from '../../core/config/layering';
import { resolveConfig } from '../../core/config/layering';
import { parseCommand } from '../args';
import { fileExists, readOptionalFile, resolvePaths } from '../context';
import { applyEnvironment } from '../environment';
import type { ExitCode } from '../exitCodes';
import { CliError, EXIT, usageError } from '../exitCodes';
import type { CliIo, Output } from '../io';

export const CONFIG_OPTIONS = {} as const;

export async function runConfig({ io, out, args }: { io: CliIo; out: Output; args: readonly string[] }): Promise<ExitCode> {
  const { positionals, globals } = parseCommand(args, CONFIG_OPTIONS, 'config');
  const [sub, file, ...extra] = positionals;
  if (sub !== 'validate') {
    throw usageError(sub === undefined ? 'config needs a subcommand: validate.' : `unknown subcommand "config ${sub}"; the one subcommand is: validate.`, 'config');
  }
  if (extra.length > 0) throw usageError(`config validate takes at most one FILE (got: ${[file, ...extra].join(' ')}).`, 'config');

  let user: ConfigFileInput | undefined;
  let workspace: ConfigFileInput | undefined;
  const checked: string[] = [];
  if (file !== undefined) {
    const full = path.resolve(io.cwd, file);
    const read = await readOptionalFile(full, 'file');
    if (read === undefined) throw usageError(`${full} does not exist.`, 'config');
    user = { file: full, ...read };
    checked.push(full);
  } else {
    const paths = resolvePaths(globals, io);
    const userRead = await readOptionalFile(paths.userConfig, 'user config');
    if (userRead === undefined) out.line(`user config ${paths.userConfig}: not found (the built-in defaults apply).`);
    else {
      user = { file: paths.userConfig, ...userRead };
      checked.push(paths.userConfig);
    }
    if (paths.trustWorkspace) {
      const read = await readOptionalFile(paths.workspaceConfig, 'workspace config');
      if (read !== undefined) {
        workspace = { file: paths.workspaceConfig, ...read };
        checked.push(paths.workspaceConfig);
      } else if (paths.workspaceExplicit) throw usageError(`the workspace config ${paths.workspaceConfig} does not exist.`, 'config');
    } else if (await fileExists(paths.workspaceConfig)) {
      out.line(
        `workspace config ${paths.workspaceConfig}: not checked, the workspace is not trusted; pass --trust-workspace, or name it: model-router config validate ${paths.workspaceConfig}`,
      );
    }
  }

  const resolution = resolveConfig({
    ...(user ? { user } : {}),
    ...(workspace ? { workspace } : {}),
    workspaceTrusted: workspace !== undefined,
  });
  let errors = resolution.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = resolution.diagnostics.length - errors;
  for (const diagnostic of resolution.diagnostics) out.line(formatDiagnostic(diagnostic));
  // "X has errors (see diagnostics)" repeats what is printed above.
  for (const sentence of resolution.ignored.filter((s) => !s.includes('(see diagnostics)'))) out.line(`note: ${sentence}`);
  if (file === undefined) {
    try {
      applyEnvironment(resolution.config, io.env);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      out.line(`environment: error: ${error.message}`);
      errors++;
    }
  }
  const what = checked.length > 0 ? checked.join(', ') : 'the built-in defaults';
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  out.line(errors === 0 ? `valid: ${what} (${counts})` : `invalid: ${what} (${counts})`);
  return errors === 0 ? EXIT.ok : EXIT.config;
}
