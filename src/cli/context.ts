/**
 * Where the CLI's files are and the configuration they resolve to: built-in defaults < user file (`--config`) <
 * workspace file (only with `--trust-workspace`), then the base URL environment variables.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ConfigDiagnostic } from '../core/config/diagnostics';
import { formatDiagnostic } from '../core/config/diagnostics';
import type { ConfigFileInput } from '../core/config/layering';
import { resolveConfig } from '../core/config/layering';
import type { ConfigFileText } from '../core/config/load';
import { readConfigFile } from '../core/config/load';
import { defaultDataDirectory, defaultUserConfigPath, WORKSPACE_CONFIG_FILE } from '../core/config/paths';
import type { Config } from '../core/config/types';
import { errorMessage } from '../core/util/errorMessage';
import type { GlobalOptions } from './args';
import type { BaseUrlSource } from './environment';
import { applyEnvironment } from './environment';
import { CliError, EXIT, usageError } from './exitCodes';
import type { CliIo, Output } from './io';

/** The workspace file looked for in the working directory. */
export const WORKSPACE_FILE_NAME = WORKSPACE_CONFIG_FILE;

export interface CliPaths {
  readonly userConfig: string;
  /** Whether `--config` named the user file. */
  readonly userConfigExplicit: boolean;
  readonly dataDir: string;
  readonly workspaceConfig: string;
  /** Whether `--workspace-config` named the workspace file. */
  readonly workspaceExplicit: boolean;
  readonly trustWorkspace: boolean;
}

function home(io: CliIo): string {
  return io.env.HOME || os.homedir();
}

export function resolvePaths(globals: GlobalOptions, io: CliIo): CliPaths {
  const userConfig = globals.config
    ? path.resolve(io.cwd, globals.config)
    : defaultUserConfigPath(io.env, home(io));
  const dataDir = globals.dataDir ? path.resolve(io.cwd, globals.dataDir) : defaultDataDirectory(io.env, home(io));
  const workspaceConfig = globals.workspaceConfig ? path.resolve(io.cwd, globals.workspaceConfig) : path.join(io.cwd, WORKSPACE_FILE_NAME);
  return {
    userConfig,
    userConfigExplicit: globals.config !== undefined,
    dataDir,
    workspaceConfig,
    workspaceExplicit: globals.workspaceConfig !== undefined,
    trustWorkspace: globals.trustWorkspace,
  };
}

/**
 * A configuration file's text and size (a file over the size bound is not read), or undefined when it does not exist;
 * other failures are configuration errors (exit 3).
 */
export async function readOptionalFile(file: string, what: string): Promise<ConfigFileText | undefined> {
  try {
    return await readConfigFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new CliError(EXIT.config, `cannot read the ${what} ${file}: ${code ?? errorMessage(error)}`);
  }
}

export interface LoadedConfig {
  /** The configuration in force, base URL variables applied. */
  readonly config: Config;
  /** The configuration from the files alone (what `assign` and `bulk` compute presets on). */
  readonly fileConfig: Config;
  readonly baseUrlSources: Readonly<Record<string, BaseUrlSource>>;
  readonly paths: CliPaths;
  /** The user file's text; undefined when it does not exist. */
  readonly userText: string | undefined;
  /** Whether a workspace file was applied. */
  readonly workspaceApplied: boolean;
}

export interface LoadOptions {
  /** No notes or warnings on stderr (errors are always shown). */
  readonly quiet?: boolean;
  /** Say so when an explicit `--config` file does not exist (not for the commands that create it). */
  readonly noteMissingUserFile?: boolean;
}

/** Whether a file exists, without reading it (an untrusted workspace file is never read). */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The workspace file to apply: its input when trusted and present; prints the "ignored" note otherwise. */
async function workspaceInput(paths: CliPaths, err: Output, quiet: boolean): Promise<ConfigFileInput | undefined> {
  if (!paths.trustWorkspace) {
    if ((await fileExists(paths.workspaceConfig)) && !quiet) {
      err.line(`model-router: note: ignoring the workspace config ${paths.workspaceConfig}: pass --trust-workspace to apply it.`);
    }
    return undefined;
  }
  const read = await readOptionalFile(paths.workspaceConfig, 'workspace config');
  if (read === undefined) {
    if (paths.workspaceExplicit) throw usageError(`the workspace config ${paths.workspaceConfig} does not exist.`);
    return undefined;
  }
  return { file: paths.workspaceConfig, ...read };
}

/**
 * Reads and resolves the configuration. Prints warnings and notes to stderr; any error in a file prints the
 * diagnostics and throws a configuration error (exit 3), so a command never runs on a half-applied configuration.
 */
export async function loadConfiguration(globals: GlobalOptions, io: CliIo, err: Output, options: LoadOptions = {}): Promise<LoadedConfig> {
  const paths = resolvePaths(globals, io);
  const quiet = options.quiet === true;
  const userRead = await readOptionalFile(paths.userConfig, 'user config');
  if (userRead === undefined && paths.userConfigExplicit && options.noteMissingUserFile && !quiet) {
    err.line(`model-router: note: no config file at ${paths.userConfig}; using the built-in defaults.`);
  }
  const workspace = await workspaceInput(paths, err, quiet);
  const resolution = resolveConfig({
    ...(userRead !== undefined ? { user: { file: paths.userConfig, ...userRead } } : {}),
    ...(workspace !== undefined ? { workspace } : {}),
    workspaceTrusted: workspace !== undefined,
  });
  reportDiagnostics(resolution.diagnostics, err, quiet);
  if (!quiet) for (const sentence of resolution.ignored) err.line(`model-router: note: ${sentence}`);
  const environment = applyEnvironment(resolution.config, io.env);
  // A password in a configured base URL is a secret like a key: never printed, whatever message quotes it.
  err.secrets.addUrlPasswords(Object.values(environment.config.providers).map((provider) => provider.baseUrl));
  return {
    config: environment.config,
    fileConfig: resolution.config,
    baseUrlSources: environment.baseUrlSources,
    paths,
    userText: userRead?.text,
    workspaceApplied: workspace !== undefined,
  };
}

/** Prints diagnostics as `file:line:col: severity: message`; throws exit 3 when any is an error. */
export function reportDiagnostics(diagnostics: readonly ConfigDiagnostic[], err: Output, quiet: boolean): void {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const diagnostic of diagnostics) {
    if (diagnostic.severity === 'error' || !quiet) err.line(formatDiagnostic(diagnostic));
  }
  if (errors.length > 0) {
    throw new CliError(
      EXIT.config,
      `the configuration has ${errors.length === 1 ? 'an error' : `${errors.length} errors`} (above); fix ${errors.length === 1 ? 'it' : 'them'} and retry (\`model-router config validate\` checks the files).`,
    );
  }
}
