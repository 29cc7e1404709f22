#!/usr/bin/env bash
# Search benchmark on the real objective: the default study (search.json: space, budget, fidelities, pruner) run with
# the gp and the random sampler, and the Optuna-TPE + PyTorch reference script (../shared/anchors/optuna_pytorch_e2e.py:
# the script a user would write instead, with its own space and budget: 12 trials x 2 epochs on 10,000 images, retrain
# 8 epochs), for each seed, in one invocation. Prints per seed and per sampler the validation accuracy of the
# study's choice (`study best`: with search.json's selection, the mean of the best repeated configuration's evaluations;
# the best single value of a COMPLETE trial is kept as the results file's last column), the search phase's wall time, the whole command's wall time and, with RETRAIN=1, the retrained
# model's test accuracy (the test set read once); then mean and sd, the paired difference gp - random and issue 9's
# target (bench/search/summarize.awk, which also pools the results files of several invocations).
# Validation accuracies are comparable between gp and random only (the reference script trains other fidelities and
# holds out other images); gp and the reference compare by search time and test accuracy.
#
#   bench/search/run.sh [SEEDS...]            (default: 42 43 44 45 46)
#
# Environment: RETRAIN=1 retrains each study's choice (search.json's retrain epochs) and tests it once;
# TRIALS / EPOCHS / SUBSET / VALIDATION override the study's budget, training and validation images; SPLIT_SEED fixes the validation images
# (dataset.split_seed) for every seed, so all studies optimize one objective (unset: search.json's; "own" or none in search.json: each seed holds out its own); SELECTION="3 2"
# makes each study repeat its 3 best configurations twice and choose by the mean (search.json's selection); PRUNER='{"kind":
# "hyperband", ...}' replaces search.json's pruner; ANCHOR_ARGS (default "12 2 10000 8":
# trials, epochs, images, retrain epochs) the reference script's; SAMPLERS (default "gp random optuna") picks what runs.
# Needs dotnet, jq, bc, data/mnist (`Search data fetch mnist`), and for "optuna" ../shared/tools/optuna4 (Optuna 4.1),
# ../shared/anchors/optuna_pytorch_e2e.py (the reference script; outside this repository), python3-torch on OpenBLAS
# (libopenblas0-pthread) and python3-torchvision: every one is checked, each missing one named on its own line, before
# the first study runs.
# The reference script holds out another random 5,000 validation images: compare its means, and test accuracy.
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "bench/search/run.sh: $*" >&2; exit 2; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
# jq parses the settings below; without it nothing else can be checked.
command -v jq >/dev/null || die "jq not found: install jq (Debian: apt-get install jq)"
# Every argument and setting is checked before anything is built, run or written.
for s in "$@"; do [[ $s =~ ^[0-9]+$ ]] || die "seed '$s': not a non-negative integer (--help)"; done
for v in TRIALS EPOCHS SUBSET VALIDATION; do
  [ -z "${!v:-}" ] || [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v='${!v}': not a positive integer"
done
[ -z "${SPLIT_SEED:-}" ] || [ "$SPLIT_SEED" = own ] || [[ $SPLIT_SEED =~ ^[0-9]+$ ]] || die "SPLIT_SEED='$SPLIT_SEED': not a non-negative integer or own"
[ -z "${SELECTION:-}" ] || [[ $SELECTION =~ ^[0-9]+\ +[0-9]+$ ]] || die "SELECTION='$SELECTION': not two integers, e.g. \"3 2\" (candidates, repeats)"
[ -z "${PRUNER:-}" ] || jq -e 'type == "object"' <<<"$PRUNER" >/dev/null 2>&1 || die "PRUNER='$PRUNER': not a JSON object, e.g. '{\"kind\": \"asha\"}'"
case "${RETRAIN:-0}" in 0|1) ;; *) die "RETRAIN='$RETRAIN': not 0 or 1" ;; esac
for k in ${SAMPLERS:-gp random optuna}; do
  case "$k" in gp|random|tpe|optuna) ;; *) die "SAMPLERS: '$k' is not one of gp, random, tpe, optuna" ;; esac
