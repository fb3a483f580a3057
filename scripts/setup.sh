#!/usr/bin/env bash
# One-step set-up on Debian 12 (root, Node 20 and npm present). Installs only what is missing:
# libtorch (the engine), Gloo's headers (libtorch's distributed process groups need them to compile
# against), OpenBLAS (without it Debian's libtorch falls back to the slow reference BLAS), PyTorch,
# torchvision and pydicom for the parity tests and benchmarks, fonts for plot text, DCMTK, dicom3tools
# and Orthanc with its DICOMweb plugin (the interop tests check the DICOM objects with them); then
# `npm ci`, which compiles the native addon with node-gyp, and the TypeScript build.
# With LIBTORCH=/path/to/libtorch set, the addon builds against that directory instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# libjpeg-dev: the pneumo_jpeg addon (native/jpeg) decodes SIIM's 8-bit JPEGs through libjpeg-turbo.
packages=(build-essential python3 libopenblas0-pthread libjpeg-dev python3-torch python3-torchvision python3-onnx python3-pydicom python3-pil python3-numpy fonts-dejavu-core dcmtk dicom3tools orthanc orthanc-dicomweb)
[ -n "${LIBTORCH:-}" ] || packages+=(libtorch-dev libgloo-dev)
# The reading room's browser tests (test/web) drive Debian's Chromium through playwright-core.
packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Dependencies' install scripts stay blocked (see allowScripts in package.json): sharp ships a prebuilt
# binary and needs none. The project's own install script (node-gyp rebuild) runs with npm ci.
# onnxruntime-node's install script only downloads its CUDA/TensorRT providers (the CPU binaries are
# in the package); package.json's allowScripts skips it, and this does for npm versions without that.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
test -f build/Release/pneumo_torch.node || { echo 'setup: the native addon was not built' >&2; exit 1; }
npm run build --silent
echo "setup: done ($(node bin/pneumo.js info --json))"
