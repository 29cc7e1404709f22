#!/usr/bin/env bash
# What does asking for libtorch's oneDNN CPU kernels (MNIST_SEARCH_ONEDNN=1) give? Trains three models with the worker
# under three kernel settings and prints, per run, whether the worker's OneDnnCheck accepted oneDNN for the model (or
# refused it and trained on libtorch's own kernels), whether training stayed finite and how fast it went
# (bench/onednn shows why, per convolution):
#
#   bench/trials/onednn.sh [DATA_DIR]        (default: data/mnist, relative to the repo root)
#
#   aten         the worker's default (oneDNN off)
#   onednn       MNIST_SEARCH_ONEDNN=1
#   onednn-avx2  MNIST_SEARCH_ONEDNN=1 ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN limited to AVX2 code: is it AVX-512's bug?)
#
#   nan-prone    conv 11/78 (2 layers, no BatchNorm), FC 33, batch 64, Adam 1.5e-3: the layers that gave NaN gradients
#   default-mid  the middle of search.json's space: conv 11/22/45 with BatchNorm, FC 91, batch 128, cosine, augmentation
#   aligned      the same with every channel count a multiple of 16 (conv 16/32/64, FC 96), where oneDNN is right here
#
# Environment: WORKER (a built Trials executable; default: build this tree's Release), SEEDS (default "1 2 3 4"),
# IMAGES (training images per epoch, default 5000), EPOCHS (default 6), THREADS (default 1, a default study's slot).
# Throughput is the median images/s of epochs 2.. of the runs that finished. Re-run it after a TorchSharp upgrade: a
# model oneDNN is accepted for must finish finite on every seed (before the check, 2026-12-06: 2 of 4 seeds of
# default-mid and 4 of 4 of nan-prone ended "loss is NaN").
set -euo pipefail
. "$(dirname "$0")/../shared/data-dir-args.sh" "$@"
SEEDS=${SEEDS:-1 2 3 4}
IMAGES=${IMAGES:-5000}
EPOCHS=${EPOCHS:-6}
THREADS=${THREADS:-1}
for v in IMAGES THREADS; do [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v='${!v}': not a positive integer"; done
[[ $EPOCHS =~ ^[0-9]+$ && $EPOCHS -ge 2 ]] || die "EPOCHS='$EPOCHS': not an integer >= 2 (throughput is read from epochs 2..)"
[ -n "$SEEDS" ] || die "SEEDS is empty"
for s in $SEEDS; do [[ $s =~ ^[0-9]+$ ]] || die "SEEDS: '$s' is not a non-negative integer"; done
[ -z "${WORKER:-}" ] || [ -x "$WORKER" ] || die "WORKER='$WORKER': not an executable"
command -v jq >/dev/null || die "jq not found (apt-get install -y jq)"
OUT=bench/out/trials-onednn
rm -rf "$OUT"
mkdir -p "$OUT"
if [ -z "${WORKER:-}" ]; then
  dotnet build Trials/Trials.csproj -c Release -v q -nologo >/dev/null
  WORKER=Trials/bin/Release/net10.0/Trials
fi

model() {
  case $1 in
    nan-prone) echo '{"conv_layers":2,"conv1_channels":11,"conv2_channels":78,"batch_norm":false,"fc_width":33,"batch_size":64,"learning_rate":0.0015}' ;;
    default-mid) echo '{"conv_layers":3,"conv1_channels":11,"conv2_channels":22,"conv3_channels":45,"batch_norm":true,"fc_width":91,"dropout":0.25,"batch_size":128,"learning_rate":0.0017,"lr_schedule":"cosine","rotation_degrees":10,"translate_fraction":0.1}' ;;
    aligned) echo '{"conv_layers":3,"conv1_channels":16,"conv2_channels":32,"conv3_channels":64,"batch_norm":true,"fc_width":96,"dropout":0.25,"batch_size":128,"learning_rate":0.0017,"lr_schedule":"cosine","rotation_degrees":10,"translate_fraction":0.1}' ;;
  esac
}
kernels() {
  case $1 in
    aten) echo "MNIST_SEARCH_ONEDNN=0" ;;
    onednn) echo "MNIST_SEARCH_ONEDNN=1" ;;
    onednn-avx2) echo "MNIST_SEARCH_ONEDNN=1 ONEDNN_MAX_CPU_ISA=AVX2" ;;
  esac
}

