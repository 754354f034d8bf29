import assert from 'node:assert/strict';
import path from 'node:path';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import { LedgerStore } from '../../src/core/ledger/store';
import type { CliRunResult } from '../support/cliHarness';
import { fakeProviderEnv, runCli, useCliSandbox, writeRoutingConfig } from '../support/cliHarness';

/** `model-router compare`: the same request on two models, both answers printed, the pick recorded as feedback. */
describe('cli: compare (two models, one request, a pick)', function () {
  this.timeout(30_000);
  const sb = useCliSandbox('model-router-cli-compare-');

  const run = (argv: string[]): Promise<CliRunResult> => runCli(argv, { env: fakeProviderEnv(sb.tmp, sb.fakes), cwd: sb.tmp });
  const config = (): Promise<string> => writeRoutingConfig(path.join(sb.tmp, 'config.yaml'), 1);
  const OPENAI_MODEL = DEFAULT_CONFIG.providers.openai!.models.medium!;

  it('prints the routed model\'s answer as A and --model\'s as B, records both requests and the pick on both', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ text: 'answer from anthropic', usage: { input: 1_000, output: 200 } });
    sb.fakes.openai.enqueue({ text: 'answer from openai', usage: { input: 1_000, output: 200 } });
    const result = await run(['--config', file, 'compare', '--task', 'explain', '--prompt', 'what does x do?', '--model', `openai/${OPENAI_MODEL}`, '--pick', 'b']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^=== A: anthropic\/[^\n]+ ===\nanswer from anthropic\n\n=== B: openai\/[^\n]+ ===\nanswer from openai\n$/);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 1);
    assert.equal(sb.fakes.openai.modelRequests.length, 1);
    assert.equal(sb.fakes.openai.modelRequests[0]!.model, OPENAI_MODEL);
    assert.match(result.stderr, /recorded: A compare-loss, B compare-win/);

    const store = await LedgerStore.open({ dir: sb.dataDir, compactIntervalMs: 0, refreshIntervalMs: 0 });
    try {
      const requests = store.read((db) => db.exec("SELECT provider, command FROM requests ORDER BY provider")[0]?.values ?? []);
      assert.deepEqual(requests, [['anthropic', 'cli.compare'], ['openai', 'cli.compare']]);
      const picks = store.read((db) => db.exec('SELECT provider, kind, comparison FROM feedback ORDER BY provider')[0]?.values ?? []);
      assert.deepEqual(picks.map((p) => [p[0], p[1]]), [['anthropic', 'compare-loss'], ['openai', 'compare-win']]);
      assert.equal(picks[0]![2], picks[1]![2], 'one comparison id for both');
    } finally {
      await store.close();
    }
  });

  it('without --model compares the two cheapest usable models; fewer than two is exit 4 with the reason', async () => {
    const file = await config();
    const result = await run(['--config', file, 'compare', '--task', 'explain', '--prompt', 'q', '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((result.stdout.match(/^=== [AB]: /gm) ?? []).length, 2);
    assert.equal(sb.fakes.anthropic.modelRequests.length + sb.fakes.openai.modelRequests.length, 2);
    const env = fakeProviderEnv(sb.tmp, sb.fakes);
    delete env.OPENAI_API_KEY;
    const one = await runCli(['--config', file, 'compare', '--task', 'explain', '--prompt', 'q'], { env, cwd: sb.tmp });
    assert.equal(one.code, 4, one.stderr);
    assert.match(one.stderr, /cannot compare: fewer than two models can take this request now .*openai/);
  });

  it('refuses a bad --pick (exit 2) saying what is valid', async () => {
    const result = await run(['compare', '--task', 'explain', '--prompt', 'q', '--pick', 'c']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /a, b, both, neither/);
  });
});
