/**
 * Verify-then-escalate in the extension: the window's Verifier (sandbox and interpreters, detected once on the first
 * request that carries checks) and the permission to run model-written code. Checks run only in a trusted workspace
 * and only when `modelRouter.verify.run` allows it: `on`, or `ask` (the default) and the user said yes in the modal,
 * which names what runs, where, for how long, and whether the network is cut off. The answer is remembered in the
 * user settings (on / off), where it can be changed.
 */
import * as vscode from 'vscode';

import type { CascadeVerification, RouteRequest } from '../core/routing/router';
import type { Isolation } from '../core/verify/types';
import type { Verifier } from '../core/verify/verifier';
import type { CheckPlan } from '../core/verify/verify';
import type { ConfigService } from './configService';
import { loadEngine } from './engine';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import { SettingKey, SETTINGS_SECTION } from './settings';

const LANGUAGE_NAMES: Readonly<Record<string, string>> = { python: 'Python', javascript: 'Node.js', typescript: 'Node.js' };

export class VerifyService extends Disposable {
  private verifier: Promise<Verifier> | undefined;
  /** The Python command and limits the current verifier was built with; another value builds a new one. */
  private builtFor = '';
  private untrustedNoted = false;
  private readonly missingNoted = new Set<string>();
  /** A consent question already on screen: concurrent requests wait for the same answer. */
  private asking: Promise<boolean> | undefined;
  private readonly detected = this._register(new vscode.EventEmitter<Isolation>());
  /** The sandbox was found (on the first request that carries checks, and again after a configuration change). */
  readonly onDidDetect = this.detected.event;

  constructor(
    private readonly configService: ConfigService,
    private readonly log: Log,
  ) {
    super();
  }

  /** What the router is given: plans through the window's verifier, consent through {@link mayRun}. */
  readonly verification: CascadeVerification = {
    verifier: {
      plan: (request) => this.planWith(request),
      verify: async (request, signal) => (await this.current()).verify(request, signal),
    },
    mayRun: (plan, request) => this.mayRun(plan, request),
  };

  /** The sandbox's isolation once found (undefined before the first request that carried checks). */
  knownIsolation: Isolation | undefined;

