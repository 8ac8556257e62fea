#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build into a temporary prefix, then builds a consumer against
# it twice: with find_package(hmap) (shared and static) and with pkg-config.
#   install_test.sh BUILD_DIR SOURCE_DIR [LIBDIR [CC]]
# LIBDIR is the build's CMAKE_INSTALL_LIBDIR (lib64 on some systems), CC its
# C compiler; lib and cc when not given.
set -euo pipefail
build=$1 src=$2 libdir=${3:-lib} cc=${4:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lib=$tmp/prefix/$libdir
for f in include/hmap.h $libdir/pkgconfig/hmap.pc $libdir/cmake/hmap/hmapConfig.cmake; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$lib"/libhmap.so* "$lib"/libhmap.a >/dev/null
cmake -S "$src/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
LD_LIBRARY_PATH="$lib" "$tmp/consumer/consumer_shared"
"$tmp/consumer/consumer_static"
PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --exists hmap
"$cc" -o "$tmp/pc" "$src/consumer/consumer.c" \
  $(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags --libs hmap)
LD_LIBRARY_PATH="$lib" "$tmp/pc"
echo "install: find_package(hmap) shared+static and pkg-config all work"
