# The native build of libLibTorchSharp.so against a machine's PyTorch, sourced (not run) by run-on-gpu.sh
# on the GPU machine and by rehearse-native-build.sh here, so both run the same steps (see README.md).
#
#   torch_probe                       sets PY (the first of $PYTHON, python3, /usr/bin/python3 that imports
#                                     torch), TORCH_VERSION TORCH_CUDA TORCH_CUDA_OK TORCH_DIR TORCH_CMAKE
#                                     TORCH_CXX11, and TORCH_PROBE_ERROR when none imports it
#   build_libtorchsharp SRC WORK LOGS LIB
#                                     copies SRC (TorchSharp's src/Native) to WORK/native, builds the
#                                     LibTorchSharp target in WORK/native-build (logs LOGS/cmake.log and
#                                     LOGS/ninja.log), copies libLibTorchSharp.so into LIB; on failure returns
#                                     non-zero with NATIVE_BUILD_ERROR (also on stderr): one line naming what
#                                     is missing or which step failed
#
# Knobs: TORCH_CMAKE_PREFIX (overrides torch.utils.cmake_prefix_path: Debian's python3-torch names a
# folder that does not exist, its TorchConfig.cmake comes with libtorch-dev), NATIVE_JOBS [nproc],
# NATIVE_NICE [0] (niceness of the compile), NINJA_KEEP_GOING [1] (ninja -k: how many failed commands
# before it stops), TORCH_CUDA_ARCH_LIST [9.0], CUDA_HOME.

torch_probe() {
  local candidate out
  TORCH_PROBE_ERROR=""
  # A bare python3 may be a pyenv or venv interpreter without torch while the system one has it.
  for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
    command -v "$candidate" > /dev/null || continue
    if out=$("$candidate" -c 'import torch, os, torch.utils; print(torch.__version__, torch.version.cuda, torch.cuda.is_available(), os.path.dirname(torch.__file__), torch.utils.cmake_prefix_path, torch.compiled_with_cxx11_abi())' 2>&1); then
      PY=$candidate
      read -r TORCH_VERSION TORCH_CUDA TORCH_CUDA_OK TORCH_DIR TORCH_CMAKE TORCH_CXX11 <<< "$out"
      TORCH_CMAKE=${TORCH_CMAKE_PREFIX:-$TORCH_CMAKE}
      return 0
    fi
    TORCH_PROBE_ERROR="${TORCH_PROBE_ERROR}$candidate ($(command -v "$candidate")): $(echo "$out" | tail -1); "
  done
  PY=${PYTHON:-python3}
  TORCH_VERSION=""; TORCH_CUDA=""; TORCH_CUDA_OK=""; TORCH_DIR=""; TORCH_CMAKE=${TORCH_CMAKE_PREFIX:-}; TORCH_CXX11=""
  return 1
}

native_build_failed() { NATIVE_BUILD_ERROR=$1; echo "$1" >&2; return 1; }

build_libtorchsharp() {
  local src=$1 work=$2 logs=$3 lib=$4 cc cxx nvcc cuda_root abi config nice
  NATIVE_BUILD_ERROR=""
  cxx=$(command -v c++ || command -v g++ || command -v clang++ || true)
  # The project is C and C++ (crc32c.c), so CMake needs a C compiler too.
  cc=$(command -v cc || command -v gcc || command -v clang || true)
  [ -n "$cxx" ] || { native_build_failed "no host C++ compiler (c++, g++, clang++) on PATH"; return; }
  [ -n "$cc" ] || { native_build_failed "no host C compiler (cc, gcc, clang) on PATH"; return; }
  command -v cmake > /dev/null || { native_build_failed "no cmake on PATH"; return; }
  command -v ninja > /dev/null || { native_build_failed "no ninja on PATH"; return; }
  [ -f "$src/CMakeLists.txt" ] && [ -d "$src/LibTorchSharp" ] \
    || { native_build_failed "TorchSharp native sources not found: $src/CMakeLists.txt, $src/LibTorchSharp"; return; }
  # find_package(Torch) looks for <prefix>/Torch/TorchConfig.cmake; say which folder lacks it.
  config=$(ls "$TORCH_CMAKE"/Torch/TorchConfig.cmake "$TORCH_CMAKE"/TorchConfig.cmake 2>/dev/null | head -1)
  [ -n "$config" ] || { native_build_failed "no TorchConfig.cmake in the cmake prefix '${TORCH_CMAKE}' (set TORCH_CMAKE_PREFIX)"; return; }
  mkdir -p "$logs" "$lib"
  rm -rf "$work/native" "$work/native-build"
  cp -r "$src" "$work/native"
  # Upstream builds with -Werror against the libtorch it pins (2.10); other headers may add warnings.
  sed -i 's/^\( *\)add_definitions(-Werror)/\1# -Werror dropped for another libtorch/' "$work/native/CMakeLists.txt"
  # The ABI must match the libtorch linked against, or std::string symbols do not resolve at load time.
  abi=$( [ "$TORCH_CXX11" = True ] && echo 1 || echo 0 )
  sed -i "s/-D_GLIBCXX_USE_CXX11_ABI=1/-D_GLIBCXX_USE_CXX11_ABI=$abi/" "$work/native/CMakeLists.txt"
  nvcc=$(command -v nvcc || true)
  cuda_root=${CUDA_HOME:-$( [ -n "$nvcc" ] && dirname "$(dirname "$(readlink -f "$nvcc")")")}
  nice=${NATIVE_NICE:-0}
  echo "native build: $cc, $cxx ($("$cxx" --version | head -1)), $config, C++11 ABI $abi, ${NATIVE_JOBS:-$(nproc)} job(s), nice $nice" >&2
  nice -n "$nice" cmake -G Ninja -S "$work/native" -B "$work/native-build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_POLICY_VERSION_MINIMUM=3.5 -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" \
      ${cuda_root:+-DCUDAToolkit_ROOT="$cuda_root" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root"} ${nvcc:+-DCMAKE_CUDA_COMPILER="$nvcc"} \
      -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" > "$logs/cmake.log" 2>&1 \
    || { native_build_failed "cmake configure failed: $(grep -m1 -E 'CMake Error|error' "$logs/cmake.log") (see cmake.log)"; return; }
  nice -n "$nice" ninja -C "$work/native-build" -j"${NATIVE_JOBS:-$(nproc)}" -k "${NINJA_KEEP_GOING:-1}" LibTorchSharp \
      > "$logs/ninja.log" 2>&1 \
    || { native_build_failed "ninja failed: $(grep -c '^FAILED:' "$logs/ninja.log") command(s), first: $(grep -m1 -E 'error' "$logs/ninja.log" | cut -c1-300) (see ninja.log)"; return; }
  cp "$(find "$work/native-build" -name libLibTorchSharp.so | head -1)" "$lib/" \
    || { native_build_failed "the build made no libLibTorchSharp.so"; return; }
}
