#!/usr/bin/env bash
# Pruning benchmark: the same small real-MNIST study (same seed, same trial count, 5 epochs per trial)
# run without pruning and with each pruner, in one invocation. Prints the total training epochs and the
# best validation accuracy of each, and the ratios against the unpruned run.
# Targets: >= 40% fewer epochs in total, best value within 0.3 percentage points.
# Usage: bench/pruning/run.sh [trials=12] [epochs=5]    (needs data/mnist: `data fetch mnist`)
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "bench/pruning/run.sh: $*" >&2; exit 2; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -le 2 ] || die "at most two arguments, trials and epochs (--help)"
trials=${1:-12}
epochs=${2:-5}
[[ $trials =~ ^[0-9]+$ && $trials -ge 1 ]] || die "trials '$trials': not a positive integer (--help)"
[[ $epochs =~ ^[0-9]+$ && $epochs -ge 1 ]] || die "epochs '$epochs': not a positive integer (--help)"
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pruning-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet build Search/Search.csproj -c Release -nologo -v q >/dev/null
search="dotnet $(pwd)/Search/bin/Release/net10.0/Search.dll"
$search data fetch mnist >/dev/null

run() { # name pruner-json
  local name=$1 pruner=$2
  mkdir -p "$work/$name"
  cat > "$work/$name/search.json" <<JSON
{
  "study": "$name",
  "dataset": { "name": "mnist", "dir": "$(pwd)/data/mnist", "validation": 2000, "train_subset": 4000 },
  "objective": { "metric": "val_accuracy", "direction": "maximize" },
  "space": {
    "conv1_channels": { "type": "int", "low": 4, "high": 32, "log": true },
    "fc_width": { "type": "int", "low": 16, "high": 256, "log": true },
    "learning_rate": { "type": "float", "low": 0.00003, "high": 0.01, "log": true },
    "dropout": { "type": "float", "low": 0.0, "high": 0.6 }
  },
  "fixed": { "optimizer": "adam", "batch_norm": false, "conv2_channels": 32, "batch_size": 128 },
  "budget": { "trials": $trials, "epochs": $epochs, "max_concurrent": 1 },
  "sampler": { "kind": "random", "seed": 7 },
  "pruner": $pruner,
  "devices": "auto",
  "retrain": { "enabled": false, "epochs": 1 },
  "storage": "sqlite:studies/$name/study.db"
}
JSON
  local start=$(date +%s)
  (cd "$work/$name" && $search study start search.json --no-retrain >/dev/null 2>"$work/$name/stderr.log") || { cat "$work/$name/stderr.log" >&2; exit 1; }
  local secs=$(( $(date +%s) - start ))
  local db="sqlite:$work/$name/studies/$name/study.db"
  local total=$($search trials sql "$name" --storage "$db" --format csv \
    "SELECT COUNT(*) AS n FROM trial_intermediate_values v JOIN trials t ON t.trial_id = v.trial_id" | tail -1)
  local pruned=$($search trials sql "$name" --storage "$db" --format csv "SELECT COUNT(*) FROM trials WHERE state = 'PRUNED'" | tail -1)
  local best=$($search trials sql "$name" --storage "$db" --format csv "SELECT MAX(v.value) FROM trial_values v" | tail -1)
  echo "$name $total $pruned $best $secs"
}

echo "Pruning benchmark: $trials trials x $epochs epochs, real MNIST (4000 train / 2000 validation images), random sampler seed 7"
base=$(run none '{ "kind": "none" }')
median=$(run median '{ "kind": "median", "startup_trials": 3, "warmup_epochs": 1 }')
asha=$(run asha '{ "kind": "asha", "min_resource": 1, "reduction_factor": 3 }')
printf '%-8s %8s %7s %10s %8s %14s %12s\n' pruner epochs pruned best_val seconds "epochs saved" "best diff pp"
read -r _ be _ bb _ <<<"$base"
for line in "$base" "$median" "$asha"; do
  read -r name total pruned best secs <<<"$line"
  awk -v n="$name" -v t="$total" -v p="$pruned" -v b="$best" -v s="$secs" -v be="$be" -v bb="$bb" \
    'BEGIN { printf "%-8s %8d %7d %10.4f %8d %13.1f%% %+12.2f\n", n, t, p, b, s, 100 * (1 - t / be), 100 * (b - bb) }'
done
echo "targets: epochs saved >= 40%, best diff >= -0.30 pp"
