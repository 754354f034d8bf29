/** `--help` texts: the overview and one per command. */

const EXIT_CODES = `Exit codes:
  0    success
  1    the work failed: every candidate failed, or the answer broke off after it had started (ask);
       some input lines were bad and were skipped (classify --jsonl, verify --jsonl); verify: a check failed
  2    usage error: unknown command, option, agent, task, provider or preset; a missing or bad argument;
       an input file that cannot be read
  3    a configuration file has errors (or ANTHROPIC_BASE_URL etc. is not a URL); nothing was sent or written
  4    nothing usable: no key set or every key rejected, every key rate limited, over budget (ask);
       no provider passed its connection test (status)
  5    verify: nothing could be checked (no examples, asserts or tests; no interpreter; another language)
  130  interrupted by Ctrl-C`;

const ENVIRONMENT = `Keys come only from the environment (never from a file or a flag; never printed):
  ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY (or GOOGLE_API_KEY), DEEPSEEK_API_KEY
  Another key id gets the id appended: key "work" of anthropic is ANTHROPIC_API_KEY_WORK. A custom provider
  "my-proxy" (declared in the user config) reads MY_PROXY_API_KEY, MY_PROXY_API_KEY_WORK...
Endpoints: the config's, overridden by ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GEMINI_BASE_URL, DEEPSEEK_BASE_URL,
  MODEL_ROUTER_LOCAL_BASE_URL (for proxies, gateways and the fake providers of \`npm run fakes\`).`;

const GLOBAL = `Global options (before or after the command):
  --config PATH            the user config (YAML). Default: $XDG_CONFIG_HOME/model-router/config.yaml, else
                           ~/.config/model-router/config.yaml. Only \`assign\` and \`bulk\` create or change it.
  --workspace-config PATH  the workspace config. Default: ./.model-router.yaml when it exists. It is read only
                           with --trust-workspace (else ignored, with a note on stderr), and it may set only
                           routing (strategy, tiers, chains, models of existing providers...): budgets, prices,
                           the ledger, keys, endpoints and new providers are ignored with a warning.
  --trust-workspace        apply the workspace config
  --data-dir PATH          data directory: the request ledger (\`ask\` records every request there; \`costs\` reads
                           it). Default: $XDG_DATA_HOME/model-router, else ~/.local/share/model-router.
  -h, --help               help (\`model-router COMMAND --help\` for a command)
  --version                print the version`;

export const MAIN_HELP = `model-router: sends code to the model that fits the job (the CLI of the Model Router VS Code extension)

Usage: model-router [global options] COMMAND [options]

Commands:
  classify [FILE|-]                  complexity 1-10, tier and reasons (no network); --jsonl IN for many texts
  ask (--agent A | --task T)         route one request and stream the answer to stdout
  compare (--agent A | --task T)     the same request on two models (routed + --model, or the two cheapest);
                                     --pick a|b|both|neither records which was better
  costs                              spend recorded by the ledger: today and this month vs budgets, by
                                     provider/agent/model/day; --csv or --json for every request
  status                             keys present and a live connection test per provider
  providers                          providers: protocol, base URL, models per tier, key ids
  agents                             agents: provider chain (primary first) and reasoning
  assign AGENT P1[,P2,...]           set an agent's provider chain in the user config
  bulk cost|performance|balanced     rewrite every agent's chain from a preset in the user config
  config validate [FILE]             check configuration files; errors as file:line:col
  verify --answer FILE [--code FILE] run what the request says the code must do (examples, asserts, tests) on a
                                     model's answer, sandboxed: pass / fail / unknown; --jsonl IN for many
  help [COMMAND]                     this text, or a command's

${GLOBAL}

${ENVIRONMENT}

${EXIT_CODES}

Examples:
  model-router classify --task refactor src/router.ts
  model-router ask --task explain --file src/router.ts:120-180
  git diff | model-router ask --agent reviewer --json | tail -n 1 | jq .outcome
  model-router costs --by model --since 2026-01-01
  model-router assign reviewer anthropic,openai --reasoning "reviews need the strongest models"
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  classify: `Usage: model-router classify [--task T] [--language L] [--instruction S] [--json] [FILE|-]
       model-router classify --jsonl IN [--out OUT] [--task T] [--language L] [--instruction S]

