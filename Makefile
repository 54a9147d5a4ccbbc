# Thin wrapper around CMake and CTest. Every target installs what is missing
# first (Debian packages, apt-get; sudo only when not root).

BUILD_DIR    ?= build
SANITIZE_DIR ?= build-sanitize
JOBS         ?= $(shell nproc)
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# libboost1.81-dev, not Debian's default libboost-dev (1.74): the 1.74 Asio
# headers do not compile as C++20 with GCC 12.
APT_PACKAGES := g++ cmake make libboost1.81-dev libfmt-dev libgtest-dev libgmock-dev \
                libbenchmark-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev \
                wrk curl iproute2 procps

CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Release -DPREFORK_BENCH_WERROR=ON
SCENARIO    ?= scenarios/seed.toml
RESULTS     ?= results
BENCH_ARGS  ?=

.PHONY: all deps configure build test test-sanitize micro bench clean

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 120

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DPREFORK_BENCH_WERROR=ON \
	      -DPREFORK_BENCH_SANITIZE=ON -DPREFORK_BENCH_MICRO=OFF
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --timeout 240

micro: build
	$(BUILD_DIR)/micro/micro-benchmarks --benchmark_counters_tabular=true

# make bench SCENARIO=scenarios/<name>.toml [BENCH_ARGS="--reps 1 --duration 5s"]
bench: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target prefork-bench
	$(BUILD_DIR)/harness/prefork-bench run $(SCENARIO) --out $(RESULTS) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
