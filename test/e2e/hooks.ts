/**
 * Root hooks of the e2e suite (loaded by test/e2e/.mocharc.json): a screenshot of every live session when a test
 * fails, a last stop of any session a test file forgot to stop, and a stop of all sessions on SIGINT/SIGTERM/SIGHUP.
 */
import type { Context } from 'mocha';

import { onTerminationSignals } from '../../scripts/codeServer';
import { liveSessions, runDir } from './harness';

// Ctrl-C, a CI timeout's SIGTERM or a closed terminal: stop every session before exiting.
onTerminationSignals(async () => {
  await Promise.all([...liveSessions].map((session) => session.stop()));
});

export const mochaHooks = {
  beforeAll(): void {
    console.log(`  e2e screenshots: ${runDir()}`);
  },

  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    if (test?.state !== 'failed') {
      return;
    }
    for (const session of liveSessions) {
      try {
        const file = await session.screenshot(`FAILED ${test.title}`);
        console.log(`    screenshot of the failure: ${file}`);
      } catch (error) {
        console.log(`    (no screenshot of the failure: ${error instanceof Error ? error.message : String(error)})`);
      }
    }
  },

  async afterAll(): Promise<void> {
    for (const session of [...liveSessions]) {
      await session.stop();
    }
  },
};