Estimates the complexity (1-10) of a text, its tier under the configured thresholds, and the reasons. No network.

  FILE                 the code; \`-\` or piped stdin when absent. The language is guessed from the extension.
  --task T             explain (default; adds no points), refactor, tests, review, document, fix, implement, ask
  --language L         a language id (typescript, python, rust...), overriding the guess
  --instruction S      what would be asked of the model (it adds points: "mentions concurrency"...)
  --json               one JSON object: {"complexity", "tier", "reasons", "raw", "task", "language"}
  --jsonl IN           IN (or \`-\` for stdin) has one JSON object per line: {"id", "text", "task"?, "language"?,
                       "instruction"?}; each line gives {"id", "complexity", "tier", "reasons"} on one line, in
                       order, streamed. --task/--language/--instruction apply to lines that lack them. A bad line
                       is reported on stderr with its line number and skipped; the others are still written, and
                       the exit code is 1. Blank lines are ignored.
  --out OUT            write the JSONL results to OUT instead of stdout

${EXIT_CODES}
`,
  ask: `Usage: model-router ask (--agent A | --task T) [--file PATH[:START-END]] [--prompt S] [--model PROVIDER/MODEL]
                        [--stronger] [--exclude PROVIDER/MODEL]... [--language L] [--no-cache] [--json] [-q]

Routes one request through the agent's provider chain and streams the answer to stdout as it arrives.

  --agent A            implementer, refactorer, tester, reviewer, explainer, documenter, fixer, architect
  --task T             explain, refactor, tests, review, document, fix, implement, ask. With --agent alone, the task
                       is the agent's; with --task alone, the agent is the one bound to the task.
  --file PATH          the code; PATH:START-END (or PATH:N) takes those lines only (1-based, inclusive); \`-\` is
                       stdin. Without --file and --prompt, piped stdin is the code. The language comes from the
                       extension (or --language).
  --prompt S           the question or instruction
  --model P/M          force a model (e.g. openai/gpt-6-luna): skips the complexity estimate; health, limits and
                       budgets still apply
  --stronger           one tier above what the complexity says ("retry with a stronger model")
  --exclude P/M        do not try this candidate (repeatable); what to add after an answer broke off
  --no-cache           ask the model even when the answer cache holds this exact request (its new answer
                       replaces the cached one)
  --json               after the answer, print the decision record (complexity, candidates and why each was
                       skipped, every attempt, usage, cost, outcome; never a key, never your code) as ONE line of
                       JSON. stdout is then: the answer, a line break, the JSON line; \`tail -n 1\` gets the record.
                       The record is printed on failure too.
  -q, --quiet          no progress on stderr (errors are still reported)
  --verify             let checks run (verify-then-escalate, for implement, fix, refactor and tests): when the
                       request carries examples, asserts, an original to compare a refactor with, or code to run
                       generated tests against, the cheapest tier answers first, its code is run in a sandbox
                       (see \`model-router verify --help\`) and only a failed check escalates one tier, telling the
                       stronger model what failed. The answer is printed once it is checked. Same as
                       \`verify: { run: true }\` in the config.
  --cascade            --verify, and the cascade even when the config turns it off (verify: { cascade: false })

stderr shows the plan (model · complexity · tier · estimated cost · reasons, then the fallbacks and the candidates
skipped with why), retries, fallbacks, waits, and the result (model, latency, tokens, cost). An answer that breaks off
after it has started is never continued on another model: stderr says so, lists the next candidates and prints the
command to ask again with --exclude. Ctrl-C cancels the request (exit 130).

An exact repeat (same task, model, --prompt and code) of an explain or review within 24 hours is answered from the
answer cache beside the ledger at $0, with nothing sent; stderr says "cached from <time>". The config's
\`cache: { enabled, ttlHours, tasks }\` changes that. The cache keeps the answer text (a hash names it; your code and
--prompt are not kept); runs with --trust-workspace use a cache of their own.

Every request is recorded in the ledger in the data directory (--data-dir) when it ends: answered, failed, broken
off or cancelled. The record has the agent, task, complexity, models tried, tokens, cost and outcome; never your code,
never a key, and the --prompt text only with \`ledger: { storeInstructions: true }\` in the config. Budgets count
everything recorded in the current day and month (see \`model-router costs\`). When the ledger cannot be opened, the
request is still answered, with a warning, but not recorded.

${EXIT_CODES}
`,
  compare: `Usage: model-router compare (--agent A | --task T) [--file PATH[:START-END]] [--prompt S] [--model P/M]
                       [--pick a|b|both|neither] [--language L] [--json] [-q]

The same request on two models at once: the routed model (A) and --model (B), or without --model the two cheapest
models that can take it now (keys, health, limits and budgets decide). Nothing is sent to choose them. Once both
answered, stdout has "=== A: provider/model ===", A's answer, then B's the same way; stderr the tokens and cost of
each. Both requests are recorded in the ledger (never answered from the answer cache).

  --model P/M          the model to compare the routed one with
  --pick W             which answer was better: a, b, both (fine) or neither; recorded in the ledger as feedback
                       on both answers (the dashboard's Feedback table counts comparison wins)
  --json               after the answers, one JSON line: {"a": decision, "b": decision, "pick"?}

Exit: 0 both answered; 1 one failed; 4 fewer than two models can take the request.
`,
  costs: `Usage: model-router costs [--since YYYY-MM-DD] [--by provider|agent|model|day] [--csv | --json] [--time-zone TZ]

What the request ledger (in the data directory, --data-dir) recorded from --since on (default: the first day of the
current month). Without --csv or --json, a table: with --by, the costs grouped that way; else today's and this
month's spend against the budgets, then the costs by provider.

  --since YYYY-MM-DD   from the start of that day (in the time zone)
  --by D               group by provider, agent, model or day
  --csv                CSV (RFC 4180, spreadsheet-safe): one line per request, or one per group with --by
  --json               JSON: {"from", "to", "timeZone", "requests": [...]}, or {..., "by", "rows": [...]} with --by
  --time-zone TZ       IANA time zone for days and months (default: budget.timeZone of the config, else the system's)

Exit 0; 2 for a bad date, time zone or --by; 1 when the ledger cannot be opened.
`,
  status: `Usage: model-router status [--timeout MS] [--json]

For every provider: enabled or not, each key id with its environment variable and whether it is set (never its
value), and a live connection test run in parallel (list models; Gemini counts tokens), with latency and the result
or error. Disabled providers and providers without a key are not tested.

  --timeout MS         time limit of each test (default 5000)
  --json               {"providers": [...], "usable": N}

Exit 0 when at least one provider passed its test, 4 when none did.
`,
  providers: `Usage: model-router providers [--json]

Lists the providers of the resolved configuration: protocol, base URL (and whether it comes from the built-in
defaults, the config, or an environment variable), model per tier, key ids with their environment variables and
whether they are set (never the values), limits. No network.
`,
  agents: `Usage: model-router agents [--json]

Lists the agents, the task each serves, its provider chain (primary first) and the reasoning behind it.
`,
  assign: `Usage: model-router assign AGENT P1[,P2,...] [--reasoning S]

Sets AGENT's provider chain (primary first) in the user config (--config), keeping its comments and formatting;
creates the file and its directory when missing. The file is written only when the result is valid; the output
shows the old and the new chain. Without --reasoning the reasoning becomes "Assigned by hand: ...".

  AGENT                implementer, refactorer, tester, reviewer, explainer, documenter, fixer, architect
  P1,P2,...            provider ids (see \`model-router providers\`); commas or spaces
  --reasoning S        why this chain (shown by \`agents\` and the extension)
`,
  bulk: `Usage: model-router bulk cost|performance|balanced

Rewrites every agent's chain and reasoning from a preset in the user config (--config), keeping its comments:
  cost          cheapest first (estimated price of a typical request with each provider's models)
  performance   best capability rating for the agent's task first, whatever it costs
  balanced      strongest first for review, refactor and questions; cheapest first for explain and document;
                cheapest of the capable ones for implement, tests and fix
Prints each agent's old and new chain; creates the file when missing; writes only a valid result.
`,
  verify: `Usage: model-router verify [--task T] [--language L] [--code FILE] --answer FILE [--instruction S] [--json]
       model-router verify --jsonl IN [--out OUT] [--concurrency N] [--task T] [--language L]

Checks a model's answer to an edit task by running what the request says the code must do, in a sandbox (a temp
folder, no keys in the environment, time/memory/output limits, and no network where the OS allows it):
  - Python: doctest examples (\`>>>\`, also in Google "Example:" and NumPy "Examples" sections) in the code's
    docstrings and the instruction; \`assert\` lines in the instruction or the code;
  - JavaScript / TypeScript: JSDoc @example lines with an expected value (\`// => 4\`), assert / expect lines in the
    instruction;
  - refactor: the original and the answer give the same results on the examples' calls;
  - tests (Write Tests): the answer's tests run against the code, one result per test;
  - every answer: its code parses.
Verdict: pass (every check ran and passed), fail (one failed: which, expected vs got), unknown (nothing could be
checked).

  --task T             implement (default), fix, refactor, tests (other tasks are not checked: unknown)
  --language L         python, javascript, typescript (default: from the --code or --answer file's extension)
  --code FILE          the code the request was about (the selection); \`-\` is stdin
  --answer FILE        the model's raw answer: markdown and prose are fine, the code is taken from its fence
  --instruction S      what was asked; examples and asserts in it are checked too
  --python CMD         the Python interpreter (default: verify.python of the config, else python3)
  --timeout-ms MS      wall time for one answer's checks (default: verify.timeoutMs of the config, else 5000)
  --memory-mb MB       memory for one answer's run (default: verify.memoryMb of the config, else 512)
  --json               the verdict as one JSON object (as --jsonl writes it)
  --jsonl IN           IN (or \`-\`) has one JSON object per line: {"id", "task", "language", "text", "completion",
                       "instruction"?} where text is the code the request was about and completion the model's
                       raw answer; each line gives {"id", "verdict", "checks", "passed", "failures", "ms"} in input
                       order (also "reason" and "isolation" when known). --task/--language/--instruction apply to
                       lines that lack them. A bad line is reported on stderr and skipped (exit 1).
  --concurrency N      lines checked at once with --jsonl (default: the number of cores + 1)
  --out OUT            write the JSONL results to OUT instead of stdout

Exit 0 pass, 1 fail, 5 unknown (nothing could be checked), 2 usage error. With --jsonl: 0, or 1 when a line was bad.
`,
  config: `Usage: model-router config validate [FILE]

Checks FILE, or by default the user config and (with --trust-workspace) the workspace config, plus the base URL
environment variables. Prints each problem as \`file:line:col: error|warning: message\` and a summary.
Exit 0 when there is no error (warnings allowed), 3 otherwise.
`,
  help: `Usage: model-router help [COMMAND]
`,
};
