// --precision and --device on the commands: misspelt values and choices this machine cannot honour
// are usage errors (exit code 2) with a reason, before any work starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPneumo } from './run-pneumo.js';
import { cudaDeviceCount } from '../../src/torch/index.js';

const predict = (extra: string[]) =>
  runPneumo(['predict', '--bundle', '/nonexistent/bundle', '--out', '/tmp/never-written', 'x.dcm', ...extra]);

test('a misspelt precision or device is a usage error naming the option', () => {
  const precision = predict(['--precision', 'fp8']);
  assert.equal(precision.status, 2, precision.stderr);
  assert.match(precision.stderr, /--precision.*fp8.*(fp32, bf16, fp16)/s);
  const device = runPneumo(['train', 'classifier', '--data', 'd', '--out', 'o', '--device', 'gpu0']);
  assert.equal(device.status, 2, device.stderr);
  assert.match(device.stderr, /--device.*expected auto, cpu, cuda or cuda:N/);
});

test('fp16 and CUDA on a machine without CUDA are usage errors that say why', { skip: cudaDeviceCount() > 0 }, () => {
  const fp16 = predict(['--precision', 'fp16', '--device', 'cpu']);
  assert.equal(fp16.status, 2, fp16.stderr);
  assert.match(fp16.stderr, /^pneumo: --precision fp16 needs a CUDA device \(this run is on cpu\); use bf16 on CPU$/m);
  for (const command of [
    ['evaluate', '--bundle', 'b', '--data', 'd', '--out', 'o'],
    ['demo', '--out', '/tmp/x'],
  ]) {
    const cuda = runPneumo([...command, '--device', 'cuda:0']);
    assert.equal(cuda.status, 2, cuda.stderr);
    assert.match(cuda.stderr, /--device cuda:0: this libtorch has no usable CUDA/);
  }
});
