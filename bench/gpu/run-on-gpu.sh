#!/usr/bin/env bash
# The GPU check, in one go (see README.md next to this file). On the GPU machine, from the extracted bundle:
#
#   mnist-gpu/run-on-gpu.sh                     GPU run: builds libLibTorchSharp.so against python3's libtorch
#   mnist-gpu/run-on-gpu.sh --cpu-rehearsal     CPU rehearsal: no build; LOCAL_NATIVE_DIR must hold a libtorch
#                                               (CPU) and a matching libLibTorchSharp.so (e.g. TorchSharp-cpu's)
#
# Prints everything and writes it to $OUT (when set, as on the device machine) or mnist-gpu/results/:
# run-on-gpu.log (all output), summary.txt (the figures). Environment knobs (defaults in brackets):
#   PYTHON [python3]  TRIAL_IMAGES [50000; rehearsal 2000]  TRIAL_EPOCHS [3]
#   STUDY_TRIALS [16; rehearsal 4]  STUDY_EPOCHS [2; rehearsal 1]  STUDY_IMAGES [20000; rehearsal 1000]
#   VALIDATION [5000; rehearsal 500] (held-out images of every trial and study)
#   PACKED [4] (trials per GPU of the packed study)  STEP_TIMEOUT [600] (seconds per study or trial)
#   NATIVE_ONLY [0] (1: stop after step 2, the native build; rehearse-native-build.sh)
#   NATIVE_SRC [native-src/src/Native]; the native build's own knobs are listed in native-build.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/native-build.sh"  # torch_probe, build_libtorchsharp: the same steps rehearse-native-build.sh runs
MODE=gpu
[ "${1:-}" = --cpu-rehearsal ] && MODE=cpu
RESULTS=${OUT:-$HERE/results}
WORK=${WORK:-$HERE/work}
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
PACKED=${PACKED:-4}
if [ $MODE = gpu ]; then
  TRIAL_IMAGES=${TRIAL_IMAGES:-50000}; STUDY_TRIALS=${STUDY_TRIALS:-16}; STUDY_EPOCHS=${STUDY_EPOCHS:-2}; STUDY_IMAGES=${STUDY_IMAGES:-20000}
  VALIDATION=${VALIDATION:-5000}
else
  TRIAL_IMAGES=${TRIAL_IMAGES:-2000}; STUDY_TRIALS=${STUDY_TRIALS:-4}; STUDY_EPOCHS=${STUDY_EPOCHS:-1}; STUDY_IMAGES=${STUDY_IMAGES:-1000}
  VALIDATION=${VALIDATION:-500}
fi
TRIAL_EPOCHS=${TRIAL_EPOCHS:-3}
mkdir -p "$RESULTS" "$WORK"
exec > >(tee -a "$RESULTS/run-on-gpu.log") 2>&1
SUMMARY=$RESULTS/summary.txt
: > "$SUMMARY"; rm -f "$RESULTS/FAILED"
SECONDS=0
step() { echo; echo "== [${SECONDS}s] $*"; }
say() { echo "$*" | tee -a "$SUMMARY" >/dev/null; echo ">> $*"; }
fail() { say "FAILED: $*"; touch "$RESULTS/FAILED"; }  # a file: fail may run in a subshell
jqpy() { "$PY" -c "import json,sys; $1" "${@:2}"; }  # no jq on the GPU machine: small JSON reads in Python

say "mode $MODE$( [ "${NATIVE_ONLY:-0}" = 1 ] && echo " (NATIVE_ONLY: build only)"), bundle commit $(cat "$HERE/COMMIT" 2>/dev/null || echo '?'), $(date -u +%FT%TZ), $(nproc) cores"

step "1. machine: GPUs, compilers, PyTorch"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L
  nvidia-smi --query-gpu=index,name,memory.total,memory.used,driver_version --format=csv
  say "nvidia-smi: $(nvidia-smi -L | grep -c '^GPU') GPU(s): $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | sort | uniq -c | xargs)"
