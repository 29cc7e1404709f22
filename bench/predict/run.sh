#!/usr/bin/env bash
# predict benchmark: wall time of `predict` end to end (process start to exit) for 1 image and for a folder of
# 1,000 images, on the same trained network: the TorchSharp path (a checkpoint folder: Search starts the Trials
# program, which loads libtorch) vs the ONNX Runtime path (an exported model.onnx: Search runs it in-process).
# The images are MNIST test digits at 56x56: at 28x28 predict takes them as they are, with no preprocessing to time.
# Median of R runs each (R1 for the 1,000-image case), in one invocation; prints each figure as measured, then the ratios.
# Targets: 1 image in under half of the TorchSharp path's time; 1,000 images at least 3x faster.
# Usage: bench/predict/run.sh [runs=5] [runs_1000=3]    (needs data/mnist: `data fetch mnist`)
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "bench/predict/run.sh: $*" >&2; exit 2; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -le 2 ] || die "at most two arguments, runs and runs_1000 (--help)"
runs=${1:-5}
runs_many=${2:-3}
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 ]] || die "runs '$runs': not a positive integer (--help)"
[[ $runs_many =~ ^[0-9]+$ && $runs_many -ge 1 ]] || die "runs_1000 '$runs_many': not a positive integer (--help)"
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/predict-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet build Search/Search.csproj -c Release -nologo -v q >/dev/null
search="$(pwd)/Search/bin/Release/net10.0/Search"
trials="$(pwd)/Trials/bin/Release/net10.0/Trials"
$search data fetch mnist >/dev/null

# A smaller network than the default study's (2 conv blocks 32/64 with BatchNorm, FC 128; the default fixes 3 blocks), trained 1 epoch on 5,000 images.
cat > "$work/spec.json" <<JSON
{ "hyperparameters": { "conv_layers": 2, "conv1_channels": 32, "conv2_channels": 64, "kernel_size": 3, "batch_norm": true,
    "fc_layers": 1, "fc_width": 128, "dropout": 0.1, "optimizer": "adam", "learning_rate": 0.002, "batch_size": 64 },
  "epochs": 1, "seed": 42, "dataset": "mnist", "data_dir": "$(pwd)/data/mnist", "device": "cpu", "threads": 2,
  "out_dir": "$work/torch", "train_subset": 5000, "validation": 1000, "full_train": false, "evaluate_test": false }
JSON
$trials run --spec "$work/spec.json" < /dev/null > /dev/null
mkdir -p "$work/onnx" "$work/images"
$trials export --model "$work/torch" --format onnx --out "$work/onnx/model.onnx" > /dev/null
python3 bench/predict/write_pngs.py data/mnist/t10k-images-idx3-ubyte 1000 "$work/images"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
measure() { # label repetitions model-folder inputs...: median wall seconds of `predict`
  local label=$1 repetitions=$2 model=$3; shift 3
  for _ in $(seq "$repetitions"); do
    local start=$(date +%s.%N)
    $search predict --model "$model" --format json "$@" > "$work/out.json"
    awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }'
  done | median > "$work/median"
  # Printed here, before the caller's table: an asynchronous tee >(...) could land inside it.
  printf '  %-24s %8.3f s\n' "$label" "$(cat "$work/median")" >&2
  cat "$work/median"
}
# Both paths must agree before their times mean anything.
$search predict --model "$work/torch" --format json "$work/images" > "$work/torch.json"
$search predict --model "$work/onnx" --format json "$work/images" > "$work/onnx.json"
python3 - "$work/torch.json" "$work/onnx.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
same = sum(x["digit"] == y["digit"] for x, y in zip(a, b))
worst = max(abs(x["probability"] - y["probability"]) for x, y in zip(a, b))
print(f"agreement: {same}/{len(a)} same digit, largest probability difference {worst:.2e}")
PY

one_torch=$(measure "1 image, torchsharp" "$runs" "$work/torch" "$work/images/0000.png")
one_onnx=$(measure "1 image, onnx" "$runs" "$work/onnx" "$work/images/0000.png")
many_onnx=$(measure "1000 images, onnx" "$runs_many" "$work/onnx" "$work/images")
many_torch=$(measure "1000 images, torchsharp" "$runs_many" "$work/torch" "$work/images")
printf '\n%-14s %12s %12s %8s\n' "images" "torchsharp s" "onnx s" "speed-up"
printf '%-14s %12.3f %12.3f %7.2fx\n' 1 "$one_torch" "$one_onnx" "$(awk -v a="$one_torch" -v b="$one_onnx" 'BEGIN { print a / b }')"
printf '%-14s %12.3f %12.3f %7.2fx\n' 1000 "$many_torch" "$many_onnx" "$(awk -v a="$many_torch" -v b="$many_onnx" 'BEGIN { print a / b }')"
printf 'targets: 1 image ONNX < half of TorchSharp (>= 2x); 1,000 images >= 3x (medians of %d and %d runs)\n' "$runs" "$runs_many"
