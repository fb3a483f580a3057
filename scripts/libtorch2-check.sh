#!/usr/bin/env bash
# Proves the engine on a current libtorch: builds pneumo against Debian 13's libtorch 2.x in a Debian 13
# ("trixie") root made with debootstrap, and runs the engine, models, training, distributed, precision
# and pipeline tests there. Prints what it does on stderr, then one JSON line on stdout: the libtorch
# version the addon was built against and runs with, and the test counts. Exits non-zero when a step
# or a test fails.
#   PNEUMO_TRIXIE_ROOT   the root (made when missing, reused when ready; default /var/cache/pneumo/trixie-root)
#   PNEUMO_DEBIAN_MIRROR the Debian mirror (default: the one this machine's apt uses)
#   PNEUMO_L2_TESTS      space-separated test filters for scripts/run-tests.mjs (default below)
# Needs root (debootstrap, chroot, mounts). The root's first make downloads about 1 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$PWD"
root="${PNEUMO_TRIXIE_ROOT:-/var/cache/pneumo/trixie-root}"
# What the chosen tests need beyond the build: pydicom and Pillow for the DICOM and image fixtures,
# iproute2 for the network-namespace training test, python3-dev and setuptools for torch.compile.
packages=(nodejs npm libtorch-dev libgloo-dev python3-torch python3-torchvision build-essential libjpeg-dev
  libopenblas0-pthread python3-pydicom python3-pil python3-numpy python3-dev python3-setuptools
  fonts-dejavu-core iproute2 ca-certificates)
