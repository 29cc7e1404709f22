#!/usr/bin/env bash
# Checks deploy/Dockerfile without a container engine: runs its build stage's RUN steps, as written, in a
# clean copy of the committed sources (what `COPY . .` sends, minus ignored files), with /src and /out
# mapped to a temp folder; then checks the image layout they produce: the worker's TorchSharp natives load
# (no hard GLIBCXX_3.4.32 need left) and the coordinator, started as the runtime stage starts it
# (ENTRYPOINT, MNIST_SEARCH_WORKER), runs a 1-trial study with the real worker on a little MNIST.
#   deploy/check-dockerfile.sh [DATA_DIR]   (DATA_DIR: a folder with MNIST's IDX files, default data/mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=$(cd "${1:-data/mnist}" && pwd)
tmp=$(mktemp -d /tmp/mnist-dockerfile-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
git archive HEAD | tar -x -C "$tmp/src"

# The build stage: from "FROM ... AS build" to the next FROM; RUN lines with their continuations.
steps=$(awk '
  /^FROM .* AS build/ { inbuild = 1; next }
  /^FROM / { inbuild = 0 }
  inbuild && /^RUN / { run = 1; sub(/^RUN /, "") }
  inbuild && run { print; if ($0 !~ /\\$/) { run = 0; print "#--" } }
' deploy/Dockerfile)
[ -n "$steps" ] || { echo "no RUN step found in the build stage of deploy/Dockerfile"; exit 1; }
# Build arguments are environment variables during RUN; take the Dockerfile's defaults.
eval "$(awk '/^FROM .* AS build/ { b = 1 } b && /^ARG [A-Z_]+=/ { sub(/^ARG /, "export "); print } /^FROM / && !/AS build/ { b = 0 }' deploy/Dockerfile)"
echo "== build-stage RUN steps (TORCH_BACKEND=${TORCH_BACKEND:-unset}) in $tmp/src"
(cd "$tmp/src" && printf '%s\n' "$steps" | sed -e "s#/out#$tmp/out#g" -e "s#/src#$tmp/src#g" | bash -euxo pipefail)

echo "== the worker's natives load"
lib="$tmp/out/trials/runtimes/linux-x64/native/libLibTorchSharp.so"
if ldd "$lib" 2>&1 | grep -v "weak version" | grep -q "not found"; then
  ldd "$lib" | grep "not found"; echo "libLibTorchSharp.so has unresolved needs"; exit 1
fi
echo "ok: $(ldd "$lib" 2>&1 | grep -c 'weak version' || true) weak version warning(s), nothing unresolved"

echo "== the runtime layout runs a 1-trial study with the real worker"
work="$tmp/work"
mkdir -p "$work/data"
ln -s "$data" "$work/data/mnist"
cat > "$work/search.json" <<'JSON'
{
  "study": "image-check",
  "dataset": { "name": "mnist", "dir": "data/mnist", "validation": 500, "train_subset": 1000 },
  "objective": { "metric": "val_accuracy", "direction": "maximize" },
  "space": { "learning_rate": { "type": "float", "low": 0.001, "high": 0.003, "log": true } },
  "fixed": { "conv_layers": 1, "conv1_channels": 8, "fc_width": 32, "batch_size": 128 },
  "budget": { "trials": 1, "epochs": 1, "max_concurrent": 1 },
  "sampler": { "kind": "random", "seed": 1 },
  "devices": "cpu",
  "retrain": { "enabled": false, "epochs": 1 },
  "storage": "sqlite:studies/image-check/study.db"
}
JSON
# As the image runs it: the ENTRYPOINT, the worker named by ENV, the folder WORKDIR names.
entry=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*/\1/p' deploy/Dockerfile)
worker=$(sed -n 's/^ENV MNIST_SEARCH_WORKER=\([^ ]*\).*/\1/p' deploy/Dockerfile)
(cd "$work" && MNIST_SEARCH_WORKER="${worker/\/app/$tmp/out}" "${entry/\/app/$tmp/out}" study start search.json --no-retrain)
"${entry/\/app/$tmp/out}" trials list image-check --storage "sqlite:$work/studies/image-check/study.db" --format csv | tee "$tmp/trials.csv"
grep -q ",COMPLETE," "$tmp/trials.csv" || { echo "the trial did not complete"; exit 1; }
echo "== deploy/Dockerfile build stage: OK"
