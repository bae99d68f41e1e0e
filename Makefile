# kmetrics build. Everything lands in $(BUILD) (default build/); sanitizer and fuzzing
# variants are the same rules run again with another BUILD and flags.
#
#   make            collector, BPF objects and skeletons
#   make test       unit + integration tests, plain and ASan/UBSan builds, fuzz corpora replay
#   make asan       sanitizer build of everything in build/asan
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS
#   make bench      benchmarks, printing figures
#   make run        run the collector on this machine (as root)
#   make deps       install the Debian packages (scripts/deps.sh)

BUILD ?= build
SAN ?=
FUZZ ?=

CC := clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
        -Wformat=2 -Wno-format-nonliteral
CFLAGS := -std=c17 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -g -O2 $(WARN) -Icommon -Iuserspace -Iapi -Ibpf -I$(BUILD)
# Each program links what it uses: the collector's RSS is a target, and every mapped library
# counts in it. Tests and benchmarks link everything.
COLLECTOR_LDLIBS := -lbpf -lelf -lz -ljansson -lnghttp2 -lssl -lcrypto -lm
AGGREGATOR_LDLIBS := -lh2o-evloop -lcurl -lyaml -ljansson -lssl -lcrypto -lz -lm
LDLIBS := -lbpf -lelf -lz -ljansson -lh2o-evloop -lcurl -lnghttp2 -lssl -lcrypto -lm -lyaml

