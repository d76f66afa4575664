#!/usr/bin/env bash
# Installs the Debian packages Bulwark needs (only those missing, no prompts), then configures and
# builds into build/. Safe to run again: it installs nothing that is present and rebuilds
# incrementally.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${BULWARK_BUILD_DIR:-$root/build}"
build_type="${BULWARK_BUILD_TYPE:-RelWithDebInfo}"

packages=(
  g++ cmake ninja-build ccache pkg-config
  libcaf-dev librocksdb-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libhowardhinnant-date-dev
  libssl-dev tzdata libgtest-dev libgmock-dev libbenchmark-dev
  curl procps jq openssl
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
else
  echo "setup: all packages present"
fi

jobs="${BULWARK_BUILD_JOBS:-$(nproc)}"
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
fi
echo "setup: building into $build_dir with $jobs jobs"
cmake --build "$build_dir" -j "$jobs"
echo "setup: done, binary at $build_dir/bulwark"
