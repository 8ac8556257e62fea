# SPDX-License-Identifier: MIT
# The two commands of the README, and a few helpers.  Everything is CMake
# underneath; this file only sequences: install what is missing, configure,
# build, run.
JOBS ?= 2
BUILD ?= build
# Each build's output goes to <dir>.log, one line per step on the terminal
# (scripts/lib/step.sh); V=1 shows it all.
STEP = @bash scripts/lib/step.sh

.PHONY: all deps build build-asan build-fuzz test test-anywhere demo bench policies clean format

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@: > $(BUILD).log
	$(STEP) $(BUILD).log "configure $(BUILD)" cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(STEP) $(BUILD).log "build $(BUILD) (log: $(BUILD).log)" cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@: > build-asan.log
	$(STEP) build-asan.log "configure build-asan" cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHMAP_SANITIZE=ON
	$(STEP) build-asan.log "build build-asan (log: build-asan.log)" cmake --build build-asan -j$(JOBS)

build-fuzz: deps
	@: > build-fuzz.log
	$(STEP) build-fuzz.log "configure build-fuzz" env CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHMAP_FUZZ=ON
	$(STEP) build-fuzz.log "build build-fuzz (log: build-fuzz.log)" cmake --build build-fuzz -j$(JOBS)

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
	rm -rf build build-asan build-fuzz build.log build-asan.log build-fuzz.log
