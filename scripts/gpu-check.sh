#!/usr/bin/env bash
# The one-shot GPU check, prepared to run unattended on a machine with an NVIDIA GPU, nvcc and no
# Node (the device machine of docs/cuda.md), in under 8 minutes. In order:
#   1. Node: the one on PATH, else the carried one (.node-carry/node.xz);
#   2. the addon: the carried build (.node-carry/topofr.node.xz: this checkout's CMake build, CUDA
#      for sm_75 … sm_90 + PTX), used if it loads and sees the GPU; else built here with CMake and
#      nvcc for this GPU (the carried Node-API headers); the compiled TypeScript: .node-carry/dist;
#   3. the CUDA tests on the device: test/cuda-emulated/*.cc built with nvcc for this GPU
#      (scripts/build-cuda-tests.mjs --gpu): distances ≤ 1e-5 relative, H0 pairings, losses and
#      Rips barcodes bit for bit; then the kernel rates (--bench: distances against the FP32 rate);
#   4. the API-level checks and the GPU bench cases side by side with the CPU (src/bench/gpu.ts,
#      through scripts/gpu-check.mjs);
# and writes $OUT/gpu-check.json (every result) and $OUT/gpu-check.log.
#
#   bash scripts/gpu-check.sh --pack    here: fills .node-carry/ (ignored by git) for the trip
#   bash scripts/gpu-check.sh           there: with the device tool, carry [".node-carry"]
#   bash scripts/gpu-check.sh --quick   smaller bench sizes
# Without a GPU it is a dry run: the emulated tests, the CPU half of the benches, GPU results
# recorded as pending.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=$ROOT/.node-carry

if [ "${1:-}" = "--pack" ]; then
  mkdir -p "$CARRY"
  [ -f build/Release/topofr.node ] || { echo "build the addon first (npm ci / npm run build:native)"; exit 1; }
  [ -f dist/index.js ] || { echo "compile the TypeScript first (npm run build)"; exit 1; }
  xz -T0 -c "$(command -v node)" >"$CARRY/node.xz"
  xz -T0 -c build/Release/topofr.node >"$CARRY/topofr.node.xz"
  rm -rf "$CARRY/dist" "$CARRY/headers" && cp -r dist "$CARRY/dist"
  mkdir -p "$CARRY/headers" && cp -r node_modules/node-addon-api node_modules/node-api-headers "$CARRY/headers/"
  du -sh "$CARRY"/*
  exit 0
fi

QUICK=""
[ "${1:-}" = "--quick" ] && QUICK=--quick
OUT=${OUT:-$ROOT/.gpu-check}
mkdir -p "$OUT"
LOG=$OUT/gpu-check.log
: >"$LOG"
say() { echo "[gpu-check $(date +%T)] $*" | tee -a "$LOG"; }
STARTED=$(date +%s)

# --- 1. Node ---
if ! command -v node >/dev/null 2>&1; then
  [ -f "$CARRY/node.xz" ] || { say "no node on PATH and no .node-carry/node.xz (run --pack where Node is)"; exit 1; }
  mkdir -p /tmp/gpu-check-node && xz -dc "$CARRY/node.xz" >/tmp/gpu-check-node/node && chmod +x /tmp/gpu-check-node/node
  export PATH=/tmp/gpu-check-node:$PATH
fi
say "node $(node --version)"

# --- 2. GPU, addon, compiled TypeScript ---
GPU=""
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
fi
say "GPU: ${GPU:-none (dry run)}"
[ -d dist ] || { [ -d "$CARRY/dist" ] && cp -r "$CARRY/dist" dist; }
[ -d dist ] || { say "no compiled TypeScript (dist/ or .node-carry/dist)"; exit 1; }

sees_gpu() {  # the addon at $1 loads and reports a usable device
  TOPOFR_ADDON=$1 node -e "const c=require('$1').capabilities().cuda; process.exit(c.deviceCount>0?0:1)" 2>>"$LOG"
}
ADDON=""
if [ -f build/Release/topofr.node ]; then ADDON=$ROOT/build/Release/topofr.node; fi
if [ -z "$ADDON" ] && [ -f "$CARRY/topofr.node.xz" ]; then
  mkdir -p build/carried && xz -dc "$CARRY/topofr.node.xz" >build/carried/topofr.node && ADDON=$ROOT/build/carried/topofr.node
fi
if [ -n "$GPU" ] && { [ -z "$ADDON" ] || ! sees_gpu "$ADDON"; }; then
  say "building the addon here (cmake + nvcc for this GPU)"
  H=$CARRY/headers
  [ -d node_modules/node-addon-api ] && H=$ROOT/node_modules
  ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
  cmake -S . -B build/gpu-check -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${ARCH}-real" \
    -DCMAKE_JS_INC="$H/node-api-headers/include;$H/node-addon-api" -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$ROOT/build/gpu-check/Release" \
    -DCMAKE_CXX_FLAGS=-DBUILDING_NODE_EXTENSION >>"$LOG" 2>&1 &&
    cmake --build build/gpu-check -j "$(nproc)" >>"$LOG" 2>&1 && ADDON=$ROOT/build/gpu-check/Release/topofr.node
fi
[ -n "$ADDON" ] || { say "no addon"; exit 1; }
export TOPOFR_ADDON=$ADDON
say "addon: $ADDON: $(node -e "console.log(JSON.stringify(require('$ADDON').capabilities()))" 2>>"$LOG")"

# --- 3. the CUDA tests and the kernel rates, on the device (the emulator in a dry run) ---
TESTS=$OUT/cuda-tests.txt
BENCH=$OUT/cuda-bench.txt
if [ -n "$GPU" ]; then
  ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
  say "building the CUDA tests with nvcc for sm_$ARCH"
  BIN=$(node scripts/build-cuda-tests.mjs --gpu --arch "sm_$ARCH" 2>>"$LOG") || { say "the CUDA tests did not build (see the log)"; BIN=""; }
  if [ -n "$BIN" ]; then
    timeout 300 "$BIN" >"$TESTS" 2>>"$LOG"; say "CUDA tests: $(tail -1 "$TESTS")"
    timeout 120 "$BIN" --bench >"$BENCH" 2>>"$LOG"; say "kernel rates: $(tr '\n' ' ' <"$BENCH")"
  fi
else
  say "building the CUDA tests for the SIMT emulator (no GPU)"
  BIN=$(node scripts/build-cuda-tests.mjs --emulated 2>>"$LOG") && timeout 300 "$BIN" --schedule shuffled >"$TESTS" 2>>"$LOG"
  say "emulated CUDA tests: $(tail -1 "$TESTS")"
  echo "pending: no GPU" >"$BENCH"
fi

# --- 4. API-level checks and benches, side by side with the CPU ---
say "API checks and benches"
timeout 420 node scripts/gpu-check.mjs --out "$OUT/gpu-check.json" --tests "$TESTS" --bench "$BENCH" --gpu "${GPU:-}" $QUICK 2>>"$LOG" | tee -a "$LOG"
STATUS=${PIPESTATUS[0]}
say "done in $(($(date +%s) - STARTED)) s, status $STATUS; results: $OUT/gpu-check.json"
exit "$STATUS"
