// --runtime, shared by predict, evaluate and serve: which engine runs the bundle's two models. The
// names are repeated here (pipeline/model-engine.ts's RUNTIMES) so that --help loads no engine.
import { Option } from 'commander';
import type { Runtime } from '../pipeline/model-engine.js';
import type { RuntimeRequest } from '../pipeline/runtime-choice.js';

export type RuntimeName = RuntimeRequest;

const NAMES: readonly RuntimeRequest[] = ['auto', 'libtorch', 'onnx', 'onnx-int8'];

export const runtimeOption = (): Option =>
  new Option(
    '--runtime <r>',
    'inference engine: libtorch (the bundle as trained), onnx (ONNX Runtime on the models exported in memory; fp32, ' +
      'CPU), onnx-int8 (ONNX Runtime on the int8 export kept in BUNDLE/onnx: pneumo export --int8 --out BUNDLE/onnx), ' +
      'or auto: onnx-int8 where the bundle holds its int8 export and the run is fp32 on the CPU, else libtorch ' +
      '(the measured choice, docs/deploy.md)',
  )
    .choices(NAMES)
    .default('auto');

/** The engine a command runs: --runtime as given, or auto's choice (its note goes to stderr). */
export async function resolveRuntime(
  bundleDir: string,
  requested: RuntimeName,
  compute: { precision?: string; device?: string } = {},
): Promise<Runtime> {
  const { chooseRuntime } = await import('../pipeline/runtime-choice.js');
  const choice = await chooseRuntime(bundleDir, requested, compute);
  if (choice.note) process.stderr.write(`pneumo: ${choice.note}\n`);
  return choice.runtime;
}
