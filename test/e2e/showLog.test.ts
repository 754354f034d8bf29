/**
 * What a person does today: open the command palette, run "Model Router: Show Log", and read the activation line
 * in the Output panel, on the Model Router channel.
 */
import * as assert from 'node:assert/strict';

import { version } from '../../package.json';
import { E2ESession } from './harness';

describe('Model Router: Show Log, from the command palette', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start();
  });

  after(async () => {
    await vs?.stop();
  });

  it('opens the workbench with the extension loaded and the simulated providers running', async () => {
    assert.ok(vs.fakes, 'the fake providers are running');
    const models = await fetch(`${vs.fakes.openai.baseURL.replace(/\/$/, '')}/models`);
    assert.equal(models.status, 200, 'the simulated OpenAI-compatible provider answers');
    // The extension host (a process of code-server's session) sees the fakes' base URLs.
    const env = await vs.waitForExtensionHostEnv();
    assert.equal(env['ANTHROPIC_BASE_URL'], vs.fakes.anthropic.baseURL);
    assert.equal(env['OPENAI_BASE_URL'], vs.fakes.openai.baseURL);
    assert.equal(env['GEMINI_BASE_URL'], vs.fakes.gemini.baseURL);
    assert.match(await vs.page.title(), /Extension Development Host/);
    await vs.screenshot('workbench open');
  });

  it('lists the command in the palette and runs it', async () => {
    await vs.runCommand('Model Router: Show Log', { screenshot: 'palette shows Model Router Show Log' });
  });

  it('shows the Model Router channel in the Output panel with the activation line', async () => {
    await vs.output.waitForChannel('Model Router');
    const line = await vs.output.waitForLine(/Model Router activated \(version /);
    assert.match(line, new RegExp(`\\[info\\] Model Router activated \\(version ${version.replace(/\./g, '\\.')}\\)`));
    await vs.screenshot('output panel shows the Model Router log');
  });
});
