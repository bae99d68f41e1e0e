# kmetrics build. Everything lands in $(BUILD) (default build/), object paths mirroring source
# paths; sanitizer and fuzzing variants are the same rules run again with another BUILD.
#
#   make              collector and aggregator
#   make test         everything CI runs, one summary line (README)
#   make asan         sanitizer build of programs and tests in build/asan
#   make fuzz         each libFuzzer harness for FUZZ_SECONDS
#   make bench        benchmarks, printing figures
#   make run          aggregator + collector on this machine (as root)
#   make check-layers the include rules of docs/architecture.md
#   make deps         install the Debian packages (scripts/deps.sh)

BUILD ?= build
SAN ?=
FUZZ ?=

CC := clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
        -Wformat=2 -Wno-format-nonliteral
# -MMD -MP: each object's header dependencies are written beside it (.d) and read back below,
# so touching a header rebuilds exactly what includes it.
CFLAGS := -std=c17 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -g -O2 $(WARN) -MMD -MP

# Each program compiles with its own include path, so the compiler refuses an include of the
# other program: the collector cannot see api/, the aggregator cannot see userspace/.
COMMON_INC := -Icommon
COLLECTOR_INC := -Icommon -Iuserspace -Ibpf -I$(BUILD)/bpf
AGGREGATOR_INC := -Icommon -Iapi
# Tests of the whole system (integration, fuzzing, benchmarks, tests/lib) see both.
SYSTEM_INC := -Icommon -Iuserspace -Iapi -Ibpf -I$(BUILD)/bpf -Itests

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

