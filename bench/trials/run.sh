#!/usr/bin/env bash
# Training throughput of the Trials worker against Debian's PyTorch on the same model and data.
#
#   bench/trials/run.sh [DATA_DIR]          (default: data/mnist, relative to the repo root)
#
# Environment: WORKER (a built Trials executable; default: build this tree's Release), IMAGES (training images per
# epoch, default 10000), EPOCHS (default 3, >= 3 for the RSS check), THREADS (default 2), EVAL_SIZES (eval batch sizes
# to time, default "64 256 1000"; empty to skip), ROUNDS (default 2), ALLOW_REFERENCE_BLAS=1 (time PyTorch even when it
# runs on the reference BLAS instead of OpenBLAS, marked in the output; refused otherwise, as bench/search/run.sh does).
# Needs .NET 10, /usr/bin/python3 with python3-torch (apt-get install -y python3-torch) and OpenBLAS, jq.
#
# Model: conv 32/64 (3x3, no BatchNorm), FC 128, dropout 0.25, Adam 1e-3, batch 128, 2 threads.
# Throughput is the best images/s of epochs 2.. (epoch 1 includes warm-up; on a shared machine the
# best epoch is the least disturbed one). Targets: worker >= 1.2x
# PyTorch with augmentation off; augmentation costs <= 15%; RSS after the last epoch within 5% of
# RSS after epoch 1. Runs alternate worker and PyTorch so load from other processes hits both alike.
set -euo pipefail
# Every argument and setting is checked before anything is built, run or written.
. "$(dirname "$0")/../shared/data-dir-args.sh" "$@"
IMAGES=${IMAGES:-10000}
EPOCHS=${EPOCHS:-3}
THREADS=${THREADS:-2}
EVAL_SIZES=${EVAL_SIZES-64 256 1000}
ROUNDS=${ROUNDS:-2}
for v in IMAGES THREADS ROUNDS; do [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v='${!v}': not a positive integer"; done
# Throughput is read from epochs 2.. (epoch 1 includes warm-up).
[[ $EPOCHS =~ ^[0-9]+$ && $EPOCHS -ge 2 ]] || die "EPOCHS='$EPOCHS': not an integer >= 2 (3 or more for the RSS check)"
for b in $EVAL_SIZES; do [[ $b =~ ^[0-9]+$ && $b -ge 1 ]] || die "EVAL_SIZES: '$b' is not a positive integer"; done
[ -z "${WORKER:-}" ] || [ -x "$WORKER" ] || die "WORKER='$WORKER': not an executable"
PY=/usr/bin/python3
OUT=bench/out/trials

"$PY" -c 'import torch' 2>/dev/null || { echo "python3-torch missing: apt-get install -y python3-torch" >&2; exit 2; }
# The same guard as bench/search/run.sh: the comparison is against PyTorch as a user runs it, and python3-torch
# recommends OpenBLAS; without it (installed with --no-install-recommends) Debian's torch multiplies on the reference
# BLAS, many times slower on the fully connected layer, and the worker / pytorch ratio flatters the worker. Refuse
# rather than publish it; ALLOW_REFERENCE_BLAS=1 runs anyway and marks every ratio line.
blas_note=
if ! "$PY" -c 'import sys, torch; sys.exit(0 if "openblas" in open("/proc/self/maps").read() else 1)' 2>/dev/null; then
  if [ "${ALLOW_REFERENCE_BLAS:-0}" != 1 ]; then
    echo "run.sh: PyTorch runs on the reference BLAS; install libopenblas0-pthread (python3-torch recommends it), or ALLOW_REFERENCE_BLAS=1 to time it anyway" >&2
    exit 2
  fi
  blas_note=" (WARNING: PyTorch on the reference BLAS, not OpenBLAS: the ratios flatter the worker)"
  echo "WARNING: PyTorch runs on the reference BLAS, not OpenBLAS (ALLOW_REFERENCE_BLAS=1): its figures are not a user's PyTorch" >&2
fi
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl
# WORKER=path/to/Trials times another build (e.g. one from before a change) with the same script.
if [ -z "${WORKER:-}" ]; then
  dotnet build Trials/Trials.csproj -c Release -v q -nologo >/dev/null
  WORKER=Trials/bin/Release/net10.0/Trials
fi

spec() { # name batch_norm rotation translate validation eval_batch_size
  cat > "$OUT/$1.json" <<JSON
{
  "hyperparameters": {"conv_layers": 2, "conv1_channels": 32, "conv2_channels": 64, "kernel_size": 3,
    "batch_norm": $2, "fc_layers": 1, "fc_width": 128, "dropout": 0.25, "optimizer": "adam",
    "learning_rate": 0.001, "batch_size": 128, "rotation_degrees": $3, "translate_fraction": $4},
  "epochs": $EPOCHS, "seed": 1, "dataset": "mnist", "data_dir": "$DATA_DIR", "threads": $THREADS,
  "out_dir": "$(realpath "$OUT")/$1", "train_subset": $IMAGES, "validation": $5, "eval_batch_size": $6
}
JSON
}

worker() { # name -> epoch lines in $OUT/name.jsonl
  "$WORKER" run --spec "$OUT/$1.json" < /dev/null > "$OUT/$1.jsonl"
  grep -q '"state":"complete"' "$OUT/$1.jsonl" || { echo "worker run $1 failed" >&2; cat "$OUT/$1.jsonl" >&2; exit 1; }
}

best_ips() { # jsonl files -> best images_per_s of epochs >= 2 (on a shared machine the best epoch is the least disturbed one)
  cat "$@" | jq -s '[.[] | select(.event=="epoch" and .epoch>=2) | .images_per_s] | max'
}

spec off false 0 0 1000 64
spec on false 10 0.1 1000 64
# Rounds alternate the four runs so that load from other processes on a shared machine hits all of
# them alike; each figure is the best epoch over all rounds.
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r/$ROUNDS: worker aug off, pytorch aug off, worker aug on (rotation 10, translate 0.1), pytorch aug on"
  worker off; cp "$OUT/off.jsonl" "$OUT/off.$r.jsonl"
  "$PY" bench/trials/pytorch_reference.py --data-dir "$DATA_DIR" --images "$IMAGES" --epochs "$EPOCHS" --threads "$THREADS" > "$OUT/py-off.$r.jsonl"
  worker on; cp "$OUT/on.jsonl" "$OUT/on.$r.jsonl"
  "$PY" bench/trials/pytorch_reference.py --data-dir "$DATA_DIR" --images "$IMAGES" --epochs "$EPOCHS" --threads "$THREADS" --rotation 10 --translate 0.1 > "$OUT/py-on.$r.jsonl"
done

W_OFF=$(best_ips "$OUT"/off.[0-9]*.jsonl); W_ON=$(best_ips "$OUT"/on.[0-9]*.jsonl)
P_OFF=$(best_ips "$OUT"/py-off.[0-9]*.jsonl); P_ON=$(best_ips "$OUT"/py-on.[0-9]*.jsonl)

echo
echo "images/epoch $IMAGES, epochs $EPOCHS, rounds $ROUNDS, threads $THREADS, $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v wo="$W_OFF" -v wn="$W_ON" -v po="$P_OFF" -v pn="$P_ON" -v note="$blas_note" 'BEGIN {
  printf "worker  aug off: %8.1f img/s   aug on: %8.1f img/s   augmentation cost: %5.1f%% (target <= 15%%)\n", wo, wn, 100*(1-wn/wo)
  printf "pytorch aug off: %8.1f img/s   aug on: %8.1f img/s   augmentation cost: %5.1f%%\n", po, pn, 100*(1-pn/po)
  printf "worker / pytorch: aug off %.2fx (target >= 1.2x), aug on %.2fx%s\n", wo/po, wn/pn, note
}'
for f in "$OUT"/off.[0-9]*.jsonl "$OUT"/on.[0-9]*.jsonl; do
  jq -rs --arg f "$(basename "$f" .jsonl)" '[.[] | select(.event=="epoch")] as $e
    | "worker RSS \($f): epoch 1 \($e[0].rss_mb | round) MB, epoch \($e[-1].epoch) \($e[-1].rss_mb | round) MB (\((($e[-1].rss_mb / $e[0].rss_mb - 1) * 1000 | round) / 10)%, target within 5%)"' "$f"
done

if [ -n "$EVAL_SIZES" ]; then
  echo
  echo "evaluation of 10000 validation images by eval_batch_size (1 epoch of 1000 training images):"
  for b in $EVAL_SIZES; do
    spec "eval$b" false 0 0 10000 "$b"
    sed -i "s/\"epochs\": $EPOCHS/\"epochs\": 1/; s/\"train_subset\": $IMAGES/\"train_subset\": 1000/" "$OUT/eval$b.json"
    worker "eval$b"
    jq -r --arg b "$b" 'select(.event=="epoch") | "  batch \($b): \(.eval_s | . * 100 | round / 100) s (\(10000 / .eval_s | round) img/s)"' "$OUT/eval$b.jsonl"
  done
fi