  /**
   * The checks a request carries. Where checks may never run here (an untrusted workspace, `verify.run: off`) nothing
   * is probed and the plan is empty, so the request is routed by complexity without asking.
   */
  private async planWith(request: Parameters<Verifier['plan']>[0]): Promise<CheckPlan> {
    const blocked = await this.neverRuns();
    if (blocked !== undefined) return { language: undefined, checks: [], reason: blocked };
    const plan = (await this.current()).plan(request);
    if (plan.runtimeMissing && !this.missingNoted.has(plan.runtimeMissing)) {
      this.missingNoted.add(plan.runtimeMissing);
      const what = LANGUAGE_NAMES[plan.language ?? ''] ?? plan.runtimeMissing;
      this.log.warn(`Checks for ${plan.language} answers cannot run: ${plan.reason ?? `${what} not found`}. Edit tasks in ${plan.language} are routed by complexity.`);
      void vscode.window
        .showWarningMessage(`Model Router: ${plan.reason ?? `${what} not found`}, so ${plan.language} answers are not checked (routed by complexity instead).`, 'Verify Settings')
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', `${SETTINGS_SECTION}.verify`);
        });
    }
    return plan;
  }

  /** The verifier for the configuration in force; rebuilt when the Python command or the limits change. */
  private async current(): Promise<Verifier> {
    const { config } = await this.configService.get();
    const python = config.verify.python ?? (await pythonExtensionInterpreter());
    const key = JSON.stringify([python, config.verify.timeoutMs, config.verify.memoryMb]);
    if (this.verifier === undefined || key !== this.builtFor) {
      this.builtFor = key;
      this.missingNoted.clear();
      this.verifier = loadEngine()
        .createVerifier({
          host: 'extension-host',
          ...(python ? { python } : {}),
          limits: { timeoutMs: config.verify.timeoutMs, memoryMb: config.verify.memoryMb },
        })
        .then((verifier) => {
          this.log.info(`Checking answers: ${verifier.sandbox.isolation.description}.`);
          this.knownIsolation = verifier.sandbox.isolation;
          this.detected.fire(verifier.sandbox.isolation);
          return verifier;
        });
    }
    return this.verifier;
  }

  /** Why checks can never run for now (untrusted workspace, `verify.run: off`), or undefined when they may. */
  private async neverRuns(): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) {
      if (!this.untrustedNoted) {
        this.untrustedNoted = true;
        this.log.info('Checks do not run in an untrusted workspace: edit tasks are routed by complexity.');
      }
      return 'checks do not run in an untrusted workspace';
    }
    const { settings } = await this.configService.get();
    return settings.verifyRun === 'off' ? 'checks are off (modelRouter.verify.run)' : undefined;
  }

  private async mayRun(plan: CheckPlan, request: RouteRequest): Promise<boolean> {
    if ((await this.neverRuns()) !== undefined) return false;
    const { settings } = await this.configService.get();
    if (settings.verifyRun === 'on') return true;
    this.asking ??= this.ask(plan, request).finally(() => (this.asking = undefined));
    return this.asking;
  }

  /** The modal of `verify.run: ask`: what runs, where, for how long, isolated or not. "Allow" / "Don't Allow" are remembered. */
  private async ask(plan: CheckPlan, request: RouteRequest): Promise<boolean> {
    const verifier = await this.current();
    const { timeoutMs, memoryMb } = verifier.limits;
    const runtime = plan.language === 'python' ? verifier.runtimes.python : verifier.runtimes.node;
    const program = runtime ? [runtime.command, ...runtime.args].join(' ') : (LANGUAGE_NAMES[plan.language ?? ''] ?? 'an interpreter');
    const what = plan.checks.length === 1 ? 'the 1 check' : `the ${plan.checks.length} checks`;
    const isolation = verifier.sandbox.isolation;
    const detail =
      `To pick the cheapest model that gets it right, Model Router can check a cheap model's code before you see it: it runs ${what} ` +
      `this ${request.task === 'tests' ? 'Write Tests request' : 'request'} carries (examples, asserts or tests) with ${program}, in a new temporary folder, ` +
      `for at most ${(timeoutMs / 1000).toLocaleString('en-US')} s and ${memoryMb} MiB, with no API keys in its environment. ` +
      (isolation.level === 'none'
        ? 'This machine offers no isolation: the code is NOT cut off from the network or your files. '
        : `Isolation: ${isolation.description}. `) +
      'Only a failed check sends the request to a stronger model.\n\nYour choice is saved in the setting modelRouter.verify.run.';
    const allow = 'Allow';
    const never = "Don't Allow";
    const choice = await vscode.window.showWarningMessage('Run model-written code to check it?', { modal: true, detail }, allow, never);
    if (choice === undefined) {
      this.log.info('Checks not allowed this time (the question was dismissed); asked again next time.');
      return false;
    }
    const value = choice === allow ? 'on' : 'off';
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(SettingKey.verifyRun, value, vscode.ConfigurationTarget.Global);
    this.log.info(`Checks ${value === 'on' ? 'allowed' : 'not allowed'}: modelRouter.verify.run is now "${value}".`);
    return value === 'on';
  }
}

/** The interpreter the Python extension has selected, when it is installed and says; undefined otherwise. */
async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<{
    environments?: { getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path?: string } | undefined };
  }>('ms-python.python');
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const path = api?.environments?.getActiveEnvironmentPath?.(vscode.workspace.workspaceFolders?.[0]?.uri)?.path;
    return path && path.trim() !== '' ? path : undefined;
  } catch {
    return undefined;
  }
}