# Lean enough for CI's budget: the whole engine (ops, autograd, checkpoints, allocator, autocast,
# collectives, sync batch norm), the models against torchvision, training and data-parallel training,
# bf16 prediction, bundles and the predictor, the build helpers and `pneumo info`.
tests="${PNEUMO_L2_TESTS:-test/torch/ test/models/unet test/models/classifier test/models/torchvision-parity test/train/trainer test/train/data-parallel.test test/pipeline/precision test/pipeline/predictor.test test/pipeline/bundle test/data/model-input test/native/ test/cli/info}"
log() { echo "== libtorch2-check: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo 'libtorch2-check: needs root (debootstrap, chroot and mounts)' >&2
  exit 2
fi

# The mirror this machine's apt already reaches: a deb822 `URIs:` line or a one-line `deb` entry.
mirror() {
  if [ -n "${PNEUMO_DEBIAN_MIRROR:-}" ]; then echo "$PNEUMO_DEBIAN_MIRROR"; return; fi
  local found
  found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -E 's#^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^[:space:]]+/debian)/?([[:space:]].*)?$#\3#p' |
    head -1)"
  echo "${found:-http://deb.debian.org/debian}"
}

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() {
  mkdir -p "$2"
  mount "$@" || { echo "libtorch2-check: cannot mount $*" >&2; exit 1; }
}
bind_system() {
  mount_in -t proc proc "$1/proc"
  mounted+=("$1/proc")
  mount_in --rbind /dev "$1/dev"
  mount --make-rslave "$1/dev"
  mounted+=("$1/dev")
  mount_in --rbind /sys "$1/sys"
  mount --make-rslave "$1/sys"
  mounted+=("$1/sys")
}
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# Made once, reused after: the marker names the package list, so a longer list installs the rest.
want="${packages[*]}"
root_seconds=0
if [ ! -f "$root/.pneumo-ready" ] || [ "$(cat "$root/.pneumo-ready")" != "$want" ]; then
  started=$SECONDS
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { log 'installing debootstrap'; DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
    log "debootstrap trixie into $root from $(mirror)"
    rm -rf "$root.partial"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase --include=ca-certificates trixie "$root.partial" "$(mirror)" >&2
    mv "$root.partial" "$root"
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  bind_system "$root"
  log "installing ${packages[*]}"
  in_root apt-get update -q >&2
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >&2
  in_root apt-get clean
  cleanup
  echo "$want" >"$root/.pneumo-ready"
  root_seconds=$((SECONDS - started))
  log "root ready in $root_seconds s"
fi

# The checkout as git sees it (tracked and untracked-but-not-ignored files): no node_modules, build, dist.
work="$root/work/pneumo"
rm -rf "$work"
mkdir -p "$work"
if git -C "$checkout" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$checkout" ls-files -z --cached --others --exclude-standard |
    (cd "$checkout" && xargs -0 -r stat --printf '%n\0' 2>/dev/null) |
    tar -C "$checkout" --null -T - -cf - | tar -C "$work" -xf -
else
  tar -C "$checkout" --exclude=./node_modules --exclude=./build --exclude=./dist --exclude=./gpu-kit -cf - . |
    tar -C "$work" -xf -
fi
# npm in the root trusts what this machine trusts (a proxy's CA included).
ca=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca" ] && cp "$ca" "$root/etc/pneumo-host-ca.pem"

rm -f "$root"/tmp/pneumo-*
bind_system "$root"
log 'npm ci, the addons, npm run build, tests'
status=0
# Install scripts are skipped: the only dependency that compiles (better-sqlite3, for the triage
# service, which no chosen test starts) would take minutes of the CI budget. pneumo's own addons are
# then built with node-gyp on every core.
in_root env npm_config_cafile=/etc/pneumo-host-ca.pem NODE_EXTRA_CA_CERTS=/etc/pneumo-host-ca.pem \
  npm_config_nodedir=/usr/include/nodejs npm_config_update_notifier=false JOBS=max \
  ${PNEUMO_THREADS:+PNEUMO_THREADS=$PNEUMO_THREADS} TESTS="$tests" bash -c '
    set -euo pipefail
    cd /work/pneumo
    start=$SECONDS
    npm ci --no-audit --no-fund --ignore-scripts >&2
    npx node-gyp rebuild >&2
    test -f build/Release/pneumo_torch.node
    npm run build --silent >&2
    echo $((SECONDS - start)) > /tmp/pneumo-build.seconds
    node bin/pneumo.js info --json > /tmp/pneumo-info.json
    # The spec reporter for people, TAP for the counts.
    set +e
    start=$SECONDS
    node scripts/run-tests.mjs $TESTS > /tmp/pneumo-tests.log 2>&1
    echo $? > /tmp/pneumo-tests.rc
    echo $((SECONDS - start)) > /tmp/pneumo-tests.seconds
  ' || status=$?
if [ "$status" -ne 0 ]; then
  echo "libtorch2-check: the build in the Debian 13 root failed (exit $status)" >&2
  exit "$status"
fi
tail -n 40 "$root/tmp/pneumo-tests.log" >&2
node -e '
  const fs = require("fs");
  const [infoFile, logFile, rcFile, rootSeconds, buildFile, testsFile] = process.argv.slice(1);
  const info = JSON.parse(fs.readFileSync(infoFile, "utf8"));
  const text = fs.readFileSync(logFile, "utf8");
  const count = (name) => Number((text.match(new RegExp(`^ℹ ${name} (\\d+)`, "m")) ?? [0, NaN])[1]);
  console.log(JSON.stringify({
    check: "libtorch2-check",
    debian: 13,
    libtorch: { builtAgainst: info.builtAgainst, runsWith: info.version },
    tests: { total: count("tests"), passed: count("pass"), failed: count("fail"), skipped: count("skipped"), cancelled: count("cancelled") },
    exitCode: Number(fs.readFileSync(rcFile, "utf8")),
    seconds: {
      root: Number(rootSeconds),
      npmCiAndBuild: Number(fs.readFileSync(buildFile, "utf8")),
      tests: Number(fs.readFileSync(testsFile, "utf8")),
    },
  }));
' "$root/tmp/pneumo-info.json" "$root/tmp/pneumo-tests.log" "$root/tmp/pneumo-tests.rc" "$root_seconds" \
  "$root/tmp/pneumo-build.seconds" "$root/tmp/pneumo-tests.seconds"
exit "$(cat "$root/tmp/pneumo-tests.rc")"
