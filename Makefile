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
                wrk curl iproute2 procps strace \
                python3 python3-matplotlib python3-pandas python3-pytest jupyter-nbconvert python3-ipykernel

# Plots and notebooks need Debian's matplotlib and pandas: the first python3
# that imports them, else Debian's own (a python3 earlier on PATH, such as a
# pyenv build, usually lacks them). Expanded when a recipe runs, after deps.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
            if command -v $$p >/dev/null 2>&1 && $$p -c 'import matplotlib, pandas' 2>/dev/null; then echo $$p; exit 0; fi; \
          done; echo /usr/bin/python3)

CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Release -DPREFORK_BENCH_WERROR=ON
SCENARIO    ?= scenarios/seed.toml
# A scenario with `kind = "peer"` servers needs the peers installed first.
SCENARIO_PEERS = $(if $(shell grep -s -l '^[[:space:]]*kind[[:space:]]*=[[:space:]]*"peer"' $(SCENARIO)),peers)
RESULTS     ?= results
BENCH_ARGS  ?=

.PHONY: all deps configure build test test-cpp test-python test-sanitize test-hosts hosts-reference hosts-round-trip micro bench check-load plots reproduce when compare peers clean

all: build

# $(call apt_install,PACKAGES): installs those not installed yet.
define apt_install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make $@: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: test-cpp test-python

test-cpp: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300

# pytest on the plots package, then the notebook run top to bottom against
# the committed reference results (a failing cell fails the target).
test-python: deps
	$(PYTHON) -m pytest tests/plots -q
	mkdir -p $(BUILD_DIR)
	MPLBACKEND=Agg PYDEVD_DISABLE_FILE_VALIDATION=1 $(PYTHON) -m jupyter nbconvert --to notebook --execute \
	  --ExecutePreprocessor.timeout=300 --output-dir $(abspath $(BUILD_DIR)) \
	  --output analysis.executed notebooks/analysis.ipynb

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DPREFORK_BENCH_WERROR=ON \
	      -DPREFORK_BENCH_SANITIZE=ON -DPREFORK_BENCH_MICRO=OFF
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --timeout 240

# The harness across hosts (issue 15): network namespaces with an sshd each
# (tests/hosts/rig.py), as root; skipped, saying why, where namespaces
# cannot be made. Leaves no namespace, process or key behind.
test-hosts: build
	$(call apt_install,openssh-server openssh-client rsync)
	PREFORK_BENCH_BUILD=$(abspath $(BUILD_DIR)) $(PYTHON) -m pytest tests/hosts -q -rs

# The reference of the runs across hosts: scenarios/hosts/across-hosts.toml on
# this machine, then through the namespace rig (as root).
hosts-reference: build
	$(call apt_install,openssh-server openssh-client rsync)
	$(PYTHON) tests/hosts/reference.py scenarios/hosts/across-hosts.toml --out $(RESULTS) --build-dir $(BUILD_DIR)

# scenarios/hosts/round-trip.toml through the rig with 0, 0.2 and 1 ms added
# on each client's link (as root; needs the netem qdisc, refused without).
hosts-round-trip: build
	$(call apt_install,openssh-server openssh-client rsync)
	$(PYTHON) tests/hosts/reference.py scenarios/hosts/round-trip.toml --out $(RESULTS) --build-dir $(BUILD_DIR) \
	  --rtt 0 --rtt 0.2 --rtt 1

micro: build
	$(BUILD_DIR)/micro/micro-benchmarks --benchmark_counters_tabular=true

# make bench SCENARIO=scenarios/<name>.toml [BENCH_ARGS="--reps 1 --duration 5s"]
# Plots are drawn for the run just made even when one of its runs failed;
# the target still fails then.
bench: configure $(SCENARIO_PEERS)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target prefork-bench
	status=0; PREFORK_BENCH_PYTHON=$(PYTHON) $(BUILD_DIR)/harness/prefork-bench run $(SCENARIO) --out $(RESULTS) $(BENCH_ARGS) || status=$$?; \
	MPLBACKEND=Agg $(PYTHON) -m plots --latest $(RESULTS) --scenario $(basename $(notdir $(SCENARIO))) || status=$$?; \
	exit $$status

