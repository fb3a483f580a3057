// --runtime, shared by predict, evaluate and serve: which engine runs the bundle's two models. The
// names are repeated here (pipeline/model-engine.ts's RUNTIMES) so that --help loads no engine.
import { Option } from 'commander';
import type { Runtime } from '../pipeline/model-engine.js';

export type RuntimeName = Runtime;

const NAMES: readonly Runtime[] = ['libtorch', 'onnx', 'onnx-int8'];

export const runtimeOption = (): Option =>
  new Option(
    '--runtime <r>',
    'inference engine: libtorch (the bundle as trained), onnx (ONNX Runtime on the models exported in memory; fp32, ' +
      'CPU) or onnx-int8 (ONNX Runtime on the int8 export kept in BUNDLE/onnx: pneumo export --int8 --out BUNDLE/onnx; ' +
      'docs/deploy.md says which to choose)',
  )
    .choices(NAMES)
    .default('libtorch');
