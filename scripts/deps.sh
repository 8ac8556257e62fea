#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages bucketscope needs, only those missing.
# Run as root (make demo / make test call it).
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev  # toolchain, libFuzzer, sanitizers
  libcunit1-dev valgrind                                           # unit tests
  groff-base man-db                                                # docs_man_pages: render the man pages
  systemtap-sdt-dev                                                # USDT probes (sys/sdt.h)
  liblttng-ust-dev lttng-tools                                     # LTTng-UST provider, sessiond
  babeltrace2 libbabeltrace2-dev                                   # CTF reading
  libdw-dev                                                        # report: creation sites (libdwfl)
  libbpf-dev bpftool libelf-dev zlib1g-dev bpftrace                # BPF recorder, scripts
  linux-libc-dev                                                   # UAPI headers for BPF
  golang-1.19 libabsl-dev                                          # benchmark anchors, Go-binary tests
  libcapstone-dev                                                  # gotrace: x86 decoder for probe sites
  util-linux binutils                                              # setpriv, unshare, readelf
  libxml2-utils time jq                                            # xmllint (SVG check), /usr/bin/time (bench), jq (JSON checks)
  librsvg2-bin                                                     # rsvg-convert: the SVG test renders to PNG
  stress-ng                                                        # load for scripts/test-anywhere.sh
)
# Go 1.21-1.23 from bookworm-backports, when they can be had (never fatal).
source "$(dirname "$0")/lib/go_toolchains.sh"
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  go_toolchains
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or install them) and retry" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
go_toolchains
