#!/usr/bin/env bash
# Builds the GPU check bundle (see bench/gpu/README.md):
#
#   bench/gpu/make-bundle.sh            -> bench/out/gpu-bundle/mnist-gpu.tar.gz (must stay under 64 MiB)
#
# Environment: COMPRESS=xz makes a smaller .tar.xz instead (several CPU minutes; gzip is seconds and fits).
#
# Contents (folder mnist-gpu/ inside the archive):
#   dotnet/          the .NET runtime of this machine's SDK (host + Microsoft.NETCore.App), so the GPU
#                    machine needs no .NET install
#   app/search/      Search, published framework-dependent (linux-x64)
#   app/trials/      Trials, published framework-dependent, WITHOUT libtorch and without TorchSharp's
#                    prebuilt libLibTorchSharp.so: the GPU machine builds that against its own libtorch
#   native-src/      TorchSharp 0.107 native sources (../shared/vendor/torchsharp-0.107-native)
#   data/mnist/      MNIST (gzip), the GPU machine has no internet
#   run-on-gpu.sh, native-build.sh (its native build), pytorch_reference.py, README.md
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/bench/out/gpu-bundle
STAGE=$OUT/stage/mnist-gpu
VENDOR=${VENDOR:-$ROOT/../shared/vendor/torchsharp-0.107-native}
DATA=${DATA:-$ROOT/data/mnist}
[ -d "$VENDOR/src/Native" ] || { echo "TorchSharp native sources not found in $VENDOR" >&2; exit 2; }
[ -f "$DATA/train-images-idx3-ubyte" ] || [ -f "$DATA/train-images-idx3-ubyte.gz" ] || { echo "MNIST not found in $DATA" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$STAGE"/{app,data/mnist,native-src}

echo "== publishing Search and Trials (Release, linux-x64, framework-dependent)"
dotnet publish Search/Search.csproj -c Release -r linux-x64 --self-contained false -o "$STAGE/app/search" -v q -nologo
dotnet publish Trials/Trials.csproj -c Release -r linux-x64 --self-contained false -o "$STAGE/app/trials" -v q -nologo

# The worker must load the GPU machine's libtorch (CUDA) and a LibTorchSharp built against it, so the
# CPU libtorch and TorchSharp's prebuilt native library stay here, and the worker's dependency manifest
# stops listing them (the .NET host refuses to start when a listed native asset is missing).
drop_natives() { # APP_DIR DEPS_JSON REGEX: delete the matching native files and their deps.json entries
  ( cd "$1" && ls | grep -E "$3" | xargs -r rm -f )
  jq --arg re "$3" '
    .targets |= map_values(map_values(
      if .native then .native |= with_entries(select((.key | split("/") | last | test($re)) | not)) else . end))' \
    "$1/$2" > "$OUT/deps.json" && mv "$OUT/deps.json" "$1/$2"
}
drop_natives "$STAGE/app/trials" Trials.deps.json \
  '^lib(torch|c10|shm|gomp|LibTorchSharp|aoti_custom_ops|backend_with_compiler|jitbackend_test|nnapi_backend|torchbind_test)'
# The coordinator's ONNX Runtime (predict on a model.onnx; its Linux library and a Windows one that the package
# ships as content) is not part of the GPU check, and its 46 MB pushed
# the archive to 73 MiB, past the 64 MiB a device run accepts.
drop_natives "$STAGE/app/search" Search.deps.json '^(lib)?onnxruntime'
find "$STAGE/app" -name '*.pdb' -delete
# Files both apps carry identically (shared assemblies) become hard links, which tar stores once.
( cd "$STAGE/app" && for f in trials/*; do
    if [ -f "$f" ] && [ -f "search/${f#trials/}" ] && cmp -s "$f" "search/${f#trials/}"; then ln -f "search/${f#trials/}" "$f"; fi
  done )

echo "== .NET runtime"
DOTNET_DIR=$(dirname "$(readlink -f "$(command -v dotnet)")")
RUNTIME_VERSION=$(jq -r '.runtimeOptions.framework.version // .runtimeOptions.frameworks[0].version' "$STAGE/app/search/Search.runtimeconfig.json")
NETCORE=$(ls -d "$DOTNET_DIR"/shared/Microsoft.NETCore.App/*/ | sort -V | tail -1)
FXR=$(ls -d "$DOTNET_DIR"/host/fxr/*/ | sort -V | tail -1)
mkdir -p "$STAGE/dotnet/shared/Microsoft.NETCore.App" "$STAGE/dotnet/host/fxr"
cp "$DOTNET_DIR/dotnet" "$STAGE/dotnet/"
cp -r "$NETCORE" "$STAGE/dotnet/shared/Microsoft.NETCore.App/"
cp -r "$FXR" "$STAGE/dotnet/host/fxr/"
# Debugger support only (createdump, the DAC and DBI): nothing runs a debugger there.
rm -f "$STAGE"/dotnet/shared/Microsoft.NETCore.App/*/{createdump,libmscordaccore.so,libmscordbi.so}
for fw in $(jq -r '.runtimeOptions.frameworks[]?.name' "$STAGE"/app/*/*.runtimeconfig.json | sort -u); do
  [ "$fw" = Microsoft.NETCore.App ] && continue
  echo "framework $fw is needed too" >&2; exit 1
done
echo "runtime $(basename "$NETCORE") (apps target $RUNTIME_VERSION)"

echo "== TorchSharp native sources, data, scripts"
cp -r "$VENDOR"/. "$STAGE/native-src/"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$DATA/$f" ]; then gzip -9 -c "$DATA/$f" > "$STAGE/data/mnist/$f.gz"; else cp "$DATA/$f.gz" "$STAGE/data/mnist/"; fi
done
cp bench/gpu/run-on-gpu.sh bench/gpu/native-build.sh bench/gpu/README.md "$STAGE/"
cp bench/trials/pytorch_reference.py "$STAGE/"
chmod +x "$STAGE/run-on-gpu.sh"
git -C "$ROOT" rev-parse HEAD > "$STAGE/COMMIT" 2>/dev/null || true

echo "== compressing"
if [ "${COMPRESS:-gzip}" = xz ]; then ARCHIVE=$OUT/mnist-gpu.tar.xz; tar -C "$OUT/stage" -cf - mnist-gpu | xz -T0 -6 > "$ARCHIVE"
else ARCHIVE=$OUT/mnist-gpu.tar.gz; tar -C "$OUT/stage" -cf - mnist-gpu | gzip -9 > "$ARCHIVE"; fi
SIZE=$(stat -c %s "$ARCHIVE")
du -sh "$STAGE"/* | sed 's/^/  /'
echo "bundle: $ARCHIVE, $((SIZE / 1024 / 1024)) MiB ($SIZE bytes)"
if [ "$SIZE" -gt $((64 * 1024 * 1024)) ]; then echo "bundle is over 64 MiB" >&2; exit 1; fi
rm -rf "$OUT/stage"
