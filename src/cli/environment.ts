/**
 * The environment as the CLI reads it: src/core/config/environment.ts, with an invalid base URL variable turned into
 * a configuration error (exit 3).
 */
import type { Env, EnvironmentOverrides } from '../core/config/environment';
import { applyEnvironment as applyEnvironmentVariables, EnvironmentVariableError } from '../core/config/environment';
import type { Config } from '../core/config/types';
import { CliError, EXIT } from './exitCodes';

export {
  BASE_URL_VARIABLES,
  SDK_DEFAULT_BASE_URLS,
  describeKeyVariables,
  displayUrl,
  environmentKeySource,
  keyFromEnv,
  keyVariables,
  missingKeys,
} from '../core/config/environment';
export type { BaseUrlSource, Env, EnvironmentOverrides } from '../core/config/environment';

/** Applies the base URL variables; an invalid one is a configuration error (exit 3). */
export function applyEnvironment(config: Config, env: Env): EnvironmentOverrides {
  try {
    return applyEnvironmentVariables(config, env);
  } catch (error) {
    if (error instanceof EnvironmentVariableError) throw new CliError(EXIT.config, error.message);
    throw error;
  }
}