# prefork-load's checks (issue 13): fixed wait, coordinated omission, M/M/1,
# M/D/1, closed loop against wrk, achieved rates; server on CPU 0, load on 1.
# make check-load [CHECKS_OUT=results/checks/issue-13/<host>] [CHECK_ARGS="--only mm1"]
CHECKS_OUT ?= results/checks/issue-13/$(shell hostname)
check-load: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target prefork-load prefork-epoll
	$(PYTHON) load/checks/check_generator.py --build $(BUILD_DIR) --out $(CHECKS_OUT) $(CHECK_ARGS)

# make plots DIR=results/<host>/<run>
plots: deps
	MPLBACKEND=Agg $(PYTHON) -m plots $(DIR)

# Published vs measured: runs seed and seed-nodelay first unless NO_RUN=1.
reproduce: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target prefork-bench
	MPLBACKEND=Agg $(PYTHON) -m plots.reproduce --build-dir $(BUILD_DIR) --results-root $(RESULTS) \
	  $(if $(NO_RUN),--no-run)

# When does prefork win? Runs scenarios/when/*.toml (about 80 minutes here;
# QUICK=1: every experiment shortened, a few minutes, into results/quick/),
# then draws the map and writes results/<host>/when/when.md; NO_RUN=1 only
# redraws from the newest results of each scenario.
when: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target prefork-bench prefork-load prefork-epoll threadpool accept-mutex-fork
	MPLBACKEND=Agg $(PYTHON) -m plots.when --build-dir $(BUILD_DIR) $(if $(QUICK),--quick,--results-root $(RESULTS)) \
	  $(if $(NO_RUN),--no-run)

# make compare A=results/<hostA>/<run> B=results/<hostB>/<run>
compare: deps
	MPLBACKEND=Agg $(PYTHON) -m plots.compare $(A) $(B)

# The well-known implementations measured beside ours (peers/README.md):
# Debian's packages, and fasthttp built offline from Debian's Go packages in
# GOPATH mode (no module proxy). On a machine with systemd, installing nginx
# and Apache also starts them as services on port 80, which the harness never
# uses (it starts its own on a free port): a service started only because
# this target installed its package is stopped and disabled again, so that
# no idle server runs beside the measurements. Services that were installed
# before are left alone.
PEER_SERVICES := nginx apache2
PEER_PACKAGES := golang-go golang-github-valyala-fasthttp-dev nginx-light libnginx-mod-http-echo apache2
GO_ENV := env -u GOFLAGS GO111MODULE=off GOPROXY=off GOPATH=/usr/share/gocode:$(abspath $(BUILD_DIR))/gopath \
          GOCACHE=$(abspath $(BUILD_DIR))/gopath/cache

peers: configure
	@mkdir -p $(BUILD_DIR)/peers $(BUILD_DIR)/gopath; touch $(BUILD_DIR)/peers/new-services; \
	for s in $(PEER_SERVICES); do \
	  dpkg-query -W -f='$${Status}' $$s 2>/dev/null | grep -q 'ok installed' || echo $$s >> $(BUILD_DIR)/peers/new-services; \
	done
	$(call apt_install,$(PEER_PACKAGES))
	@for s in $$(cat $(BUILD_DIR)/peers/new-services); do \
	  if [ -d /run/systemd/system ] && systemctl is-enabled --quiet $$s 2>/dev/null; then \
	    echo "make peers: stopping and disabling the $$s service its package installed"; \
	    $(SUDO) systemctl disable --now --quiet $$s || exit 1; \
	  fi; \
	done; rm -f $(BUILD_DIR)/peers/new-services
	$(GO_ENV) go build -o $(BUILD_DIR)/peers/fasthttp-peer ./peers/fasthttp/main.go

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