else
  say "nvidia-smi: not found"
fi
CXX_FOUND=$(command -v c++ || command -v g++ || command -v clang++ || true)
say "host C++ compiler: ${CXX_FOUND:-none} $( [ -n "$CXX_FOUND" ] && "$CXX_FOUND" --version | head -1)"
say "cmake: $(cmake --version 2>/dev/null | head -1 || echo none); ninja: $(ninja --version 2>/dev/null || echo none); nvcc: $(nvcc --version 2>/dev/null | tail -2 | head -1 || echo none)"
torch_probe || say "python torch: not importable: $TORCH_PROBE_ERROR"
say "PyTorch ${TORCH_VERSION:-?} (CUDA ${TORCH_CUDA:-?}, available ${TORCH_CUDA_OK:-?}, cxx11 abi ${TORCH_CXX11:-?}) in ${TORCH_DIR:-?}"

step "2. libLibTorchSharp.so"
LIB=$WORK/lib
mkdir -p "$LIB"
if [ $MODE = gpu ]; then
  T0=$SECONDS
  export LD_LIBRARY_PATH="$LIB:$TORCH_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if build_libtorchsharp "${NATIVE_SRC:-$HERE/native-src/src/Native}" "$WORK" "$RESULTS" "$LIB"; then
    say "built libLibTorchSharp.so against PyTorch $TORCH_VERSION in $((SECONDS - T0)) s"
    # Libraries the loader would not find with this LD_LIBRARY_PATH fail the worker's first torch call.
    ldd "$LIB/libLibTorchSharp.so" > "$RESULTS/ldd.txt" 2>&1
    say "ldd libLibTorchSharp.so: $(grep -c 'not found' "$RESULTS/ldd.txt") not found $(grep 'not found' "$RESULTS/ldd.txt" | awk '{ print $1 }' | xargs)"
  else
    tail -n 40 "$RESULTS/cmake.log" "$RESULTS/ninja.log" 2>/dev/null
    fail "libLibTorchSharp.so build: $NATIVE_BUILD_ERROR"
  fi
else
  [ -d "${LOCAL_NATIVE_DIR:-}" ] || { fail "--cpu-rehearsal needs LOCAL_NATIVE_DIR (libtorch CPU + libLibTorchSharp.so)"; exit 1; }
  say "rehearsal: natives from $LOCAL_NATIVE_DIR (not built)"
  export LD_LIBRARY_PATH="$LOCAL_NATIVE_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

if [ "${NATIVE_ONLY:-0}" = 1 ]; then
  step "done in ${SECONDS}s (NATIVE_ONLY: steps 1-2)"; cat "$SUMMARY"; [ ! -e "$RESULTS/FAILED" ]; exit
fi