# Sources: one folder per job, two levels at most (docs/architecture.md).
srcs = $(wildcard $(1)/*.c $(1)/*/*.c)
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
COMMON_OBJS := $(call obj,$(call srcs,common))
COLLECTOR_OBJS := $(call obj,$(filter-out userspace/main.c,$(call srcs,userspace)))
AGGREGATOR_OBJS := $(call obj,$(filter-out api/main.c,$(call srcs,api)))
TESTLIB_OBJS := $(call obj,$(wildcard tests/lib/*.c))
# Link order: the programs' libraries, then common.
LIBS := $(BUILD)/libkmcollector.a $(BUILD)/libkmapi.a $(BUILD)/libkmcommon.a
COLLECTOR := $(BUILD)/kmetrics-collector
AGGREGATOR := $(BUILD)/kmetrics-aggregator

# tests/unit mirrors the source tree: tests/unit/api/store/test_store.c tests api/store/store.c.
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c tests/unit/*/*/test_*.c tests/unit/*/*/*/test_*.c)
UNIT_TESTS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
INTEG_TESTS := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/integration/test_*.c))
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(wildcard tests/helpers/*.c))
FUZZERS := $(patsubst fuzz/%.c,$(BUILD)/%,$(wildcard fuzz/fuzz_*.c))
BENCH_BPF := $(patsubst bench/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(wildcard bench/*.bpf.c))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))

FUZZ_SECONDS ?= 30

.PHONY: all deps test unit integration asan fuzz fuzz-build fuzz-replay bench run format \
        format-check check-layers clean e2e images
.DELETE_ON_ERROR:
.SECONDARY:

all: $(COLLECTOR) $(AGGREGATOR)

deps:
	./scripts/deps.sh

# --- BPF: vmlinux.h from the running kernel's BTF, CO-RE objects, skeletons -------------
$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

# -g makes the BTF libbpf needs; the DWARF beside it is stripped, or the skeleton would embed
# it in the collector (600 KiB of its binary and of what it reads at start).
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/bpf/vmlinux.h
	$(CC) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD)/bpf -Ibpf -MMD -MP \
	  -c $< -o $@
	$(LLVM_STRIP) -g $@

$(BUILD)/bpf/%.bpf.o: bench/%.bpf.c $(BUILD)/bpf/vmlinux.h
	$(CC) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD)/bpf -MMD -MP \
	  -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@

# --- objects: the include path says which program a file belongs to ----------------------
$(BUILD)/obj/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(COMMON_INC) -c $< -o $@

$(BUILD)/obj/userspace/%.o: userspace/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(COLLECTOR_INC) -c $< -o $@

$(BUILD)/obj/api/%.o: api/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(AGGREGATOR_INC) -c $< -o $@

$(BUILD)/obj/tests/unit/common/%.o: tests/unit/common/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(COMMON_INC) -Itests -c $< -o $@

$(BUILD)/obj/tests/unit/userspace/%.o: tests/unit/userspace/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(COLLECTOR_INC) -Itests -c $< -o $@

$(BUILD)/obj/tests/unit/api/%.o: tests/unit/api/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(AGGREGATOR_INC) -Itests -c $< -o $@

$(BUILD)/obj/tests/lib/%.o: tests/lib/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SYSTEM_INC) -c $< -o $@

$(BUILD)/obj/tests/integration/%.o: tests/integration/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SYSTEM_INC) -c $< -o $@

$(BUILD)/obj/fuzz/%.o: fuzz/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SYSTEM_INC) -c $< -o $@

$(BUILD)/obj/bench/%.o: bench/%.c | $(SKELS) $(BENCH_BPF)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SYSTEM_INC) -Ibench -c $< -o $@

# --- libraries and programs ---------------------------------------------------------------
# The Makefile is a prerequisite of each archive: a change of its member list rebuilds it,
# so a cached build/ never links a member whose source has moved or gone.
$(BUILD)/libkmcommon.a: $(COMMON_OBJS) Makefile
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/libkmcollector.a: $(COLLECTOR_OBJS) Makefile
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/libkmapi.a: $(AGGREGATOR_OBJS) Makefile
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/libkmtest.a: $(TESTLIB_OBJS) Makefile
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(COLLECTOR): $(BUILD)/obj/userspace/main.o $(BUILD)/libkmcollector.a $(BUILD)/libkmcommon.a
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ $(COLLECTOR_LDLIBS) -o $@

$(AGGREGATOR): $(BUILD)/obj/api/main.o $(BUILD)/libkmapi.a $(BUILD)/libkmcommon.a
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ $(AGGREGATOR_LDLIBS) -o $@

# --- tests --------------------------------------------------------------------------------
TEST_LINK = @mkdir -p $(@D) && $(CC) $(LDFLAGS) $< $(BUILD)/libkmtest.a $(LIBS) $(LDLIBS) \
            -lcmocka -o $@

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libkmtest.a $(LIBS)
	$(TEST_LINK)

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(BUILD)/libkmtest.a $(LIBS)
	$(TEST_LINK)

# A helper's own libraries, when it needs more than libc and libm.
HELPER_LDLIBS_fake_kubelet := -lssl -lcrypto -lpthread

$(BUILD)/tests/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(HELPER_LDLIBS_$*) -lm -o $@

unit: $(UNIT_TESTS)
	./tests/run.sh unit $(BUILD) $(UNIT_TESTS)

integration: $(COLLECTOR) $(AGGREGATOR) $(INTEG_TESTS) $(TEST_HELPERS)
	./tests/run.sh integration $(BUILD) $(INTEG_TESTS)

asan:
	$(MAKE) BUILD=build/asan SAN=1 $(COLLECTOR:$(BUILD)/%=build/asan/%) \
	  $(AGGREGATOR:$(BUILD)/%=build/asan/%) \
	  $(UNIT_TESTS:$(BUILD)/%=build/asan/%) $(INTEG_TESTS:$(BUILD)/%=build/asan/%) \
	  $(TEST_HELPERS:$(BUILD)/%=build/asan/%)

# One summary line for CI: the layer and format checks, every suite plain and sanitized, the
# deploy/ manifest and image checks, the end-to-end suite against a real control plane, the
# VM tests, the real node, then the fuzz corpora.
test: all $(UNIT_TESTS) $(INTEG_TESTS) $(TEST_HELPERS) asan fuzz-build vmtest-build images
	./tests/run.sh all $(BUILD) \
	  -- suite ./scripts/check-layers.sh ./tests/layers/run.sh ./scripts/format-check.sh \
	  -- $(BUILD) $(UNIT_TESTS) $(INTEG_TESTS) \
	  -- build/asan $(UNIT_TESTS:$(BUILD)/%=build/asan/%) $(INTEG_TESTS:$(BUILD)/%=build/asan/%) \
	  -- suite ./tests/deploy/check-manifests.sh ./tests/images/check-images.sh \
	     ./tests/e2e/run.sh ./vmtests/run.sh ./vmtests/realnode/run.sh \
	  -- fuzz $(FUZZERS:$(BUILD)/%=build/fuzz/%)

# End to end against a real control plane (tests/e2e/run.sh, docs/e2e.md); needs root.
e2e: all $(TEST_HELPERS)
	BUILD=$(BUILD) ./tests/e2e/run.sh

# Layers of docs/architecture.md, checked over every #include line.
check-layers:
	@./scripts/check-layers.sh

# --- fuzzing ------------------------------------------------------------------------------
fuzz-build:
	$(MAKE) BUILD=build/fuzz FUZZ=1 $(FUZZERS:$(BUILD)/%=build/fuzz/%)

$(BUILD)/fuzz_%: $(BUILD)/obj/fuzz/fuzz_%.o $(LIBS)
	$(CC) $(LDFLAGS) $< $(LIBS) $(LDLIBS) -o $@

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
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/libkmtest.a $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(BUILD)/libkmtest.a $(LIBS) $(LDLIBS) -o $@

# bench_collector_memory measures the static collector, the one the image ships.
# The BPF programs' kernel-side cost per event, from the kernel's run statistics.
BENCH_SCRIPTS := bench/bpf_event_cost.sh bench/pod_skb_cost.sh

# bench_kubelet_scrape runs tests/helpers/fake_kubelet as its 1,000 kubelets.
bench: $(COLLECTOR) $(AGGREGATOR) $(BUILD)/static/kmetrics-collector $(BENCHES) \
       $(BUILD)/tests/fake_kubelet
	@for b in $(BENCHES); do $$b || exit 1; done
	@for s in $(BENCH_SCRIPTS); do BIN=$(COLLECTOR) $$s || exit 1; done

# --- running ------------------------------------------------------------------------------
# Standalone: aggregator + collector on this machine, kubeconfig in run/ (see README).
run: $(COLLECTOR) $(AGGREGATOR)
	./scripts/run-standalone.sh $(BUILD)

format:
	@./scripts/format-check.sh --fix

format-check:
	@./scripts/format-check.sh

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

# Container images as OCI archives, offline and reproducible (scripts/build-images.sh; load
# one with `ctr -n k8s.io images import`). The Dockerfiles in deploy/docker/ hold the same files.
images: static
	./scripts/build-images.sh $(BUILD)

# The code the daemon runs every tick comes first, contiguous: the archive members of
# scripts/hot-objects.txt, linked ahead of their libraries (scripts/hot-objects.sh says why,
# and remakes the list from a profile). The link map is kept beside the binary for that.
$(BUILD)/static/hot/objects: scripts/hot-objects.txt scripts/hot-objects.sh
	./scripts/hot-objects.sh extract $(CC) $< $(@D)

$(BUILD)/static/kmetrics-collector: $(BUILD)/obj/userspace/main.o $(BUILD)/static/hot/objects \
                                    $(BUILD)/libkmcollector.a $(BUILD)/libkmcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static -Wl,-Map=$@.map $< $$(cat $(BUILD)/static/hot/objects) \
	  $(BUILD)/libkmcollector.a $(BUILD)/libkmcommon.a $(COLLECTOR_LDLIBS) -o $@

$(BUILD)/static/kmetrics-aggregator: $(BUILD)/obj/api/main.o $(BUILD)/libkmapi.a \
                                     $(BUILD)/libkmcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -Wl,--as-needed $^ \
	  -Wl,-Bstatic $(filter $(STATIC_SELF_CONTAINED),$(AGGREGATOR_LDLIBS)) \
	  -Wl,-Bdynamic $(filter-out $(STATIC_SELF_CONTAINED),$(AGGREGATOR_LDLIBS)) -o $@

# --- VM tests (vmtests/, docs/vmtests.md): Debian's 6.1 kernel in qemu (TCG) ------------------
# Helpers run in the VM's busybox initramfs, so they are linked static like the collector.
VMTEST_HELPERS := $(patsubst %.c,$(BUILD)/vmtests/%,\
                  $(notdir $(wildcard vmtests/*.c vmtests/node/*.c vmtests/multinode/*.c \
                                      vmtests/realnode/*.c)))
VMTEST_CC = mkdir -p $(@D) && $(CC) $(CFLAGS) -static $< -o $@
$(BUILD)/vmtests/%: vmtests/%.c
	$(VMTEST_CC)
$(BUILD)/vmtests/%: vmtests/node/%.c
	$(VMTEST_CC)
$(BUILD)/vmtests/%: vmtests/multinode/%.c
	$(VMTEST_CC)
$(BUILD)/vmtests/%: vmtests/realnode/%.c
	$(VMTEST_CC)

.PHONY: vmtest vmtest-build
vmtest-build: $(BUILD)/static/kmetrics-collector $(AGGREGATOR) $(VMTEST_HELPERS)

vmtest: vmtest-build
	BUILD=$(BUILD) ./vmtests/run.sh

# kmetrics from its own images and manifests on a real kubelet + containerd node in a VM,
# both cgroup drivers (vmtests/realnode/run.sh, docs/realnode.md); needs root.
.PHONY: realnode
realnode: images vmtest-build
	BUILD=$(BUILD) ./vmtests/realnode/run.sh

# Header dependencies written by -MMD (absent on a first build, which rebuilds everything).
-include $(shell find $(BUILD)/obj $(BUILD)/bpf -name '*.d' 2>/dev/null)
