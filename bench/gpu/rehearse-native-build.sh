#!/usr/bin/env bash
# Rehearses run-on-gpu.sh's native build on this machine, without a GPU and without a bundle: runs
# run-on-gpu.sh itself with NATIVE_ONLY=1 (steps 1-2: machine, then native-build.sh's build of
# libLibTorchSharp.so from the TorchSharp sources against this machine's PyTorch). See README.md.
#
#   bench/gpu/rehearse-native-build.sh      -> bench/out/native-rehearsal/ (run-on-gpu.log, summary.txt,
#                                              cmake.log, ninja.log, ldd.txt, work/lib/libLibTorchSharp.so)
#
# Defaults fit a shared CPU machine: NATIVE_JOBS=1, NATIVE_NICE=19, NINJA_KEEP_GOING=0 (compile every file,
# so one run lists every file's errors). TORCH_CMAKE_PREFIX defaults to Debian's libtorch-dev folder when
# that has TorchConfig.cmake (python3-torch's own torch.utils.cmake_prefix_path names a missing folder).
# VENDOR: the TorchSharp native sources [../shared/vendor/torchsharp-0.107-native].
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENDOR=${VENDOR:-$ROOT/../shared/vendor/torchsharp-0.107-native}
export OUT=${OUTDIR:-$ROOT/bench/out/native-rehearsal}
export WORK=$OUT/work NATIVE_SRC=$VENDOR/src/Native NATIVE_ONLY=1
export NATIVE_JOBS=${NATIVE_JOBS:-1} NATIVE_NICE=${NATIVE_NICE:-19} NINJA_KEEP_GOING=${NINJA_KEEP_GOING:-0}
DEBIAN_CMAKE=/usr/lib/x86_64-linux-gnu/cmake
if [ -z "${TORCH_CMAKE_PREFIX:-}" ] && [ -f "$DEBIAN_CMAKE/Torch/TorchConfig.cmake" ]; then export TORCH_CMAKE_PREFIX=$DEBIAN_CMAKE; fi
mkdir -p "$OUT"
rm -f "$OUT/run-on-gpu.log"  # run-on-gpu.sh appends to it
exec bench/gpu/run-on-gpu.sh
