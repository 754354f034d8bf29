/**
 * Where the user's own files live when nothing names them: the same places for the CLI and the extension, so both
 * read one user YAML (`modelRouter.configFile` / `--config` override it).
 */
import * as path from 'node:path';

export type PathEnv = Readonly<Record<string, string | undefined>>;

/** An XDG base directory: the variable when it holds an absolute path, else `<home>/<fallback>`. */
export function xdgDirectory(env: PathEnv, home: string, variable: string, fallback: string): string {
  const value = env[variable];
  return value && path.isAbsolute(value) ? value : path.join(home, fallback);
}

/** $XDG_CONFIG_HOME/model-router/config.yaml, else ~/.config/model-router/config.yaml. */
export function defaultUserConfigPath(env: PathEnv, home: string): string {
  return path.join(xdgDirectory(env, home, 'XDG_CONFIG_HOME', '.config'), 'model-router', 'config.yaml');
}

/** $XDG_DATA_HOME/model-router, else ~/.local/share/model-router (the CLI's ledger). */
export function defaultDataDirectory(env: PathEnv, home: string): string {
  return path.join(xdgDirectory(env, home, 'XDG_DATA_HOME', '.local/share'), 'model-router');
}

/** The workspace file looked for at the root of a workspace folder (the CLI: the working directory). */
export const WORKSPACE_CONFIG_FILE = '.model-router.yaml';
