/**
 * Entry point of the `model-router` command (bundled to dist/cli.js with a `#!/usr/bin/env node` banner). Wires the
 * real process into `main()`: streams, environment, working directory, and Ctrl-C, which aborts the running request
 * (a second Ctrl-C exits at once). The exit code is main()'s.
 */
import { main } from './cli/main';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});
// `model-router ... | head`: a closed pipe ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: interrupt.signal,
}).then((code) => {
  // Exit once stdout has taken everything; SDK keep-alive sockets would otherwise hold the process for seconds.
  process.stdout.write('', () => process.exit(code));
});
