# mlreg: one flat Makefile, no configure step.
#   make                 build ./mlreg
#   make test            install what the tests need (when missing) and run them
#   make test-asan       the same suite against an ASan+UBSan build, in asan/
#   make fuzz            run every libFuzzer target FUZZTIME seconds (clang)
#   make deps            install the Debian build dependencies (sudo when not root)
#   make demo            deps + build + a real session on a scratch store
#   make bench           S3 upload/download speed and memory as ratios against
#                        awscli on a local s3rver; ingest, re-ingest, start-up
#                        and listings against cp, git... (bench/README; ~1 h)
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall       (same PREFIX and DESTDIR) removes what install put
VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
MANDIR   = $(PREFIX)/share/man
COMPDIR  = $(PREFIX)/share/bash-completion/completions
ZSHDIR   = $(PREFIX)/share/zsh/site-functions
FISHDIR  = $(PREFIX)/share/fish/vendor_completions.d
HOOKDIR  = $(PREFIX)/share/mlreg/hooks
HOOKS    = post-commit pre-push

PKGS     = yaml-0.1 libgit2 zlib libcjson libcurl libcrypto
DEB_BUILD_DEPS = build-essential pkg-config libyaml-dev libgit2-dev zlib1g-dev \
	libcjson-dev libcurl4-openssl-dev libssl-dev
DEB_TEST_DEPS  = git perl python3 mandoc curl strace python3-numpy python3-onnx python3-h5py \
	python3-torch python3-botocore zsh fish

SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl and libgit2 are not linked: lib/curl-dl.c and lib/git-dl.c load
# them when a command first needs them (curl-dl.h and git-dl.h say why);
# their headers are still needed to build.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libcurl libgit2,$(PKGS)) 2>/dev/null) -ldl

