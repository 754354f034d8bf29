/**
 * "Model Router: Rebalance...": edits the load-balance weights. A quick pick shows each enabled provider's configured
 * and effective weight (weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s), routing/performance.ts) and offers
 * to take the effective weights as the new configured ones, or to type one provider's weight; then where to save it:
 * the user settings (`modelRouter.weights.<provider>`, built-in providers) or the user YAML config
 * (`providers.<id>.weight`, any provider, comments kept). Never a workspace's settings or file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import * as vscode from 'vscode';

import type { BuiltinProviderId } from '../core/providers/types';
import { BUILTIN_PROVIDER_IDS } from '../core/providers/types';
import { describeWeight } from '../core/routing/performance';
import { formatWeight } from '../core/util/format';
import type { Container } from './container';
import { loadEngine } from './engine';
import { providerWeightSettingKey, SETTINGS_SECTION } from './settings';

type Target = 'settings' | 'yaml';

/** Rounds a weight for writing: two significant digits, as shown. */
function rounded(weight: number): number {
  return Number(formatWeight(weight));
}

export async function rebalance(container: Container): Promise<boolean> {
  const router = await container.routerService.router();
  const { config, userFile } = await container.configService.get();
  const weights = router.effectiveWeights();
  if (weights.length === 0) {
    void vscode.window.showInformationMessage('Model Router: no provider is enabled, so there is no weight to set.');
    return false;
  }
  type Item = vscode.QuickPickItem & { readonly provider?: string; readonly observed?: true };
  const measured = weights.filter((w) => w.performance.evidence >= 1 && rounded(w.effective) !== w.weight);
  const items: Item[] = [
    ...(measured.length > 0
      ? [
          {
            label: '$(sync) Use the observed weights',
            description: measured.map((w) => `${w.provider} ${formatWeight(w.weight)} → ${formatWeight(w.effective)}`).join(', '),
            detail: 'Sets each measured provider\'s weight to its effective weight now (from its recent error rate and latency).',
            observed: true,
          } as Item,
        ]
      : []),
    ...weights.map((w) => ({ label: config.providers[w.provider]?.label ?? w.provider, description: w.provider, detail: describeWeight(w.weight, w.performance), provider: w.provider })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Model Router: Rebalance...',
    placeHolder: `Load-balance weights (${config.routing.strategy === 'load-balance' ? 'in use' : `used by the load-balance strategy; the strategy now is ${config.routing.strategy}`})`,
  });
  if (!picked) return false;
  let changes: Record<string, number>;
  if (picked.observed) {
    changes = Object.fromEntries(measured.map((w) => [w.provider, rounded(w.effective)]));
  } else {
    const current = weights.find((w) => w.provider === picked.provider)!;
    const typed = await vscode.window.showInputBox({
      title: `Model Router: load-balance weight of ${picked.provider}`,
      prompt: `${describeWeight(current.weight, current.performance)}. A number from 0 to 1000; 0 never picks it first.`,
      value: formatWeight(current.weight),
      validateInput: (value) => {
        const n = Number(value.trim());
        return value.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1000 ? undefined : 'Type a number from 0 to 1000, e.g. 2 or 0.5.';
      },
    });
    if (typed === undefined) return false;
    changes = { [picked.provider!]: Number(typed.trim()) };
  }
  const builtinOnly = Object.keys(changes).every((id) => (BUILTIN_PROVIDER_IDS as readonly string[]).includes(id));
  const targets: (vscode.QuickPickItem & { target: Target })[] = [
    ...(builtinOnly ? [{ label: 'User settings', description: Object.keys(changes).map((id) => `${SETTINGS_SECTION}.weights.${id}`).join(', '), target: 'settings' as const }] : []),
    { label: 'User YAML config', description: userFile, detail: 'providers.<id>.weight; comments are kept. A user setting of the same weight still wins over it.', target: 'yaml' },
  ];
  const where = await vscode.window.showQuickPick(targets, { title: 'Model Router: save the weights to', placeHolder: 'Where to save' });
  if (!where) return false;
  const summary = Object.entries(changes).map(([id, w]) => `${id} ${formatWeight(w)}`).join(', ');
  if (where.target === 'settings') {
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    for (const [id, weight] of Object.entries(changes)) {
      await settings.update(providerWeightSettingKey(id as BuiltinProviderId), weight, vscode.ConfigurationTarget.Global);
    }
  } else {
    let text: string | undefined;
    try {
      text = await readFile(userFile, 'utf8');
    } catch {
      text = undefined;
    }
    const result = loadEngine().setProviderWeightsInYaml(userFile, text, changes, { knownProviders: Object.keys(config.providers) });
    if (!result.ok) {
      const why = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.key}: ${d.message}`).join('; ');
      void vscode.window.showErrorMessage(`Model Router: the weights were not written to ${userFile}: ${why}. Fix the file first; nothing was changed.`);
      return false;
    }
    await mkdir(dirname(userFile), { recursive: true });
    await writeFile(userFile, result.text);
    const shadowed = Object.keys(changes).filter((id) => {
      if (!(BUILTIN_PROVIDER_IDS as readonly string[]).includes(id)) return false;
      const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect(providerWeightSettingKey(id as BuiltinProviderId));
      return inspected?.globalValue !== undefined && inspected.globalValue !== null;
    });
    if (shadowed.length > 0) {
      void vscode.window.showWarningMessage(`Model Router: your user settings set the weight of ${shadowed.join(', ')} too, and they win over the YAML file.`);
    }
  }
  container.log.info(`Load-balance weights set (${where.target === 'settings' ? 'user settings' : userFile}): ${summary}.`);
  void vscode.window.showInformationMessage(`Model Router: load-balance weights set: ${summary}.`);
  return true;
}
