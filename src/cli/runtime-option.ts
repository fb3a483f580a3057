// --runtime, shared by predict, evaluate and serve: which engine runs the bundle's two models. The
// names are repeated here (pipeline/model-engine.ts's RUNTIMES) so that --help loads no engine.
import { Option } from 'commander';
import type { Runtime } from '../pipeline/model-engine.js';

export type RuntimeName = Runtime;

const NAMES: readonly Runtime[] = ['libtorch', 'onnx'];

export const runtimeOption = (): Option =>
  new Option(
    '--runtime <r>',
    'inference engine: libtorch (the bundle as trained), or onnx (ONNX Runtime on the models exported in memory; fp32, CPU)',
  )
    .choices(NAMES)
    .default('libtorch');
