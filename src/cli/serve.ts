import { Command, Option } from 'commander';
import { resolveRuntime, runtimeOption, type RuntimeName } from './runtime-option.js';
import { ttaOption, type TtaName } from './tta-option.js';
import { operatingPointOption } from './operating-point-option.js';
import type { OperatingPointName } from '../pipeline/bundle-manifest.js';
import { integer, number, port, unitInterval } from './option-parsers.js';
import { EXIT, runAction, UsageError } from './run-action.js';
import { resolveGate, type GateFlags } from './gate-options.js';

interface ServeCliOptions extends GateFlags {
  bundle: string;
  store: string;
  host: string;
  port: number;
  workers: number;
  threads?: number;
  runtime: RuntimeName;
  tta: TtaName;
  operatingPoint: OperatingPointName;
  queueLimit: number;
  maxUploadMb: number;
  escalateAfter: number;
  corsOrigin: string[];
  logLevel: string;
  driftPsi: number;
  driftKs: number;
  driftBins: number;
  driftMinN: number;
  driftWindow: number;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const DEFAULT_STORE = 'pneumo-store';
/** The service's address with its default --host and --port. */
const DEFAULT_LOGIN_BASE = 'http://127.0.0.1:8080';
/** How long the workers get to stop when the service cannot start or listen. */
const CLOSE_AFTER_LISTEN_FAILURE_MS = 3000;

/** What stands in the way of a listen(), by its error code. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is in use (another process listens there; choose another with --port)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'this machine has no such address (--host)',
  ENOTFOUND: 'the host name does not resolve (--host)',
  EAI_AGAIN: 'the host name does not resolve (--host)',
};

/** One line for a failed listen(): the address and what stands in the way. */
function listenFailure(err: unknown, host: string, port: number): string {
  const reason = LISTEN_FAILURES[(err as NodeJS.ErrnoException).code ?? ''] ?? (err as Error).message;
  return `cannot listen on ${host}:${port}: ${reason}`;
}

function tokenCommand(): Command {
  const token = new Command('token').description('Manage the bearer tokens of a store (works while the service runs)');
  token
    .command('create')
    .description('Make a token and print it once; only its hash is stored')
    .addOption(
      new Option('--role <role>', 'what the token may do')
        .choices(['uploader', 'reviewer', 'admin'])
        .makeOptionMandatory(),
    )
    .option('--label <text>', 'who holds it (shown as the reviewer of their reviews)', '')
    .option('--store <dir>', 'the service store folder', DEFAULT_STORE)
    .option('--json', 'print {token, id, role, label} (and loginUrl) as JSON')
    .option(
      '--login-url [base]',
      'also print a one-time link that opens a browser session for this token (base: the address readers use)',
    )
    .option('--session-hours <n>', 'how long a session opened by the link lasts', number(0.01), 12)
    .action(
      runAction(
        async (opts: {
          role: 'uploader' | 'reviewer' | 'admin';
          label: string;
          store: string;
          json?: boolean;
          loginUrl?: string | true;
          sessionHours: number;
        }) => {
          const { openStore } = await import('../serve/store/open-store.js');
          const { createToken } = await import('../serve/auth/tokens.js');
          const { createLoginLink, LOGIN_LINK_MS } = await import('../serve/auth/login-links.js');
          const base = opts.loginUrl === true ? DEFAULT_LOGIN_BASE : opts.loginUrl;
          if (base !== undefined && !/^https?:\/\/[^/\s]+/.test(base))
            throw new UsageError(`--login-url: ${base} is not an http(s) address like ${DEFAULT_LOGIN_BASE}`);
          const store = await openStore(opts.store);
          try {
            const now = Date.now();
            const { token, record } = await createToken(store, opts.role, opts.label, now);
            const link =
              base === undefined
                ? null
                : await createLoginLink(store, record.id, base, now, opts.sessionHours * 3_600_000);
            if (opts.json)
              process.stdout.write(
                JSON.stringify({
                  token,
                  id: record.id,
                  role: record.role,
                  label: record.label,
                  ...(link ? { loginUrl: link.url, loginUrlExpiresAt: new Date(link.expiresAt).toISOString() } : {}),
                }) + '\n',
              );
            else {
              process.stdout.write(token + '\n');
              if (link) process.stdout.write(link.url + '\n');
              process.stderr.write(`token ${record.id} (${record.role}) created; it is shown only now\n`);
              if (link)
                process.stderr.write(
                  `the link opens a ${opts.sessionHours} h session once, within ${LOGIN_LINK_MS / 60_000} minutes\n`,
                );
            }
          } finally {
            await store.close();
          }
        },
      ),
    );
  token
    .command('list')
    .description('List tokens (ids, roles, labels; never the secrets)')
    .option('--store <dir>', 'the service store folder', DEFAULT_STORE)
    .action(
      runAction(async (opts: { store: string }) => {
        const { openStore } = await import('../serve/store/open-store.js');
        const store = await openStore(opts.store);
        try {
          for (const t of await store.listTokens())
            process.stdout.write(
              `${t.id}  ${t.role.padEnd(8)}  ${t.revokedAt === null ? 'live   ' : 'revoked'}  ${t.label}\n`,
            );
        } finally {
          await store.close();
        }
      }),
    );
  token
    .command('revoke')
    .description('Revoke a token by its id')
    .argument('<id>', 'token id (from `token list`)')
    .option('--store <dir>', 'the service store folder', DEFAULT_STORE)
    .action(
      runAction(async (id: string, opts: { store: string }) => {
        const { openStore } = await import('../serve/store/open-store.js');
        const store = await openStore(opts.store);
        try {
          if (!(await store.revokeToken(id, Date.now()))) throw new UsageError(`no live token ${id}`);
        } finally {
          await store.close();
        }
      }),
    );
  return token;
}

export function serveCommand(): Command {
  return (
    new Command('serve')
      .description(
        'Triage service: DICOMweb STOW-RS in, inference in worker processes, results, worklist and reviews out through /api (docs/serve.md)',
      )
      .option('--bundle <dir>', 'model bundle made by `pneumo bundle` (required to serve)')
      .option('--store <dir>', 'folder for the database, the received DICOM files and derived images', DEFAULT_STORE)
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <n>', 'port to listen on (0: any free port)', port, 8080)
      .option('--workers <n>', 'inference worker processes', integer(1), 1)
      .option('--threads <n>', 'compute threads per worker (default: the cores shared among the workers)', integer(1))
      .addOption(runtimeOption())
      .addOption(ttaOption())
      .addOption(operatingPointOption())
      .option('--queue-limit <n>', 'instances queued or running at which uploads get 503 + Retry-After', integer(1), 64)
      .option('--max-upload-mb <n>', 'largest request body in MiB (413 above)', number(0.001), 64)
      .option('--escalate-after <minutes>', 'an unreviewed instance waiting longer tops the worklist', number(0), 60)
      .option('--cors-origin <origin>', 'allow this browser origin (repeatable; CORS is off without it)', collect, [])
      .option(
        '--drift-psi <x>',
        "a population stability index above this, against the bundle's validation scores, is drift",
        number(0),
        0.2,
      )
      .option('--drift-ks <d>', 'a two-sample Kolmogorov-Smirnov statistic above this is drift', unitInterval, 0.2)
      .option('--drift-bins <n>', 'PSI bins (quantiles of the validation scores)', integer(2), 10)
      .option(
        '--drift-min-n <n>',
        'fewest scores in a group for drift figures (PSI is biased up on few)',
        integer(2),
        100,
      )
      .option('--drift-window <n>', 'the most recent results whose drift is watched', integer(1), 500)
      .addOption(
        new Option('--log-level <level>', 'pino log level')
          .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      )
      .option(
        '--no-gate',
        'turn the input gate off: every readable image is assessed (each result records gate.enabled false)',
      )
      .option(
        '--gate-rule <key=value>',
        'change one input-gate rule (repeatable; `pneumo predict --help` lists them)',
        collect,
        [],
      )
      // `serve token create --store X`: the subcommand's own --store, not serve's.
      .enablePositionalOptions()
      .addCommand(tokenCommand())
      .addHelpText(
        'after',
        '\nEvery route but /health and /ready needs `Authorization: Bearer TOKEN`; make the first one with\n' +
          '`pneumo serve token create --role admin --store DIR`. Logs are JSON lines (pino) on stdout.',
      )
      .action(
        runAction(async (opts: ServeCliOptions) => {
          if (!opts.bundle) throw new UsageError('--bundle <dir> is required to serve');
          const { buildApp } = await import('../serve/app.js');
          const { app, runner } = await buildApp({
            bundleDir: opts.bundle,
            storeDir: opts.store,
            workers: opts.workers,
            threadsPerWorker: opts.threads,
            runtime: await resolveRuntime(opts.bundle, opts.runtime),
            tta: opts.tta,
            operatingPoint: opts.operatingPoint,
            gate: resolveGate(opts),
            queueLimit: opts.queueLimit,
            maxUploadBytes: Math.round(opts.maxUploadMb * 1024 * 1024),
            escalateAfterMinutes: opts.escalateAfter,
            corsOrigins: opts.corsOrigin,
            drift: {
              psi: opts.driftPsi,
              ks: opts.driftKs,
              bins: opts.driftBins,
              minN: opts.driftMinN,
              window: opts.driftWindow,
            },
            logger: { level: opts.logLevel },
          }).catch((err: unknown) => {
            // A start that failed half-way may leave DICOM threads or the database open: the process
            // must end all the same (the timer holds nothing alive by itself).
            setTimeout(() => process.exit(EXIT.failed), CLOSE_AFTER_LISTEN_FAILURE_MS).unref();
            throw err;
          });
          // Requests in flight get a few seconds to finish; then the connections still open (a
          // client's idle keep-alive would otherwise hold the stop for the 72 s keep-alive timeout) are
          // closed, and the workers and the store shut down.
          const stop = () => {
            setTimeout(() => app.server.closeAllConnections(), 3000).unref();
            void app.close().then(() => process.exit(0));
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          app.log.info({ workerPids: runner.pids }, 'inference workers started');
          try {
            await app.listen({ host: opts.host, port: opts.port });
          } catch (err) {
            // A service that cannot listen must end, and fail, so that its supervisor sees it and
            // restarts it: the workers, the DICOM threads and the store are closed first, and should
            // one of them not let go, the process ends anyway.
            setTimeout(() => process.exit(EXIT.failed), CLOSE_AFTER_LISTEN_FAILURE_MS * 2).unref();
            await Promise.race([
              app.close(),
              new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_LISTEN_FAILURE_MS).unref()),
            ]);
            throw new Error(listenFailure(err, opts.host, opts.port));
          }
        }),
      )
  );
}