ifeq ($(SAN),1)
CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
CFLAGS += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DKMETRICS_FUZZING
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
COMMON_OBJS := $(patsubst common/%.c,$(BUILD)/obj/common/%.o,$(wildcard common/*.c))
COLLECTOR_OBJS := $(patsubst userspace/%.c,$(BUILD)/obj/%.o,\
                  $(filter-out userspace/main.c,$(wildcard userspace/*.c)))
API_OBJS := $(patsubst api/%.c,$(BUILD)/obj/api/%.o,$(filter-out api/main.c,$(wildcard api/*.c)))
# Link order: collector, then api (wire format), then common utilities.
LIBS := $(BUILD)/libkmcollector.a $(BUILD)/libkmapi.a $(BUILD)/libkmcommon.a
LIB := $(LIBS)
COLLECTOR := $(BUILD)/kmetrics-collector
AGGREGATOR := $(BUILD)/kmetrics-aggregator

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(wildcard tests/integration/test_*.c))
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(wildcard tests/helpers/*.c))
FUZZERS := $(patsubst fuzz/%.c,$(BUILD)/%,$(wildcard fuzz/fuzz_*.c))
BENCH_BPF := $(patsubst bench/%.bpf.c,$(BUILD)/%.skel.h,$(wildcard bench/*.bpf.c))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))

FUZZ_SECONDS ?= 30
FORMAT_FILES = $(wildcard common/*.[ch] userspace/*.[ch] api/*.[ch] bpf/*.[ch] tests/*/*.c \
                 tests/*.h fuzz/*.[ch] bench/*.c)

.PHONY: all deps test unit integration asan fuzz fuzz-build fuzz-replay bench run format \
        format-check clean e2e
.DELETE_ON_ERROR:
.SECONDARY:

all: $(COLLECTOR) $(AGGREGATOR)

deps:
	./scripts/deps.sh

# --- BPF: vmlinux.h from the running kernel's BTF, CO-RE objects, skeletons -------------
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h $(BUILD)/vmlinux.h
	$(CC) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -c $< -o $@

$(BUILD)/%.bpf.o: bench/%.bpf.c $(BUILD)/vmlinux.h
	$(CC) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

# --- libraries and programs ---------------------------------------------------------------
HEADERS := common/*.h userspace/*.h api/*.h bpf/*.h

$(BUILD)/obj/common/%.o: common/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/api/%.o: api/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: userspace/%.c $(HEADERS) | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libkmcommon.a: $(COMMON_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libkmcollector.a: $(COLLECTOR_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libkmapi.a: $(API_OBJS)
	rm -f $@
	ar rcs $@ $^

$(COLLECTOR): $(BUILD)/obj/main.o $(LIBS)
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ $(COLLECTOR_LDLIBS) -o $@

$(AGGREGATOR): $(BUILD)/obj/api/main.o $(BUILD)/libkmapi.a $(BUILD)/libkmcommon.a
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ $(AGGREGATOR_LDLIBS) -o $@

# --- tests --------------------------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c tests/*.h $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(LIBS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/%: tests/integration/%.c tests/*.h $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(LIBS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -lm -o $@

unit: $(UNIT_TESTS)
	./tests/run.sh unit $(BUILD) $(UNIT_TESTS)

integration: $(COLLECTOR) $(AGGREGATOR) $(INTEG_TESTS) $(TEST_HELPERS)
	./tests/run.sh integration $(BUILD) $(INTEG_TESTS)

asan:
	$(MAKE) BUILD=build/asan SAN=1 $(COLLECTOR:$(BUILD)/%=build/asan/%) \
	  $(AGGREGATOR:$(BUILD)/%=build/asan/%) \
	  $(UNIT_TESTS:$(BUILD)/%=build/asan/%) $(INTEG_TESTS:$(BUILD)/%=build/asan/%) \
	  $(TEST_HELPERS:$(BUILD)/%=build/asan/%)

# One summary line for CI: every suite, plain and sanitized, the deploy/ manifest checks, the
# end-to-end suite against a real control plane, the VM tests, then the fuzz corpora.
test: all $(UNIT_TESTS) $(INTEG_TESTS) $(TEST_HELPERS) asan fuzz-build vmtest-build
	./tests/run.sh all $(BUILD) $(UNIT_TESTS) $(INTEG_TESTS) \
	  -- build/asan $(UNIT_TESTS:$(BUILD)/%=build/asan/%) $(INTEG_TESTS:$(BUILD)/%=build/asan/%) \
	  -- suite ./tests/deploy/check-manifests.sh ./tests/e2e/run.sh ./vmtests/run.sh \
	  -- fuzz $(FUZZERS:$(BUILD)/%=build/fuzz/%)

# End to end against a real control plane (tests/e2e/run.sh, docs/e2e.md); needs root.
e2e: all $(TEST_HELPERS)
	BUILD=$(BUILD) ./tests/e2e/run.sh

# --- fuzzing ------------------------------------------------------------------------------
fuzz-build:
	$(MAKE) BUILD=build/fuzz FUZZ=1 $(FUZZERS:$(BUILD)/%=build/fuzz/%)

$(BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/*.h $(LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) $(LDLIBS) -o $@

fuzz: fuzz-build
	@for f in $(FUZZERS:$(BUILD)/%=build/fuzz/%); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus/$$n fuzz/corpus/$$n \
	    2>build/fuzz/$$n.log || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|cov:' build/fuzz/$$n.log | tail -2; \
	done

# --- benchmarks -----------------------------------------------------------------------------
$(BUILD)/bench/%: bench/%.c $(LIBS) $(BENCH_BPF)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ibench $(LDFLAGS) $< $(LIBS) $(LDLIBS) -o $@

bench: $(COLLECTOR) $(AGGREGATOR) $(BENCHES)
	@for b in $(BENCHES); do $$b || exit 1; done

# --- running ------------------------------------------------------------------------------
# Standalone: aggregator + collector on this machine, kubeconfig in run/ (see README).
run: $(COLLECTOR) $(AGGREGATOR)
	./scripts/run-standalone.sh $(BUILD)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build

# --- static builds (container images, deploy/docker/) --------------------------------------
# The collector is linked fully static (Debian ships every library it uses as a .a), so its
# image holds one file. glibc's getaddrinfo still works static: since glibc 2.34 the files and
# dns NSS modules are built into libc, and /etc/hosts and resolv.conf come from the kubelet.
# The aggregator links libh2o-evloop, which Debian ships only shared: h2o and what it loads
# (OpenSSL, zlib, libc) must stay shared, or the process would hold two OpenSSLs passing
# objects between them. Only STATIC_SELF_CONTAINED libraries are linked static: they need no
# other library and none of the shared ones (h2o, libcurl) loads them, so there is one copy.
# Its image copies the libraries `ldd` lists (deploy/docker/aggregator.Dockerfile).
STATIC_SELF_CONTAINED := -ljansson -lyaml
.PHONY: static
static: $(BUILD)/static/kmetrics-collector $(BUILD)/static/kmetrics-aggregator

$(BUILD)/static/kmetrics-collector: $(BUILD)/obj/main.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static $^ $(COLLECTOR_LDLIBS) -o $@

$(BUILD)/static/kmetrics-aggregator: $(BUILD)/obj/api/main.o $(BUILD)/libkmapi.a $(BUILD)/libkmcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ \
	  -Wl,-Bstatic $(filter $(STATIC_SELF_CONTAINED),$(AGGREGATOR_LDLIBS)) \
	  -Wl,-Bdynamic $(filter-out $(STATIC_SELF_CONTAINED),$(AGGREGATOR_LDLIBS)) -o $@

# --- VM tests (vmtests/, docs/vmtests.md): Debian's 6.1 kernel in qemu (TCG) ------------------
# Helpers run in the VM's busybox initramfs, so they are linked static like the collector.
VMTEST_HELPERS := $(patsubst %.c,$(BUILD)/vmtests/%,\
                  $(notdir $(wildcard vmtests/*.c vmtests/node/*.c vmtests/multinode/*.c)))
VMTEST_CC = mkdir -p $(@D) && $(CC) $(CFLAGS) -static $< -o $@
$(BUILD)/vmtests/%: vmtests/%.c
	$(VMTEST_CC)
$(BUILD)/vmtests/%: vmtests/node/%.c
	$(VMTEST_CC)
$(BUILD)/vmtests/%: vmtests/multinode/%.c
	$(VMTEST_CC)

.PHONY: vmtest vmtest-build
vmtest-build: $(BUILD)/static/kmetrics-collector $(AGGREGATOR) $(VMTEST_HELPERS)

vmtest: vmtest-build
	BUILD=$(BUILD) ./vmtests/run.sh
