import { Command, Option } from 'commander';
import { runtimeOption, type RuntimeName } from './runtime-option.js';
import { integer, number } from './option-parsers.js';
import { runAction, UsageError } from './run-action.js';

interface ServeCliOptions {
  bundle: string;
  store: string;
  host: string;
  port: number;
  workers: number;
  threads?: number;
  runtime: RuntimeName;
  queueLimit: number;
  maxUploadMb: number;
  escalateAfter: number;
  corsOrigin: string[];
  logLevel: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const DEFAULT_STORE = 'pneumo-store';

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
    .option('--json', 'print {token, id, role, label} as JSON')
    .action(
      runAction(
        async (opts: { role: 'uploader' | 'reviewer' | 'admin'; label: string; store: string; json?: boolean }) => {
          const { openStore } = await import('../serve/store/open-store.js');
          const { createToken } = await import('../serve/auth/tokens.js');
          const store = await openStore(opts.store);
          try {
            const { token, record } = await createToken(store, opts.role, opts.label, Date.now());
            if (opts.json)
              process.stdout.write(
                JSON.stringify({ token, id: record.id, role: record.role, label: record.label }) + '\n',
              );
            else {
              process.stdout.write(token + '\n');
              process.stderr.write(`token ${record.id} (${record.role}) created; it is shown only now\n`);
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
      .option('--port <n>', 'port to listen on (0: any free port)', integer(0), 8080)
      .option('--workers <n>', 'inference worker processes', integer(1), 1)
      .option('--threads <n>', 'compute threads per worker (default: the cores shared among the workers)', integer(1))
      .addOption(runtimeOption())
      .option('--queue-limit <n>', 'instances queued or running at which uploads get 503 + Retry-After', integer(1), 64)
      .option('--max-upload-mb <n>', 'largest request body in MiB (413 above)', number(0.001), 64)
      .option('--escalate-after <minutes>', 'an unreviewed instance waiting longer tops the worklist', number(0), 60)
      .option('--cors-origin <origin>', 'allow this browser origin (repeatable; CORS is off without it)', collect, [])
      .option('--log-level <level>', 'pino log level', 'info')
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
          const { app } = await buildApp({
            bundleDir: opts.bundle,
            storeDir: opts.store,
            workers: opts.workers,
            threadsPerWorker: opts.threads,
            runtime: opts.runtime,
            queueLimit: opts.queueLimit,
            maxUploadBytes: Math.round(opts.maxUploadMb * 1024 * 1024),
            escalateAfterMinutes: opts.escalateAfter,
            corsOrigins: opts.corsOrigin,
            logger: { level: opts.logLevel },
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
          await app.listen({ host: opts.host, port: opts.port });
        }),
      )
  );
}
