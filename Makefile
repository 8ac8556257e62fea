# SPDX-License-Identifier: MIT
# The two commands of the README, and a few helpers.  Everything is CMake
# underneath; this file only sequences: install what is missing, configure,
# build, run.
JOBS ?= 2
BUILD ?= build

.PHONY: all deps build build-asan build-fuzz test test-anywhere demo bench policies clean format

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHMAP_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)

build-fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHMAP_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS)

# Every test: the normal build, the sanitizer build, the fuzzers.
test: build build-asan build-fuzz
	@bash scripts/test.sh

# `make test` as a newcomer runs it: fresh clone in a 0700 mktemp -d, three
# runs, then loaded (README, "Testing").  RUNS / LOAD override.
test-anywhere: deps
	@bash scripts/test-anywhere.sh --runs $(or $(RUNS),3) --load $(or $(LOAD),none)

demo: build
	@bash scripts/demo.sh

bench: build
	@bash scripts/bench.sh

# GO / EAGER / SHRINK compared from their own traces (docs/reclaim.md).
policies: build
	@bash scripts/policies.sh $(BUILD)/examples/policies $(BUILD)/analysis/bucketscope-report

format:
	git ls-files '*.c' '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