printf '%-12s %-12s %5s  %-8s %-22s %10s\n' model kernels seed oneDNN outcome "img/s"
summary=()
for m in nan-prone default-mid aligned; do
  for k in aten onednn onednn-avx2; do
    diverged=0; refused=0; speeds=()
    for s in $SEEDS; do
      name="$m-$k-$s"
      jq -n --argjson hp "$(model "$m")" --arg data "$DATA_DIR" --arg out "$PWD/$OUT/$name" \
        --argjson seed "$s" --argjson epochs "$EPOCHS" --argjson images "$IMAGES" --argjson threads "$THREADS" \
        '{hyperparameters: $hp, epochs: $epochs, seed: $seed, dataset: "mnist", data_dir: $data, device: "cpu",
          threads: $threads, out_dir: $out, train_subset: $images, validation: 500}' > "$OUT/$name.spec.json"
      rc=0
      env $(kernels "$k") "$WORKER" run --spec "$OUT/$name.spec.json" > "$OUT/$name.jsonl" 2> "$OUT/$name.err" || rc=$?
      onednn=$(jq -r 'select(.event == "start") | .onednn' "$OUT/$name.jsonl")
      why=$(jq -r 'select(.event == "start") | .onednn_refused // empty' "$OUT/$name.jsonl")
      if [ "$k" = aten ]; then
        [ "$onednn" = false ] || die "$name: the worker reported onednn=$onednn"; used=off
      elif [ "$onednn" = true ]; then used=on
      else
        [ -n "$why" ] || die "$name: oneDNN asked for, off, and no onednn_refused"; used=refused; refused=$((refused + 1))
      fi
      speed=$(jq -s '[.[] | select(.event == "epoch" and .epoch >= 2) | .images_per_s] | sort | if length == 0 then null else .[length / 2 | floor] end' "$OUT/$name.jsonl")
      if [ $rc -eq 0 ]; then
        outcome="finished"; speeds+=("$speed")
      elif [ $rc -eq 3 ]; then
        outcome=$(jq -r 'select(.event == "error") | .message' "$OUT/$name.jsonl" | head -1); diverged=$((diverged + 1))
      else
        die "$name: the worker exited $rc (see $OUT/$name.err)"
      fi
      printf '%-12s %-12s %5s  %-8s %-22s %10s\n' "$m" "$k" "$s" "$used" "$outcome" "$([ $rc -eq 0 ] && printf '%.0f' "$speed" || echo -)"
    done
    mean=$(printf '%s\n' "${speeds[@]}" | awk 'NF { t += $1; n++ } END { if (n) printf "%.0f", t / n; else print "-" }')
    summary+=("$m $k $diverged $refused $mean")
  done
done

echo
echo "summary ($(echo $SEEDS | wc -w) seeds, $IMAGES images x $EPOCHS epochs, $THREADS thread(s)):"
printf '%-12s %-12s %9s %8s %14s %14s\n' model kernels diverged refused "mean img/s" "vs aten"
for line in "${summary[@]}"; do
  read -r m k d r mean <<< "$line"
  base=$(printf '%s\n' "${summary[@]}" | awk -v m="$m" '$1 == m && $2 == "aten" { print $5 }')
  ratio=$(awk -v a="$mean" -v b="$base" 'BEGIN { if (a ~ /^[0-9]/ && b ~ /^[0-9]/) printf "%.2fx", a / b; else print "-" }')
  printf '%-12s %-12s %9s %8s %14s %14s\n' "$m" "$k" "$d" "$r" "$mean" "$ratio"
done
