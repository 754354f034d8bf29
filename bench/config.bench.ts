import { loadConfigText, MAX_CONFIG_FILE_BYTES } from '../src/core/config/load';
import type { Figure } from './report';
import { medianTime } from './report';

/**
 * Validating a configuration file with a huge mapping: 80,000 keys (about 790 KB, under the 1 MiB bound), each an
 * unknown top-level key, so every key is parsed, checked for duplicates, schema-checked and reported (the report is
 * capped). Before the linear duplicate check this took 53 s (the yaml library's uniqueKeys compares every key with
 * every other one). The ratio to a 10x smaller file shows the work is linear: about 10, more with garbage
 * collection in the larger heap; quadratic would be about 100.
 */
function mapping(keys: number): string {
  // Keys of one length in both files (k00000: 1), so the ratio compares the same work per key.
  return Array.from({ length: keys }, (_, i) => `k${String(i).padStart(5, '0')}: 1`).join('\n') + '\n';
}

function validateMs(keys: number, runs: number): number {
  const text = mapping(keys);
  if (Buffer.byteLength(text) > MAX_CONFIG_FILE_BYTES) throw new Error(`the ${keys}-key file is over the size bound`);
  return medianTime(runs, () => {
    const result = loadConfigText('/bench/.model-router.yaml', text);
    if (result.ok) throw new Error('a file of unknown keys must not validate');
  });
}

export async function configBench(): Promise<readonly Figure[]> {
  loadConfigText('/bench/warmup.yaml', 'strategy: cost\n'); // compiles the schema
  const small = validateMs(8_000, 5);
  const large = validateMs(80_000, 3);
  return [
    { name: 'config.validate_8k_keys_ms', value: small, unit: 'ms', op: '<=', target: 500 },
    { name: 'config.validate_80k_keys_ms', value: large, unit: 'ms', op: '<=', target: 6000 },
    { name: 'config.validate_80k_vs_8k_keys_ratio', value: large / small, unit: 'x', op: '<=', target: 20 },
  ];
}