done
[ -z "${ANCHOR_ARGS:-}" ] || [[ $ANCHOR_ARGS =~ ^[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+$ ]] || die "ANCHOR_ARGS='$ANCHOR_ARGS': not four integers (trials epochs images retrain_epochs)"
cd "$(dirname "$0")/../.."
seeds=${*:-42 43 44 45 46}
samplers=${SAMPLERS:-gp random optuna}
# Every prerequisite is checked before the first study: a missing one found after gp's and random's studies cost
# minutes of training and left their lines in a new results file (audit-bench 2026-12-07). One line per missing one.
missing=0
need() { echo "bench/search/run.sh: $*" >&2; missing=1; }
command -v dotnet >/dev/null || need "dotnet not found: install the .NET 10 SDK (README, Quick start)"
command -v bc >/dev/null || need "bc not found: install bc (Debian: apt-get install bc); it times each study"
[ -f data/mnist/train-images-idx3-ubyte ] && [ -f data/mnist/t10k-images-idx3-ubyte ] \
  || need "data/mnist: no MNIST files (train-images-idx3-ubyte, t10k-images-idx3-ubyte); fetch them first: dotnet run --project Search -c Release -- data fetch mnist"
if [[ " $samplers " == *" optuna "* ]]; then
  [ -x ../shared/tools/optuna4 ] || need "../shared/tools/optuna4 not found (Optuna 4.1, outside this repository; $(cd .. && pwd)/shared/tools/optuna4), needed by 'optuna'; drop 'optuna' from SAMPLERS"
  [ -f ../shared/anchors/optuna_pytorch_e2e.py ] || need "../shared/anchors/optuna_pytorch_e2e.py not found (the reference script, outside this repository), needed by 'optuna'; drop 'optuna' from SAMPLERS"
  # The reference must run as a user's PyTorch would: python3-torch recommends OpenBLAS, and without it (installed
  # with --no-install-recommends) Debian's torch multiplies on the reference BLAS, ~60x slower on the fully connected
  # layers here; the reference script then took > 55 min instead of ~14. Refuse rather than publish a crippled anchor.
  if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    need "python3-torch not found (/usr/bin/python3 cannot import torch), needed by 'optuna'; install python3-torch or drop 'optuna' from SAMPLERS"
  elif ! /usr/bin/python3 -c 'import sys, torch; sys.exit(0 if "openblas" in open("/proc/self/maps").read() else 1)' 2>/dev/null; then
    need "PyTorch runs on the reference BLAS; install libopenblas0-pthread (python3-torch recommends it) or drop 'optuna' from SAMPLERS"
  fi
  /usr/bin/python3 -c 'import torchvision' 2>/dev/null || need "the reference script needs python3-torchvision; install it or drop 'optuna' from SAMPLERS"
fi
[ "$missing" = 0 ] || exit 2
retrain=${RETRAIN:-0}
trials=${TRIALS:-$(jq .budget.trials search.json)}
epochs=${EPOCHS:-$(jq .budget.epochs search.json)}
subset=${SUBSET:-$(jq .dataset.train_subset search.json)}
validation=${VALIDATION:-$(jq .dataset.validation search.json)}
split=${SPLIT_SEED:-$(jq .dataset.split_seed search.json)}
[ "$split" = own ] && split=null  # SPLIT_SEED=own: each seed holds out its own images, whatever search.json says
# SELECTION="3 2": repeat the 3 best configurations twice each at the end of the budget (search.json's selection), so
# each study's choice is the best mean of 3 evaluations; unset: search.json's own (none by default).
read -r sel_candidates sel_repeats <<<"${SELECTION:-}"
work=bench/out/search
dotnet build Search/Search.csproj -c Release -nologo -v q >/dev/null
dotnet build Trials/Trials.csproj -c Release -nologo -v q >/dev/null
search="dotnet $(pwd)/Search/bin/Release/net10.0/Search.dll"
# One file per invocation, kept in the repository (bench/search/results/): real runs cost hours, so later ones pool
# with earlier ones (summarize.awk) instead of starting over. Its first line says what was run. It is written with the
# first line of data: a run that fails before any study finishes leaves no header-only file to be pooled.
results="bench/search/results/$(date +%Y%m%dT%H%M%S).txt"
header="# $(git rev-parse --short HEAD) trials=$trials epochs=$epochs subset=$subset validation=$validation split_seed=$split selection=${SELECTION:-none} retrain=$retrain samplers=$samplers${PRUNER:+ pruner=$PRUNER}"
# A failed study's folder is removed (its stderr's end is printed first), and bench/out too if this run made it and
# nothing else is left in it; finished studies stay, for cross_check.py.
[ -d bench/out ] && made_out=0 || made_out=1
mkdir -p "$work"
failed_dir=  # what the running study writes (set here: study() runs in a subshell)
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    [ -z "$failed_dir" ] || rm -rf "$failed_dir"
    [ "$made_out" = 0 ] || rmdir "$work" bench/out 2>/dev/null || true
  fi
}
trap cleanup EXIT

