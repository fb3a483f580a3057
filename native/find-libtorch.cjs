// Prints the include or library directories of the libtorch to build against, for binding.gyp.
// LIBTORCH (an official archive, or the torch/ folder of a pip install) wins over the system package,
// as in the Rust tch crate; otherwise Debian's libtorch-dev layout is used.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function systemLayout() {
  const multiarch = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const libdir = multiarch.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so'))) ?? '/usr/lib/x86_64-linux-gnu';
  return { include: ['/usr/include', '/usr/include/torch/csrc/api/include'], lib: libdir };
}

function customLayout(root) {
  return { include: [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')], lib: path.join(root, 'lib') };
}

/**
 * 1 when the libtorch in `libdir` was built with the C++11 string ABI (its libc10 exports symbols
 * with `__cxx11` in their mangled names: Debian's, and the cxx11-abi archives), else 0 (the
 * pre-cxx11 archives). The addon must be compiled the same way or std::string arguments do not link.
 */
function cxx11Abi(libdir) {
  const candidates = fs.existsSync(libdir) ? fs.readdirSync(libdir).filter((f) => /^libc10\.so(\.|$)/.test(f)) : [];
  if (candidates.length === 0) throw new Error(`find-libtorch: no libc10.so in ${libdir}`);
  return fs.readFileSync(path.join(libdir, candidates.sort()[0])).includes('__cxx11') ? 1 : 0;
}

/**
 * The ABI named by PNEUMO_CXX11_ABI (0 or 1): what a pip install reports as
 * torch._C._GLIBCXX_USE_CXX11_ABI, which scripts/gpu-check.sh passes on. Wins over the symbol scan.
 */
function declaredAbi() {
  const value = process.env.PNEUMO_CXX11_ABI;
  if (value === undefined || value === '') return undefined;
  if (value !== '0' && value !== '1') throw new Error(`find-libtorch: PNEUMO_CXX11_ABI must be 0 or 1, not \`${value}\``);
  return Number(value);
}

module.exports = { cxx11Abi };
if (require.main !== module) return;

const root = process.env.LIBTORCH;
const layout = root ? customLayout(root) : systemLayout();
const what = process.argv[2];
if (what === 'include') process.stdout.write(layout.include.join(' '));
else if (what === 'abi') process.stdout.write(`_GLIBCXX_USE_CXX11_ABI=${declaredAbi() ?? cxx11Abi(layout.lib)}`);
else if (what === 'lib') process.stdout.write(layout.lib);
else if (what === 'cuda') {
  const hasCuda = fs.existsSync(path.join(layout.lib, 'libtorch_cuda.so'));
  process.stdout.write(hasCuda ? '-ltorch_cuda' : '');
} else {
  process.stderr.write('usage: find-libtorch.cjs include|lib|cuda|abi\n');
  process.exit(2);
}
