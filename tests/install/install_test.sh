#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds a consumer against
# it twice: with find_package(hmap) (shared and static) and with pkg-config.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in include/hmap.h lib/pkgconfig/hmap.pc lib/cmake/hmap/hmapConfig.cmake; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$tmp/prefix"/lib/libhmap.so* "$tmp/prefix"/lib/libhmap.a >/dev/null
cmake -S "$src/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/consumer/consumer_shared"
"$tmp/consumer/consumer_static"
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --exists hmap
cc -o "$tmp/pc" "$src/consumer/consumer.c" \
  $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs hmap)
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/pc"
echo "install: find_package(hmap) shared+static and pkg-config all work"
