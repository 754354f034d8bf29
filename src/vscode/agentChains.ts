/**
 * Writing agents' chains: Reassign Agent…, Apply Preset and the dashboard's recommendations all write the same user
 * settings (`modelRouter.agents.<agent>`), the ones the Settings editor shows as dropdowns. A workspace (or folder)
 * value of the same setting takes precedence in that workspace, so the user is told when one hides what was written.
 */
import * as vscode from 'vscode';

import type { AgentId } from '../core/config/types';
import type { Log } from './log';
import { agentChainSettingKey, SETTINGS_SECTION } from './settings';

export async function writeAgentChains(changes: ReadonlyArray<readonly [AgentId, readonly string[]]>, log: Log): Promise<void> {
  const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const shadowed: AgentId[] = [];
  for (const [agent, chain] of changes) {
    const key = agentChainSettingKey(agent);
    await settings.update(key, [...chain], vscode.ConfigurationTarget.Global);
    log.info(`Agent ${agent}: ${chain.join(' → ')} (user setting ${SETTINGS_SECTION}.${key}).`);
    const inspected = settings.inspect(key);
    if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) shadowed.push(agent);
  }
  if (shadowed.length === 0) return;
  const which = shadowed.join(', ');
  log.warn(`This workspace's settings set the chain of ${which}; they take precedence over the user settings just written.`);
  const choice = await vscode.window.showWarningMessage(
    `Model Router: written to your user settings, but this workspace sets the chain of ${which} itself, and that stays in force here.`,
    'Open Workspace Settings',
  );
  if (choice) await vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', { query: `${SETTINGS_SECTION}.agents` });
}
