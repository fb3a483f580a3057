// --no-gate and --gate-rule KEY=VALUE, shared by predict, evaluate and serve: the input gate's
// settings (src/pipeline/input-gate.ts) from the command line.
import type { Command } from 'commander';
import { applyGateRuleSettings, GATE_RULE_SETTINGS, GateRuleError } from '../pipeline/gate-rules.js';
import type { GateSettings } from '../pipeline/input-gate.js';
import { UsageError } from './run-action.js';

export interface GateFlags {
  /** commander's --no-gate: false when given. */
  gate: boolean;
  gateRule: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addGateOptions(command: Command): Command {
  return command
    .option(
      '--no-gate',
      'turn the input gate off: every readable image is assessed (recorded in the output as gate.enabled false)',
    )
    .option(
      '--gate-rule <key=value>',
      `change one input-gate rule (repeatable): ${Object.entries(GATE_RULE_SETTINGS)
        .map(([k, v]) => `${k} (${v})`)
        .join(', ')}`,
      collect,
      [],
    );
}

export function resolveGate(flags: GateFlags): GateSettings {
  try {
    return { enabled: flags.gate !== false, rules: applyGateRuleSettings(flags.gateRule ?? []) };
  } catch (err) {
    if (err instanceof GateRuleError) throw new UsageError(err.message);
    throw err;
  }
}
