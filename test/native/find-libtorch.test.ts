// The addon's C++ string ABI follows the libtorch it links: Debian's (and the cxx11-abi archives)
// export `__cxx11` symbols from libc10, the pre-cxx11 archives do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../fixture-path.js';

const script = path.join(PROJECT_ROOT, 'native', 'find-libtorch.cjs');
const abiOf = (env: NodeJS.ProcessEnv) =>
  execFileSync(process.execPath, [script, 'abi'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

test("the system libtorch's ABI is detected from libc10's symbols", () => {
  const env = { ...process.env };
  delete env.LIBTORCH;
  assert.equal(execFileSync(process.execPath, [script, 'abi'], { env, encoding: 'utf8' }), '_GLIBCXX_USE_CXX11_ABI=1');
});

test('a libtorch without __cxx11 symbols builds with the old ABI; a missing libc10 is an error', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pneumo-libtorch-'));
  try {
    mkdirSync(path.join(root, 'lib'));
    assert.throws(() => abiOf({ LIBTORCH: root }), /no libc10\.so/);
    writeFileSync(path.join(root, 'lib', 'libc10.so'), '\x7fELF _ZN3c106detail14torchCheckFailEPKcS2_jRKSs');
    assert.equal(abiOf({ LIBTORCH: root }), '_GLIBCXX_USE_CXX11_ABI=0');
    writeFileSync(
      path.join(root, 'lib', 'libc10.so'),
      '\x7fELF _ZN3c106detail14torchCheckFailEPKcS2_jRKNSt7__cxx1112basic_string',
    );
    assert.equal(abiOf({ LIBTORCH: root }), '_GLIBCXX_USE_CXX11_ABI=1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('PNEUMO_CXX11_ABI (what torch._C reports) wins over the symbol scan; another value is an error', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pneumo-libtorch-'));
  try {
    mkdirSync(path.join(root, 'lib'));
    writeFileSync(path.join(root, 'lib', 'libc10.so'), '\x7fELF _ZN3c106detail14torchCheckFailEPKcS2_jRKSs');
    assert.equal(abiOf({ LIBTORCH: root, PNEUMO_CXX11_ABI: '1' }), '_GLIBCXX_USE_CXX11_ABI=1');
    assert.equal(abiOf({ LIBTORCH: root, PNEUMO_CXX11_ABI: '0' }), '_GLIBCXX_USE_CXX11_ABI=0');
    assert.throws(() => abiOf({ LIBTORCH: root, PNEUMO_CXX11_ABI: 'yes' }), /must be 0 or 1/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