# CFLAGS and LDFLAGS carry only optimisation, debugging and warnings, so
# 'make CFLAGS=-O0' or 'CFLAGS=... make' replaces them; what the build needs
# (the language, the include path, the version, the libraries) is always
# added, through ALL_CFLAGS and ALL_LDLIBS.
CC      ?= cc
CFLAGS  ?= -O2 -g -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
MLREG_CFLAGS = -std=c11 -pthread -D_GNU_SOURCE -Ilib -DMLREG_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
ALL_CFLAGS   = $(MLREG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDLIBS   = $(LDLIBS) $(PKG_LIBS) -lm -pthread

LIB_SRC = $(sort $(wildcard lib/*.c lib/*/*.c lib/*/*/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
LIB_OBJ = $(LIB_SRC:.c=.o)
CMD_OBJ = $(CMD_SRC:.c=.o)
HDRS    = $(wildcard lib/*.h lib/*/*.h lib/*/*/*.h cmd/*.h)
MANS    = $(wildcard man/*.1 man/*.5)

all: check-pkgs mlreg

check-pkgs:
	@missing=; for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "error: missing build dependencies:$$missing (run 'make deps')" >&2; exit 1; fi

libmlreg.a: $(LIB_OBJ)
	$(AR) rcs $@.tmp.$$$$ $(LIB_OBJ) && mv -f $@.tmp.$$$$ $@

mlreg: $(CMD_OBJ) libmlreg.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@.tmp.$$$$ $(CMD_OBJ) libmlreg.a $(ALL_LDLIBS) && mv -f $@.tmp.$$$$ $@

%.o: %.c $(HDRS)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

deps:
	@if ! command -v pkg-config >/dev/null || ! pkg-config --exists $(PKGS) 2>/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_BUILD_DEPS) >/dev/null; fi

# The tests make real model files with Debian's numpy, onnx, h5py and torch,
# and check the SigV4 signer against Debian's botocore.
# The S3 tests (t6xxx, t/lib-s3.sh) run an S3 server, s3rver from npm
# (pinned by t/helpers/package-lock.json), and check it with Debian's awscli;
# t/lib-rgw.sh runs Ceph RGW, a real distributed one.
S3RVER_PKG = t/helpers/node_modules/@20minutes/s3rver/package.json
# The RGW tests (t/lib-rgw.sh) run a one-node Ceph cluster and its RADOS
# Gateway from Debian's packages (16.2), without their recommends (an MDS,
# a time daemon).
DEB_RGW_DEPS = ceph-mon ceph-osd radosgw ceph-common
test-deps: deps
	@need=; for c in git prove python3 mandoc curl strace zsh fish; do command -v $$c >/dev/null || need=1; done; \
	/usr/bin/python3 -c 'import numpy, onnx, h5py, torch' 2>/dev/null || need=1; \
	/usr/bin/python3 -c 'import botocore' 2>/dev/null || need=1; \
	if [ -n "$$need" ]; then echo "installing test dependencies: $(DEB_TEST_DEPS)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_TEST_DEPS) >/dev/null; fi
	@pkgs=; command -v node >/dev/null || pkgs="$$pkgs nodejs"; \
	command -v npm >/dev/null || pkgs="$$pkgs npm"; \
	test -x /usr/bin/aws || pkgs="$$pkgs awscli"; \
	/usr/bin/python3 -c 'import botocore' 2>/dev/null || pkgs="$$pkgs python3-botocore"; \
	if [ -n "$$pkgs" ]; then echo "installing test dependencies:$$pkgs"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$pkgs >/dev/null; fi
	@need=; for c in ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool; do \
		command -v $$c >/dev/null || need=1; done; \
	if [ -n "$$need" ]; then echo "installing test dependencies: $(DEB_RGW_DEPS)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			$(DEB_RGW_DEPS) >/dev/null; fi
	@test -f $(S3RVER_PKG) || { \
		log=$$(mktemp) && \
		if npm ci --prefix t/helpers --no-audit --no-fund >"$$log" 2>&1; then rm -f "$$log"; \
		else cat "$$log" >&2; rm -f "$$log"; echo "error: npm ci --prefix t/helpers failed" >&2; exit 1; fi; }

# Each C unit test is one file, t/unit/NAME.c, printing TAP through
# t/unit/tap.h (sigv4-sign signs requests read from stdin, for
# t/helpers/sigv4-check.py in t0111); list a new one in UNIT_BINS.
t/unit/%: t/unit/%.c t/unit/tap.h libmlreg.a $(HDRS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libmlreg.a $(ALL_LDLIBS)

# Fuzzing (clang's libFuzzer): 'make fuzz' runs every target FUZZTIME
# seconds in turn, 'make fuzz FUZZ=record FUZZTIME=600' one of them.  New
# corpus entries go to /tmp/mlreg-fuzz-NAME, crashes to t/fuzz/crash-NAME-*
# (then kept in t/fuzz/corpus/NAME/ once fixed, for t4000's replay).
FUZZ_SRC  = $(sort $(wildcard t/fuzz/fuzz-*.c))
FUZZ_HDRS = t/fuzz/harness.h t/fuzz/readers.h
FUZZ_BINS = $(FUZZ_SRC:.c=)
FUZZTIME ?= 60
FUZZ_TIMEOUT ?= 25
t/fuzz/fuzz-%: t/fuzz/fuzz-%.c $(FUZZ_HDRS) $(LIB_SRC) $(HDRS)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(MLREG_CFLAGS) -o $@ $< $(LIB_SRC) \
		$(ALL_LDLIBS)
fuzz: $(if $(FUZZ),t/fuzz/fuzz-$(FUZZ),$(FUZZ_BINS))
	@for f in $(if $(FUZZ),t/fuzz/fuzz-$(FUZZ),$(FUZZ_BINS)); do \
		n=$${f##*/fuzz-}; mkdir -p t/fuzz/corpus/$$n /tmp/mlreg-fuzz-$$n; \
		echo "fuzzing $$n for $(FUZZTIME)s"; \
		$$f -max_total_time=$(FUZZTIME) -timeout=$(FUZZ_TIMEOUT) -max_len=65536 \
			-artifact_prefix=t/fuzz/crash-$$n- \
			/tmp/mlreg-fuzz-$$n t/fuzz/corpus/$$n || exit 1; done

# Replays every kept fuzz input through the parsers (built with the tests).
t/fuzz/replay: t/fuzz/replay.c $(FUZZ_SRC) $(FUZZ_HDRS) libmlreg.a $(HDRS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ t/fuzz/replay.c libmlreg.a $(ALL_LDLIBS)

UNIT_BINS = t/unit/lib-test t/unit/remote-parse-test t/unit/sigv4-test t/unit/sigv4-sign \
	t/unit/config-get

test: test-deps
	$(MAKE) all $(UNIT_BINS) t/fuzz/replay
	prove -j2 t/*.t

# Sanitizers: mlreg, the unit tests and the fuzz replayer built with
# AddressSanitizer and UndefinedBehaviorSanitizer (gcc's, which
# build-essential brings; ASAN_CC=clang for clang's) in asan/, beside the
# normal build, then the whole suite run against them (t/lib.sh takes
# MLREG=PATH, the unit and replay scripts MLREG_TEST_BUILD=DIR).  Every
# report aborts the process (so test_must_fail sees a crash, not a failure)
# and is written to asan/log/ (UBSan's on stderr, then its abort by ASan,
# handle_abort=1), which must stay empty: a report from a command whose
# output a test throws away still fails the run.  Leaks are detected where
# LeakSanitizer works (asan/lsan-probe says so); t/lsan.supp lists the
# leaks of linked libraries, each with its upstream bug.
ASAN_CC     ?= $(CC)
ASAN_FLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
ASAN_UNIT    = $(addprefix asan/,$(UNIT_BINS) t/fuzz/replay)
ASAN_OPTS    = halt_on_error=1:abort_on_error=1:handle_abort=1:detect_stack_use_after_return=1:log_path=$(CURDIR)/asan/log/asan
UBSAN_OPTS   = halt_on_error=1:abort_on_error=1:print_stacktrace=1
LSAN_OPTS    = suppressions=$(CURDIR)/t/lsan.supp:print_suppressions=0

asan/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

asan/libmlreg.a: $(addprefix asan/,$(LIB_OBJ))
	$(AR) rcs $@.tmp.$$$$ $^ && mv -f $@.tmp.$$$$ $@

asan/mlreg: $(addprefix asan/,$(CMD_OBJ)) asan/libmlreg.a
	$(ASAN_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

asan/t/unit/%: t/unit/%.c t/unit/tap.h asan/libmlreg.a $(HDRS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $< asan/libmlreg.a $(ALL_LDLIBS)

asan/t/fuzz/replay: t/fuzz/replay.c $(FUZZ_SRC) $(FUZZ_HDRS) asan/libmlreg.a $(HDRS)
	@mkdir -p $(@D)
	$(ASAN_CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $< asan/libmlreg.a $(ALL_LDLIBS)

asan/lsan-probe:
	@mkdir -p asan
	printf '#include <stdlib.h>\nvoid *volatile p;\nint main(void) { p = malloc(7); p = 0; return 0; }\n' >asan/lsan-probe.c
	$(ASAN_CC) $(ASAN_FLAGS) -o $@ asan/lsan-probe.c

test-asan: test-deps
	$(MAKE) all asan/mlreg $(ASAN_UNIT) asan/lsan-probe
	@rm -rf asan/log && mkdir -p asan/log
	@leaks=0; ASAN_OPTIONS=detect_leaks=1 asan/lsan-probe 2>asan/lsan-probe.out; \
	grep -q "LeakSanitizer: detected memory leaks" asan/lsan-probe.out && leaks=1; \
	echo "test-asan: leak detection $$(test $$leaks = 1 && echo on || echo off: LeakSanitizer does not work here)"; \
	ASAN_OPTIONS=$(ASAN_OPTS):detect_leaks=$$leaks UBSAN_OPTIONS=$(UBSAN_OPTS) \
		LSAN_OPTIONS=$(LSAN_OPTS) \
		MLREG=$(CURDIR)/asan/mlreg MLREG_TEST_BUILD=$(CURDIR)/asan/t \
		prove -j2 t/*.t; rc=$$?; \
	if ls asan/log | grep -q .; then \
		for f in asan/log/*; do echo "== $$f"; cat "$$f"; done; \
		echo "error: sanitizer reports in asan/log/ (above)" >&2; exit 1; fi; \
	exit $$rc

lint-man:
	mandoc -Tlint -Wwarning $(MANS)

# Benchmarks, not tests: mlreg upload/download against awscli on a local
# s3rver, printed as ratios (bench/README).  BENCH_RUNS=N, BENCH_BIG_MB,
# BENCH_SMALL_N, BENCH_FLAT_MB and BENCH_SCENARIOS='1 3' choose what runs;
# scenarios 5-9 (issue 12: ingest, re-ingest, start-up, listings) against
# cp, sha256sum, openssl and git; BENCH_QUICK=1 tries them at small sizes.
bench: test-deps
	$(MAKE) all
	@test -x /usr/bin/time || { echo "installing benchmark dependencies: time"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq time >/dev/null; }
	python3 bench/run $(BENCH_SCENARIOS)

demo: deps
	$(MAKE) all
	bash contrib/demo.sh ./mlreg

install: all
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5" \
		"$(DESTDIR)$(COMPDIR)" "$(DESTDIR)$(ZSHDIR)" "$(DESTDIR)$(FISHDIR)" "$(DESTDIR)$(HOOKDIR)"
	install -m 755 mlreg "$(DESTDIR)$(BINDIR)/mlreg"
	install -m 644 man/*.1 "$(DESTDIR)$(MANDIR)/man1/"
	install -m 644 man/*.5 "$(DESTDIR)$(MANDIR)/man5/"
	install -m 644 contrib/completion/mlreg.bash "$(DESTDIR)$(COMPDIR)/mlreg"
	install -m 644 contrib/completion/_mlreg "$(DESTDIR)$(ZSHDIR)/_mlreg"
	install -m 644 contrib/completion/mlreg.fish "$(DESTDIR)$(FISHDIR)/mlreg.fish"
	install -m 755 $(addprefix contrib/hooks/,$(HOOKS)) "$(DESTDIR)$(HOOKDIR)/"
	install -m 644 contrib/hooks/README "$(DESTDIR)$(HOOKDIR)/README"

# Removes exactly the files install put (the man pages of this tree), then
# mlreg's own directories (share/mlreg) when they are left empty.
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/mlreg" "$(DESTDIR)$(COMPDIR)/mlreg" \
		"$(DESTDIR)$(ZSHDIR)/_mlreg" "$(DESTDIR)$(FISHDIR)/mlreg.fish"
	for f in $(notdir $(wildcard man/*.1)); do rm -f "$(DESTDIR)$(MANDIR)/man1/$$f"; done
	for f in $(notdir $(wildcard man/*.5)); do rm -f "$(DESTDIR)$(MANDIR)/man5/$$f"; done
	for f in $(HOOKS) README; do rm -f "$(DESTDIR)$(HOOKDIR)/$$f"; done
	rmdir "$(DESTDIR)$(HOOKDIR)" "$(DESTDIR)$(PREFIX)/share/mlreg" 2>/dev/null || true

clean:
	rm -f mlreg libmlreg.a $(LIB_OBJ) $(CMD_OBJ) $(UNIT_BINS) t/fuzz/replay $(FUZZ_BINS)
	rm -rf asan

.PHONY: all check-pkgs deps test-deps test test-asan lint-man demo bench install uninstall \
	clean fuzz