study() { # kind seed -> "best wall test"
  local kind=$1 seed=$2 name="bench-$1-$2" dir="$work/$1-$2"
  rm -rf "$dir" && mkdir -p "$dir"
  jq --arg name "$name" --arg kind "$kind" --argjson seed "$seed" --arg data "$(pwd)/data/mnist" \
     --argjson trials "$trials" --argjson epochs "$epochs" --argjson subset "$subset" --argjson validation "$validation" --argjson split "$split" \
     --argjson candidates "${sel_candidates:-null}" --argjson repeats "${sel_repeats:-null}" --argjson pruner "${PRUNER:-null}" \
     '.study = $name | .sampler.kind = $kind | .sampler.seed = $seed | .dataset.dir = $data
      | if $kind == "random" then del(.sampler.startup_trials) else . end
      | .budget.trials = $trials | .budget.epochs = $epochs | .dataset.train_subset = $subset | .dataset.validation = $validation | .storage = "sqlite:study.db"
      | if $split == null then del(.dataset.split_seed) else .dataset.split_seed = $split end
      | if $candidates == null then . else .selection = {candidates: $candidates, repeats: $repeats} end
      | if $pruner == null then . else .pruner = $pruner end' search.json > "$dir/search.json"
  local flag=--no-retrain start
  [ "$retrain" = 1 ] && flag=
  start=$(date +%s.%N)
  (cd "$dir" && $search study start search.json $flag >stdout.log 2>stderr.log) || { tail -5 "$dir/stderr.log" >&2; exit 1; }
  local wall=$(echo "$(date +%s.%N) - $start" | bc)
  local db="sqlite:$dir/study.db"
  # The study's own choice (study best): with selection.repeats, the best mean of the repeated candidates; else the
  # best single value. The best single value is kept too (last column), for comparison with earlier runs.
  local best=$($search study best "$name" --storage "$db" --format json | jq .chosen_value)
  local max=$($search trials sql "$name" --storage "$db" --format csv \
    "SELECT MAX(v.value) FROM trial_values v JOIN trials t ON t.trial_id = v.trial_id WHERE t.state = 'COMPLETE'" | tail -1)
  local search_s=$($search trials sql "$name" --storage "$db" --format csv \
    "SELECT ROUND((JULIANDAY(MAX(datetime_complete)) - JULIANDAY(MIN(datetime_start))) * 86400) FROM trials" | tail -1)
  local test=-
  if [ "$retrain" = 1 ]; then
    test=$($search trials sql "$name" --storage "$db" --format csv \
      "SELECT value_json FROM study_user_attributes WHERE key = 'retrain_test_accuracy'" | tail -1 | tr -d '"')
  fi
  echo "$best $search_s $wall $test $max"
}

optuna() { # seed -> "best search wall test"
  local seed=$1 args
  read -r -a args <<<"${ANCHOR_ARGS:-12 2 10000 8}"
  [ "$retrain" = 1 ] || args[3]=0
  local json
  json=$(../shared/tools/optuna4 python3 ../shared/anchors/optuna_pytorch_e2e.py "$(pwd)/data/mnist" "$seed" "${args[@]}" \
    2>"$work/optuna-$seed.err" | tail -1)
  if ! jq -e .best_val_accuracy <<<"$json" >/dev/null 2>&1; then
    echo "run.sh: the reference script failed for seed $seed; the end of $work/optuna-$seed.err:" >&2
    tail -3 "$work/optuna-$seed.err" >&2
    exit 1
  fi
  echo "$json" > "$work/optuna-$seed.json"
  if [ "$retrain" = 1 ]; then jq -r '"\(.best_val_accuracy) \(.search_s) \(.wall_s) \(.test_accuracy)"' <<<"$json"
  else jq -r '"\(.best_val_accuracy) \(.search_s) \(.search_s) -"' <<<"$json"; fi
}

echo "Search benchmark: default space, $trials trials x $epochs epochs on $subset images, seeds: $seeds; validation split: $([ "$split" = null ] && echo "each seed its own" || echo "seed $split"); retrain: $retrain"
printf '%-7s %5s %9s %8s %8s %9s\n' sampler seed best_val search_s wall_s test_acc
for seed in $seeds; do
  for kind in $samplers; do
    if [ "$kind" = optuna ]; then failed_dir="$work/optuna-$seed.err"; line=$(optuna "$seed")
    else failed_dir="$work/$kind-$seed"; line=$(study "$kind" "$seed"); fi
    failed_dir=
    read -r best search_s wall test max <<<"$line"
    printf '%-7s %5s %9.4f %8.0f %8.0f %9s\n' "$kind" "$seed" "$best" "$search_s" "$wall" "$test"
    [ -f "$results" ] || { mkdir -p bench/search/results; echo "$header" > "$results"; }
    echo "$kind $seed $best $wall $test $search_s ${max:--}" >> "$results"
  done
done
echo
awk -f bench/search/summarize.awk "$results"
