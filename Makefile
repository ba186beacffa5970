# dfl-swift: DeepFaceLab's SAEHD / SAEHDBW workflow as small Swift tools.
#   make demo     install what is needed, build, run the example pipeline on examples/data
#   make test     install what is needed, build and run every test (release build), then the numeric
#                 suites again on generic x86-64 code with OpenBLAS's AVX2 kernel (make test-portable)
#   make bench    speed figures for this machine (sgemm peak, training step, extraction, XSeg)
#   make install  binaries and man pages under $(PREFIX)
# PORTABLE=1 builds for generic x86-64 instead of the host CPU.

PREFIX   ?= /usr/local
SWIFT    ?= swift
PORTABLE ?= 0
export PORTABLE

TOOLS = dfl-extract dfl-gray dfl-resize dfl-sort dfl-pack dfl-info dfl-train dfl-merge dfl-xseg
DEB_PACKAGES = libturbojpeg0-dev libpng-dev libopenblas-dev libdlib-dev libdlib-data ffmpeg pkg-config \
               python3 python3-numpy

BIN = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: all deps build test test-portable demo bench install man clean

all: build

# Installs the Debian packages the build, the tests and the examples need (skipped when present).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# Tests run on a release build (the numeric tests are ~25x slower in debug); -enable-testing lets them
# use @testable imports. The suite is XCTest only, so Swift Testing's empty run is switched off.
TEST_FLAGS = -c release -Xswiftc -enable-testing
test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build --disable-swift-testing
	$(MAKE) test-portable

# The numeric suites once more on the other CPU paths: generic x86-64 Swift code (no AVX-512 even where the
# host has it) with OpenBLAS's AVX2 kernel, so a pass here is not one CPU kind's rounding. Own build folder.
# TrainerTests (mostly whole-tool runs whose numbers come from the suites above) stay out, to keep CI
# under 30 minutes on 2 cores.
NUMERIC_TESTS = NeuralNetTests|SAEHDTests|SamplesTests|ColorTransferTests|ImagingTests|MergeTests|XSegTests
test-portable: deps
	PORTABLE=1 $(SWIFT) build $(TEST_FLAGS) --build-tests --scratch-path .build-portable
	PORTABLE=1 OPENBLAS_CORETYPE=Haswell $(SWIFT) test $(TEST_FLAGS) --skip-build --disable-swift-testing \
	  --scratch-path .build-portable --filter '$(NUMERIC_TESTS)'
	# The bf16 tests once more as on a CPU without AVX512-BF16 (portable kernel only, auto = fp32).
	PORTABLE=1 DFL_BF16_HARDWARE=0 OPENBLAS_CORETYPE=Haswell $(SWIFT) test $(TEST_FLAGS) --skip-build \
	  --disable-swift-testing --scratch-path .build-portable --filter BF16Tests

demo: build
	$(MAKE) -C examples demo BIN="$(BIN)"

bench: build
	bash bench/run.sh "$(BIN)"

man:
	@ls man/man1/*.1

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" "$(DESTDIR)$(PREFIX)/share/dfl-swift"
	for t in $(TOOLS); do install -m 755 "$(BIN)/$$t" "$(DESTDIR)$(PREFIX)/bin/$$t"; done
	install -m 644 man/man1/*.1 "$(DESTDIR)$(PREFIX)/share/man/man1/"
	# dfl-extract's CNN face detector (CC0), looked up in ../share/dfl-swift next to the binary.
	install -m 644 models/mmod_human_face_detector.dat models/LICENSE-mmod_human_face_detector.txt \
	  "$(DESTDIR)$(PREFIX)/share/dfl-swift/"

clean:
	rm -rf .build .build-portable examples/work
