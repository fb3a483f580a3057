#!/usr/bin/env bash
# Builds pneumo against a CUDA libtorch and checks the CUDA paths end to end, for a machine with a GPU
# and a CUDA PyTorch (pip). Prints what it does, then one JSON line (the last line) that summarises it:
#   1. build the addon against $LIBTORCH (default: the torch/ folder of the pip install python3 sees);
#   2. `pneumo info`: the CUDA devices (name, memory, compute capability);
#   3. CUDA parity against PyTorch CUDA: one forward/backward of unet-resnet34, same weights and input
#      (max abs difference of outputs, max relative difference of gradients), weights saved from the
#      GPU reload on the CPU (`pneumo bench gpu-parity`);
#   4. two epochs of segmenter training on synthetic data at 512 px on cuda, in fp32 and in fp16
#      (dynamic loss scaling), then prediction with the bundle on cuda and on the CPU;
#   5. training step time against PyTorch CUDA in the same run (`pneumo bench train` with both sides on cuda).
# On a machine without Node.js (and without a network), the kit that scripts/gpu-kit.sh assembles
# (gpu-kit/, carried with the working tree) supplies Node.js, node-gyp, the runtime packages and the
# compiled TypeScript; python3 unpacks it. PNEUMO_USE_KIT=1 uses the kit even where node is on PATH.
# Usage: scripts/gpu-check.sh [WORKDIR]   (PNEUMO_PYTHON names the CUDA python; default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d /tmp/pneumo-gpu-check.XXXXXX)}"
mkdir -p "$work"
export PNEUMO_PYTHON="${PNEUMO_PYTHON:-$(command -v python3)}"
started=$SECONDS
kit="${PNEUMO_GPU_KIT:-gpu-kit}"
use_kit=
if [ -n "${PNEUMO_USE_KIT:-}" ] || ! command -v node >/dev/null; then
  [ -f "$kit/node.xz" ] || { echo "gpu-check: no node on PATH and no $kit/ (run scripts/gpu-kit.sh where Node.js is)" >&2; exit 1; }
  use_kit=1
  echo "== unpacking $kit into $work/kit" >&2
  "$PNEUMO_PYTHON" - "$kit" "$work/kit" <<'PY'
import lzma, os, shutil, sys, tarfile
kit, dest = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
with lzma.open(os.path.join(kit, "node.xz")) as src, open(os.path.join(dest, "bin", "node"), "wb") as out:
    shutil.copyfileobj(src, out)
os.chmod(os.path.join(dest, "bin", "node"), 0o755)
def unpack(name, into):
    with tarfile.open(os.path.join(kit, name), "r:xz") as tar:
        tar.extractall(into, filter="tar") if hasattr(tarfile, "data_filter") else tar.extractall(into)
unpack("node-headers.tar.xz", os.path.join(dest, "node-headers", "include"))
unpack("node_modules.tar.xz", ".")
shutil.rmtree("dist", ignore_errors=True)
unpack("dist.tar.xz", ".")
PY
  export PATH="$work/kit/bin:$PATH"
  export npm_config_nodedir="$work/kit/node-headers"
fi
if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH="$("$PNEUMO_PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
  # The C++ string ABI the pip build was compiled with, as torch itself reports it.
  PNEUMO_CXX11_ABI="$("$PNEUMO_PYTHON" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
  export PNEUMO_CXX11_ABI
fi
export LIBTORCH
echo "== libtorch: $LIBTORCH ($(node native/find-libtorch.cjs abi), $(node native/find-libtorch.cjs cuda || true))" >&2
if [ -n "$use_kit" ]; then
  node node_modules/node-gyp/bin/node-gyp.js rebuild -j "$(nproc)" --nodedir="$npm_config_nodedir" >&2
else
  [ -d node_modules ] || npm ci --no-audit --no-fund >&2
  npx node-gyp rebuild -j "$(nproc)" >&2
  npm run build >&2
fi
echo "== built in $((SECONDS - started)) s" >&2

echo "== pneumo info" >&2
node bin/pneumo.js info >&2
info="$(node bin/pneumo.js info --json)"

