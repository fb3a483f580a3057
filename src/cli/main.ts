// Entry point of the `pneumo` command. Each command lives in its own file and imports its heavy
// dependencies (the engine, sharp, vega) lazily inside its action, so `--help` stays instant.
import { Command, CommanderError } from 'commander';
import { infoCommand } from './info.js';
import { benchCommand } from './bench.js';
import { scoreCommand } from './score.js';
import { dicomCommand } from './dicom.js';
import { edaCommand } from './eda.js';
import { modelsCommand } from './models.js';
import { trainCommand } from './train.js';
import { bundleCommand } from './bundle.js';
import { predictCommand } from './predict.js';
import { evaluateCommand } from './evaluate.js';
import { synthCommand } from './synth.js';
import { demoCommand } from './demo.js';
import { fitCommand } from './fit.js';
import { weightsCommand } from './weights.js';
import { serveCommand } from './serve.js';
import { exportCommand } from './export.js';
import { gateCommand } from './gate.js';
import { pneumoVersion } from '../project-paths.js';
import { EXIT } from './run-action.js';

// `pneumo ... | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('pneumo')
  .description('Pneumothorax detection and segmentation on chest X-rays (SIIM-ACR format).')
  // A command's options belong to it alone, so `serve token create --store X` is the subcommand's --store.
  .enablePositionalOptions()
  .version(pneumoVersion());

for (const make of [
  infoCommand,
  benchCommand,
  scoreCommand,
  dicomCommand,
  edaCommand,
  modelsCommand,
  trainCommand,
  bundleCommand,
  predictCommand,
  evaluateCommand,
  synthCommand,
  fitCommand,
  demoCommand,
  weightsCommand,
  serveCommand,
  exportCommand,
  gateCommand,
])
  program.addCommand(make());

/** `pneumo dicom render`: the command as the user types it, from the root down. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** For an unknown top-level command that is a subcommand of a group (`render`): `pneumo dicom render`. */
function nestedCommand(text: string): string | null {
  const unknown = /unknown command '([^']+)'/.exec(text)?.[1];
  if (!unknown) return null;
  for (const group of program.commands) {
    const sub = group.commands.find((c) => c.name() === unknown);
    if (sub) return commandPath(sub);
  }
  return null;
}

// Commander exits 1 on a bad option; the contract (README, "Exit codes") is 2 for every usage error,
// reported like every other error: one line, `pneumo:` once, and the help to read named in full.
function usageExits(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    outputError: (text, write) => {
      const reason = text
        .trim()
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ');
      const nested = command === program ? nestedCommand(reason) : null;
      const help = nested
        ? `did you mean \`${nested}\`? run \`${nested} --help\``
        : `run \`${commandPath(command)} --help\``;
      write(`pneumo: ${reason} (${help} for usage)\n`);
    },
  });
  for (const sub of command.commands) usageExits(sub);
}
usageExits(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Help and --version end with code 0; commander has already printed the message of an error.
  process.exitCode = err.exitCode === 0 ? EXIT.done : EXIT.usage;
}
