# llmux: the two commands of the README, and a few more.
#   make run    install what is missing, build, start llmux on :4000 with config.example.yaml
#   make test   build and run every test suite (unit, integration, end-to-end)
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= config.example.yaml

.PHONY: all deps build run test test-unit test-node asan bench clean check-config

all: build

deps:
	@scripts/deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/llmux --config $(CONFIG)

check-config: build
	$(BUILD)/llmux check --config $(CONFIG)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	LLMUX_BIN=$(abspath $(BUILD))/llmux LLMUX_MOCK_BIN=$(abspath $(BUILD))/llmux-mock \
		tests/run-node-tests.sh

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

# ASan + UBSan build of the unit and integration suites
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLMX_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j$(JOBS)
	LLMUX_BIN=$(abspath build-asan)/llmux LLMUX_MOCK_BIN=$(abspath build-asan)/llmux-mock \
		ASAN_OPTIONS=detect_leaks=1 tests/run-node-tests.sh

bench: deps
	bench/run.sh

clean:
	rm -rf $(BUILD) build-asan build-bench