step "3. .NET runtime, apps, data"
export DOTNET_ROOT=$HERE/dotnet PATH="$HERE/dotnet:$PATH" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export MNIST_SEARCH_WORKER=$HERE/app/trials/Trials
SEARCH=$HERE/app/search/Search
DATA=$WORK/data/mnist
mkdir -p "$DATA"
for f in "$HERE"/data/mnist/*.gz; do b=$(basename "$f" .gz); [ -f "$DATA/$b" ] || gunzip -c "$f" > "$DATA/$b"; done
"$SEARCH" --help > /dev/null 2>&1 && say ".NET: $("$HERE/dotnet/dotnet" --list-runtimes | head -1)" || fail "Search does not start (.NET runtime)"

DEVICE=cpu; [ $MODE = gpu ] && DEVICE=cuda
THREADS=$(nproc)

# Trains one spec with the worker; prints its best images/s over epochs >= 2.
worker_ips() { # name rotation translate
  cat > "$WORK/$1.json" <<JSON
{ "hyperparameters": {"conv_layers": 2, "conv1_channels": 32, "conv2_channels": 64, "kernel_size": 3, "batch_norm": false,
    "fc_layers": 1, "fc_width": 128, "dropout": 0.25, "optimizer": "adam", "learning_rate": 0.001, "batch_size": 128,
    "rotation_degrees": $2, "translate_fraction": $3},
  "epochs": $TRIAL_EPOCHS, "seed": 1, "dataset": "mnist", "data_dir": "$DATA", "device": "$DEVICE", "threads": $THREADS,
  "out_dir": "$WORK/$1", "train_subset": $TRIAL_IMAGES, "validation": $VALIDATION }
JSON
  timeout "$STEP_TIMEOUT" "$MNIST_SEARCH_WORKER" run --spec "$WORK/$1.json" < /dev/null > "$RESULTS/$1.jsonl" 2> "$RESULTS/$1.err"
  best_ips "$RESULTS/$1.jsonl"
}
best_ips() {
  jqpy 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]; v=[x["images_per_s"] for x in e if x.get("event")=="epoch" and x["epoch"]>=2]; print(round(max(v),1) if v else "")' "$1"
}

step "4. discovery: a one-trial study with trials_per_gpu \"auto\" (measures one trial's GPU memory)"
study_config() { # name devices-json trials epochs images max_concurrent
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/search.json" <<JSON
{ "study": "$1", "dataset": {"name": "mnist", "dir": "$DATA", "validation": $VALIDATION, "train_subset": $5},
  "objective": {"metric": "val_accuracy", "direction": "maximize"},
  "space": { "conv1_channels": {"type": "int", "low": 16, "high": 64, "log": true},
             "conv2_channels": {"type": "int", "low": 32, "high": 128, "log": true},
             "learning_rate": {"type": "float", "low": 0.0003, "high": 0.003, "log": true},
             "batch_size": {"type": "categorical", "choices": [128, 256]} },
  "fixed": {"optimizer": "adam", "batch_norm": true},
  "budget": {"trials": $3, "epochs": $4, "max_concurrent": $6, "trial_timeout_minutes": 5},
  "sampler": {"kind": "random", "seed": 7}, "pruner": {"kind": "none"},
  "devices": $2, "retrain": {"enabled": false, "epochs": 1}, "storage": "sqlite:study.db" }
JSON
}
run_study() { # name -> seconds; samples GPU utilisation and per-process GPU memory meanwhile
  local dir=$WORK/$1 start end sampler=""
  if [ $MODE = gpu ]; then
    nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 250 > "$RESULTS/$1.gpu.csv" 2>/dev/null &
    sampler=$!
    ( while sleep 0.5; do nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits; done ) > "$RESULTS/$1.apps.csv" 2>/dev/null &
    sampler="$sampler $!"
  fi
  start=$(date +%s.%N)
  ( cd "$dir" && timeout "$STEP_TIMEOUT" "$SEARCH" study start search.json --no-retrain < /dev/null > "$RESULTS/$1.out" 2>&1 )
  local rc=$?
  end=$(date +%s.%N)
  [ -n "$sampler" ] && kill $sampler 2>/dev/null
  cp "$dir/studies/$1/study.log" "$RESULTS/$1.study.log" 2>/dev/null || find "$dir" -name study.log -exec cp {} "$RESULTS/$1.study.log" \;
  [ $rc -eq 0 ] || { tail -n 20 "$RESULTS/$1.out"; fail "study $1 exited $rc"; } >&2
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}
gpu_busy() { # csv -> mean utilisation.gpu % over the samples (all GPUs)
  [ -s "$1" ] && awk -F', *' '{ s += $3; n++ } END { if (n) printf "%.1f", s / n; else print "n/a" }' "$1" || echo "n/a"
}
if [ $MODE = gpu ]; then DISCOVERY='{"gpus": "auto", "trials_per_gpu": "auto"}'; else DISCOVERY='"auto"'; fi
study_config discovery "$DISCOVERY" 1 1 "$STUDY_IMAGES" 64
T=$(run_study discovery)
grep -hE "Devices:|trials_per_gpu|No GPU" "$RESULTS/discovery.study.log" "$RESULTS/discovery.out" 2>/dev/null | sed 's/^/   /' | sort -u
say "discovery: $(grep -hoE 'Devices: [^{]*' "$RESULTS/discovery.out" "$RESULTS/discovery.study.log" 2>/dev/null | head -1)"
grep -hoE 'trials_per_gpu "auto": [^{]*' "$RESULTS/discovery.study.log" 2>/dev/null | head -4 | while read -r l; do say "  $l"; done
[ -s "$RESULTS/discovery.apps.csv" ] && say "measured GPU memory of one trial (max over samples): $(awk -F', *' '$2 > m { m = $2 } END { print m + 0 }' "$RESULTS/discovery.apps.csv") MiB (declared default 2048)"

step "5. one trial: worker vs PyTorch on $DEVICE, same model (conv 32/64, FC 128, Adam, batch 128), $TRIAL_IMAGES images x $TRIAL_EPOCHS epochs"
for aug in off on; do
  if [ $aug = off ]; then R=0; TR=0; PYAUG=""; else R=10; TR=0.1; PYAUG="--rotation 10 --translate 0.1"; fi
  W=$(worker_ips "trial-$aug" $R $TR)
  [ -n "$W" ] || { tail -n 5 "$RESULTS/trial-$aug.err" "$RESULTS/trial-$aug.jsonl"; fail "worker trial (aug $aug)"; }
  timeout "$STEP_TIMEOUT" "$PY" "$HERE/pytorch_reference.py" --data-dir "$DATA" --images "$TRIAL_IMAGES" --epochs "$TRIAL_EPOCHS" \
    --threads "$THREADS" --device "$DEVICE" $PYAUG > "$RESULTS/pytorch-$aug.jsonl" 2> "$RESULTS/pytorch-$aug.err"
  P=$(best_ips "$RESULTS/pytorch-$aug.jsonl")
  [ -n "$P" ] || { tail -n 5 "$RESULTS/pytorch-$aug.err"; fail "PyTorch reference (aug $aug)"; }
  say "trial aug $aug: worker ${W:-?} img/s, PyTorch ${P:-?} img/s, ratio $(awk -v w="${W:-0}" -v p="${P:-0}" 'BEGIN { if (p > 0 && w > 0) printf "%.2fx", w / p; else print "n/a" }')"
done

step "6. a small study: 1 vs $PACKED trials per GPU ($STUDY_TRIALS trials x $STUDY_EPOCHS epochs, $STUDY_IMAGES images)"
for per in 1 "$PACKED"; do
  if [ $MODE = gpu ]; then DEV="{\"gpus\": \"auto\", \"trials_per_gpu\": $per}"; else DEV="{\"cpu_slots\": $per}"; fi
  name=study-$per
  study_config "$name" "$DEV" "$STUDY_TRIALS" "$STUDY_EPOCHS" "$STUDY_IMAGES" 64
  T=$(run_study "$name")
  DONE=$(grep -c '"state":"complete"' "$WORK/$name"/studies/*/trials/*/stdout.log 2>/dev/null | awk -F: '{ s += $2 } END { print s + 0 }')
  say "study $per per $( [ $MODE = gpu ] && echo GPU || echo 'CPU slot set' ): $DONE/$STUDY_TRIALS complete in ${T}s = $(awk -v n="$DONE" -v t="$T" 'BEGIN { if (t > 0) printf "%.2f", n * 60 / t; else print "n/a" }') trials/min, GPU busy $(gpu_busy "$RESULTS/$name.gpu.csv") % (mean utilization.gpu)"
done

step "done in ${SECONDS}s"
cat "$SUMMARY"
[ ! -e "$RESULTS/FAILED" ]
