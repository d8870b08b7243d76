# nettcp build. `make` = release build in build/; `make SAN=1` = ASan+UBSan
# build in build-asan/; `make fuzz` = libFuzzer targets in build-fuzz/.
# Every src/*/*.c goes into libnettcp.a; every tests/unit/*.c into one test
# runner; every tools/*.c into the nettcp CLI.

CC ?= cc
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-asan
OPT = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN = -fsanitize=address,undefined
else
BUILD ?= build
OPT = -O2 -g
LDSAN =
endif

PKG_CFLAGS := $(shell pkg-config --cflags libxml-2.0 krb5-gssapi krb5 libcrypto 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libxml-2.0 krb5-gssapi krb5 libcrypto 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -lpthread $(LDLIBS)

LIB_SRC := $(sort $(wildcard src/*/*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
HELPER_SRC := $(sort $(wildcard tests/interop/*.c tests/e2e/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
HELPER_BIN := $(HELPER_SRC:tests/%.c=$(BUILD)/tests/%)

all: $(BUILD)/libnettcp.a $(BUILD)/nettcp $(BUILD)/test_unit $(HELPER_BIN) $(BENCH_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libnettcp.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/nettcp: $(TOOL_OBJ) $(BUILD)/libnettcp.a
	$(CC) $(LDSAN) -o $@ $(TOOL_OBJ) $(BUILD)/libnettcp.a $(LDLIBS_ALL)

$(BUILD)/test_unit: $(TEST_OBJ) $(BUILD)/libnettcp.a
	$(CC) $(LDSAN) -o $@ $(TEST_OBJ) $(BUILD)/libnettcp.a $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libnettcp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDSAN) -o $@ $< $(BUILD)/libnettcp.a $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libnettcp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDSAN) -o $@ $< $(BUILD)/libnettcp.a $(LDLIBS_ALL)

# libFuzzer targets: clang, ASan+UBSan. The library is compiled once with
# the fuzzer's coverage instrumentation (fuzzer-no-link) and linked into each.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) -Iinclude -Isrc $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
fuzz: $(FUZZ_BIN)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build-fuzz/libnettcp.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c build-fuzz/libnettcp.a $(wildcard tests/fuzz/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libnettcp.a $(PKG_LIBS) -lm -lpthread

# Seed corpora for the fuzz targets (tests/fuzz/corpus/), written by a
# program built against the release library: `make fuzz-seeds`.
$(BUILD)/fuzz_seeds: tests/fuzz/seeds.c $(BUILD)/libnettcp.a
	$(CC) $(CFLAGS_ALL) $(LDSAN) -o $@ $< $(BUILD)/libnettcp.a $(LDLIBS_ALL)
fuzz-seeds: $(BUILD)/fuzz_seeds
	rm -rf build/seeds && $(BUILD)/fuzz_seeds build/seeds

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all fuzz fuzz-seeds clean
-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
