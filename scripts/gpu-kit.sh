#!/usr/bin/env bash
# Assembles gpu-kit/ (ignored by git, under 64 MiB): what scripts/gpu-check.sh needs on a GPU machine
# that has python3 with a CUDA torch, g++ and CMake but no Node.js and no network:
#   node.xz             this machine's Node.js 20 binary (it needs only libc and libstdc++);
#   node-headers.tar.xz Node's C headers and gyp files for node-gyp (--nodedir), without OpenSSL's;
#   node_modules.tar.xz node-gyp, node-addon-api and the packages the check's commands import
#                       (scripts/gpu-kit-modules.mjs lists them; sharp's prebuilt libvips included);
#   dist.tar.xz         the compiled TypeScript (npm run build), so the GPU machine needs no compiler;
#   kit.json            the versions and the checkout's commit it was made from.
# Re-run it after changing TypeScript: the kit carries this checkout's compiled JavaScript.
# Usage: scripts/gpu-kit.sh [OUTDIR]   (default gpu-kit/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-kit}"
limit=$((64 * 1024 * 1024))
node_bin="$(command -v node)"
[ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || { echo 'gpu-kit: needs Node.js 20 on PATH' >&2; exit 1; }
[ -d node_modules/node-gyp ] || { echo 'gpu-kit: run npm ci first (node_modules/node-gyp is missing)' >&2; exit 1; }
headers="$(dirname "$(dirname "$node_bin")")/include/node"
[ -f "$headers/node_api.h" ] || headers=/usr/include/node
[ -f "$headers/node_api.h" ] && [ -f "$headers/common.gypi" ] || { echo "gpu-kit: no Node headers with common.gypi at $headers" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
echo "gpu-kit: compiling the TypeScript" >&2
npm run build --silent >&2
xz -T0 -6 -c "$node_bin" >"$out/node.xz"
# node-gyp's --nodedir layout: DIR/include/node/{common.gypi,config.gypi,node_api.h,...}.
tar -C "$(dirname "$headers")" --exclude='node/openssl' -cf - node | xz -T0 -6 -c >"$out/node-headers.tar.xz"
node scripts/gpu-kit-modules.mjs >"$out/modules.txt"
tar -cf - -T "$out/modules.txt" | xz -T0 -6 -c >"$out/node_modules.tar.xz"
tar -cf - dist | xz -T0 -6 -c >"$out/dist.tar.xz"
node -e '
  const fs = require("fs");
  console.log(JSON.stringify({
    node: process.version,
    nodeGyp: require("./node_modules/node-gyp/package.json").version,
    nodeAddonApi: require("./node_modules/node-addon-api/package.json").version,
    packages: fs.readFileSync(process.argv[1], "utf8").trim().split("\n").length,
    commit: process.argv[2],
  }));
' "$out/modules.txt" "$(git rev-parse HEAD 2>/dev/null || echo unknown)" >"$out/kit.json"
bytes="$(du -sb "$out" | cut -f1)"
echo "gpu-kit: $out is $((bytes / 1024 / 1024)) MiB ($(cat "$out/kit.json"))" >&2
if [ "$bytes" -ge "$limit" ]; then
  echo "gpu-kit: $out is over 64 MiB" >&2
  exit 1
fi
