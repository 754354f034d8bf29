/**
 * The JSON Schema of the configuration file (schemas/model-router.schema.json, committed so the extension can also
 * register it through `yamlValidation`), compiled once with ajv on first use.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv from 'ajv';

import schemaJson from '../../../schemas/model-router.schema.json';
import type { ConfigFile } from './configFile';

/** The schema document as committed. */
export const CONFIG_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;

let validator: ValidateFunction<ConfigFile> | undefined;

/** The compiled validator (compiled on the first call, then reused). Reports every error, with the failing data. */
export function configValidator(): ValidateFunction<ConfigFile> {
  if (validator === undefined) {
    // strict: a schema mistake (unknown keyword, bad `required`) fails here, in the tests, not silently at run time.
    // verbose: errors carry their parent schema, which the "did you mean" suggestion reads its known keys from.
    const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
    validator = ajv.compile<ConfigFile>(schemaJson);
  }
  return validator;
}

/** Validates a plain value against the schema; `[]` when valid. */
export function schemaErrors(value: unknown): readonly ErrorObject[] {
  const validate = configValidator();
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
