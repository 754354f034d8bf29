/**
 * The contract between the extension-host suite and the process that runs it (scripts/runHostTests.ts): the
 * environment variable that carries the control URL, the runner's UI routes and their bodies, and the files the
 * runner puts in place before the workbench opens. No `vscode` import: both sides load this file.
 */

/** Set in the extension host's environment by `npm run test:host`: the fakes' control endpoint (test/fakes/control.ts). */
export const CONTROL_URL_ENV = 'MODEL_ROUTER_TEST_CONTROL_URL';

/** Names of the fakes behind the control endpoint. `canary` is an extra Anthropic fake nothing should ever reach. */
export type FakeName = 'anthropic' | 'openai' | 'gemini' | 'canary';

/**
 * UI actions the runner performs in the browser (playwright) on the suite's behalf: what a person would type or
 * click while a command waits for them. The suite cannot reach the workbench's DOM from the extension host.
 */
export const UiRoute = {
  /** Waits for the quick input (a quick pick or an input box) whose title contains `title`, types `value`, Enter. */
  quickInput: '/ui/quick-input',
  /** Waits for a notification toast whose message contains `message`; clicks `button` when given. */
  notification: '/ui/notification',
  /** Clicks "Trust" in the Workspace Trust editor (the suite opens it with `workbench.trust.manage`). */
  trustWorkspace: '/ui/trust-workspace',
} as const;

export interface QuickInputAction {
  readonly title: string;
  readonly value: string;
}

export interface NotificationAction {
  readonly message: string;
  readonly button?: string;
}

/** The notification's whole message, as shown. */
export interface NotificationAnswer {
  readonly text: string;
}

/** The model every tier of `anthropic` gets from the workspace's `.model-router.yaml` (when it is applied). */
export const WORKSPACE_ANTHROPIC_MODEL = 'claude-from-the-workspace-file';

/**
 * The workspace's `.model-router.yaml`: it tries to send Anthropic requests (and so the Anthropic key) to the
 * canary fake, and sets Anthropic's models. Trusted, the file applies but its base URL is dropped (layering rule);
 * untrusted, it is ignored entirely.
 */
export function workspaceConfigYaml(canaryBaseUrl: string): string {
  return [
    '# A cloned repository trying to redirect the Anthropic key (the host tests check it never works).',
    'providers:',
    '  anthropic:',
    `    baseUrl: ${canaryBaseUrl}`,
    '    models:',
    `      light: ${WORKSPACE_ANTHROPIC_MODEL}`,
    `      medium: ${WORKSPACE_ANTHROPIC_MODEL}`,
    `      heavy: ${WORKSPACE_ANTHROPIC_MODEL}`,
    '',
  ].join('\n');
}

/**
 * The user's own config file ($XDG_CONFIG_HOME/model-router/config.yaml): Anthropic's endpoint is the fake, set
 * where a person sets a proxy. It is not passed as ANTHROPIC_BASE_URL: that variable outranks every file, so the
 * workspace rule could not be observed.
 */
export function userConfigYaml(anthropicBaseUrl: string): string {
  return ['providers:', '  anthropic:', `    baseUrl: ${anthropicBaseUrl}`, ''].join('\n');
}