echo "== CUDA parity against PyTorch CUDA" >&2
parity="$(node bin/pneumo.js bench gpu-parity)"
echo "$parity" >&2

echo "== two epochs at 512 px on cuda (fp32, then fp16), bundle, prediction on cuda and on the CPU" >&2
node bin/pneumo.js synth --out "$work/data" --n 64 --size 1024 --positive-rate 0.5 --seed 3 >&2
train() {
  node bin/pneumo.js train "$1" --data "$work/data" --out "$work/runs/$1-$2" --size 512 --epochs 2 --batch 8 \
    --model "$3" --device cuda --precision "$2" --no-augment --json
}
seg32="$(train segmenter fp32 unet-resnet34 | tail -1)"
seg16="$(train segmenter fp16 unet-resnet34 | tail -1)"
cls32="$(train classifier fp32 classifier-densenet121 | tail -1)"
node bin/pneumo.js bundle --classifier "$work/runs/classifier-fp32" --segmenter "$work/runs/segmenter-fp32" \
  --out "$work/bundle" --force >&2
predict_cuda="$(node bin/pneumo.js predict "$work/data" --bundle "$work/bundle" --out "$work/pred-cuda" --device cuda --json | tail -1)"
predict_bf16="$(node bin/pneumo.js predict "$work/data" --bundle "$work/bundle" --out "$work/pred-cuda-bf16" --device cuda --precision bf16 --json | tail -1)"
predict_cpu="$(node bin/pneumo.js predict "$work/data" --bundle "$work/bundle" --out "$work/pred-cpu" --device cpu --json | tail -1)"
# Trained on the GPU, predicted on the CPU: the same decisions from the same bundle.
same="$(node -e '
  const fs = require("fs");
  const read = (d) => fs.readFileSync(d + "/predictions.jsonl", "utf8").trim().split("\n").map(JSON.parse);
  const a = read(process.argv[1]), b = read(process.argv[2]);
  const diff = Math.max(...a.map((r, i) => Math.abs(r.probability - b[i].probability)));
  const agree = a.filter((r, i) => r.decision === b[i].decision).length;
  console.log(JSON.stringify({ images: a.length, decisionsAgree: agree, maxProbabilityDiff: diff }));
' "$work/pred-cuda" "$work/pred-cpu")"
echo "cuda vs cpu predictions: $same" >&2

echo "== training step time against PyTorch CUDA" >&2
step32="$(PNEUMO_BENCH_DEVICE=cuda node bin/pneumo.js bench train | tail -1)"
step16="$(PNEUMO_BENCH_DEVICE=cuda node bin/pneumo.js bench train --precision fp16 | tail -1)"

node -e '
  const [info, parity, seg32, seg16, cls32, pc, pb, pcpu, same, s32, s16] = process.argv.slice(1).map((s) => JSON.parse(s));
  const steps = (s) => Object.fromEntries(s.steps.map((x) => [x.model, { ours_ms: x.typescript?.medianStepMs, pytorch_ms: x.pytorch?.medianStepMs, ratio: x.timeRatio }]));
  console.log(JSON.stringify({
    check: "gpu-check",
    devices: info.cudaDevices,
    parity,
    training: { segmenter_fp32: seg32.history?.map?.((h) => h.seconds) ?? seg32, segmenter_fp16: seg16.history?.map?.((h) => h.seconds) ?? seg16, classifier_fp32: cls32.best ?? cls32 },
    predict_images_per_s: { cuda_fp32: pc.imagesPerSecond, cuda_bf16: pb.imagesPerSecond, cpu_fp32: pcpu.imagesPerSecond },
    cuda_vs_cpu_predictions: same,
    step_ms_vs_pytorch_cuda: { fp32: steps(s32), fp16_ours_vs_pytorch_fp32: steps(s16) },
  }));
' "$info" "$parity" "$seg32" "$seg16" "$cls32" "$predict_cuda" "$predict_bf16" "$predict_cpu" "$same" "$step32" "$step16"
