# nettcp build. `make` = release build in build/; `make SAN=1` = ASan+UBSan
# build in build-asan/; `make TSAN=1` = ThreadSanitizer build in build-tsan/;
# `make fuzz` = libFuzzer targets in build-fuzz/.
# Every src/*/*.c goes into libnettcp.a and libnettcp.so (which exports the
# ntcp_ API only); every tests/unit/*.c into one test runner; every tools/*.c
# into the nettcp CLI, linked against libnettcp.so. `make install` honours
# PREFIX, DESTDIR, LIBDIR (multiarch) and the other *DIR variables below.

CC ?= cc
SAN ?= 0
TSAN ?= 0
ifeq ($(TSAN),1)
BUILD ?= build-tsan
OPT = -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDSAN = -fsanitize=thread
else ifeq ($(SAN),1)
BUILD ?= build-asan
OPT = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN = -fsanitize=address,undefined
else
BUILD ?= build
OPT = -O2 -g
LDSAN =
endif

# the version is the one <nettcp/nettcp.h> defines (NETTCP_VERSION_MAJOR/MINOR/PATCH)
VERSION := $(shell sed -n 's/^\#define NETTCP_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' include/nettcp/nettcp.h | paste -sd.)
SOVERSION = 0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

# what libnettcp links (nettcp.pc's Requires.private says the same; libcurl reads
# WSDL over HTTP); libsasl2
# only for its header (doctor's SASL GSSAPI bind through libldap)
PKG_REQUIRES = libxml-2.0 krb5-gssapi krb5 libssl libcrypto libpcap ldap libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_REQUIRES) libsasl2 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKG_REQUIRES) 2>/dev/null)

# sd_notify for `serve` under systemd (Type=notify)
TOOL_CFLAGS := $(shell pkg-config --exists libsystemd 2>/dev/null && echo -DNETTCP_SYSTEMD)
TOOL_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null)
# JSON documents of the CLI (nettcp wsdl --json)
TOOL_CFLAGS += $(shell pkg-config --cflags jansson 2>/dev/null)
TOOL_LIBS += $(shell pkg-config --libs jansson 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# the CLI sees the public headers only (include/), never src/
CFLAGS_PUBLIC = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude $(PKG_CFLAGS) -MMD -MP $(TOOL_CFLAGS) $(CPPFLAGS) $(CFLAGS)
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

SONAME = libnettcp.so.$(SOVERSION)
SHLIB = $(BUILD)/libnettcp.so.$(VERSION)
MAN_PAGES = $(BUILD)/man/nettcp.1 $(BUILD)/man/libnettcp.3

all: $(BUILD)/libnettcp.a $(SHLIB) $(BUILD)/nettcp $(BUILD)/dist/nettcp $(BUILD)/test_unit $(HELPER_BIN) $(BENCH_BIN)

# (the Makefile too: objects built before -fPIC was added must be rebuilt)
$(BUILD)/obj/src/%.o: src/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -c $< -o $@

$(BUILD)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUBLIC) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# only ntcp_ names are exported (ntcp__ ones are internal)
$(SHLIB): $(LIB_OBJ) src/libnettcp.map
	$(CC) $(LDSAN) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libnettcp.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJ) $(LDLIBS_ALL)
	ln -sf libnettcp.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libnettcp.so

$(BUILD)/libnettcp.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# the in-tree CLI finds libnettcp.so.0 beside itself; the installed one
# (dist/) carries no run path and uses the system's
$(BUILD)/nettcp: $(TOOL_OBJ) $(SHLIB)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $(TOOL_OBJ) -L$(BUILD) -Wl,-rpath,'$$ORIGIN' -lnettcp $(LDLIBS_ALL) $(TOOL_LIBS)

$(BUILD)/dist/nettcp: $(TOOL_OBJ) $(SHLIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $(TOOL_OBJ) -L$(BUILD) -lnettcp $(LDLIBS_ALL) $(TOOL_LIBS)

# the tests also check the CLI's capture loader (tools/capture.c)
# (and jansson: the tests parse the library's JSON with it)
# (and the app.config reader, tools/call_config.c)
$(BUILD)/test_unit: $(TEST_OBJ) $(BUILD)/obj/tools/capture.o $(BUILD)/obj/tools/call_config.o $(BUILD)/libnettcp.a
	$(CC) $(LDSAN) -o $@ $(TEST_OBJ) $(BUILD)/obj/tools/capture.o $(BUILD)/obj/tools/call_config.o $(BUILD)/libnettcp.a \
		$(LDLIBS_ALL) $(TOOL_LIBS)

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
# the CLI's capture loader (tools/capture.c) is not in the library
build-fuzz/fuzz_capture: tests/fuzz/fuzz_capture.c tools/capture.c build-fuzz/libnettcp.a $(wildcard tests/fuzz/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -Itools -fsanitize=fuzzer -o $@ $< tools/capture.c build-fuzz/libnettcp.a $(PKG_LIBS) -lm -lpthread

# the CLI's app.config reader (tools/call_config.c) is not in the library either
build-fuzz/fuzz_app_config: tests/fuzz/fuzz_app_config.c tools/call_config.c build-fuzz/libnettcp.a $(wildcard tests/fuzz/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -Itools -fsanitize=fuzzer -o $@ $< tools/call_config.c build-fuzz/libnettcp.a $(PKG_LIBS) -lm -lpthread

# Seed corpora for the fuzz targets (tests/fuzz/corpus/), written by a
# program built against the release library: `make fuzz-seeds`.
$(BUILD)/fuzz_seeds: tests/fuzz/seeds.c $(BUILD)/obj/tools/capture.o $(BUILD)/libnettcp.a
	$(CC) $(CFLAGS_ALL) -Itools $(LDSAN) -o $@ $< $(BUILD)/obj/tools/capture.o $(BUILD)/libnettcp.a $(LDLIBS_ALL)
fuzz-seeds: $(BUILD)/fuzz_seeds
	rm -rf build/seeds && $(BUILD)/fuzz_seeds build/seeds

# what `make install` installs, and nothing else (the Debian package builds this)
dist: $(BUILD)/libnettcp.a $(SHLIB) $(BUILD)/dist/nettcp $(BUILD)/nettcp.pc $(BUILD)/nettcp-wws.pc $(MAN_PAGES)

# man pages from the docs (pandoc)
man: $(MAN_PAGES)
$(BUILD)/man/nettcp.1: docs/cli.md scripts/manpage
	@mkdir -p $(dir $@)
	scripts/manpage 1 $< $@
$(BUILD)/man/libnettcp.3: docs/libnettcp.md scripts/manpage
	@mkdir -p $(dir $@)
	scripts/manpage 3 $< $@

# written at every make: it holds PREFIX and LIBDIR, which may change between runs
$(BUILD)/%.pc: %.pc.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(PKG_REQUIRES)|' $< > $@

install: dist
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/nettcp $(DESTDIR)$(INCLUDEDIR)/nettcp/wws $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 755 $(BUILD)/dist/nettcp $(DESTDIR)$(BINDIR)/nettcp
	$(INSTALL) -m 644 $(BUILD)/libnettcp.a $(DESTDIR)$(LIBDIR)/libnettcp.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libnettcp.so.$(VERSION)
	ln -sf libnettcp.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libnettcp.so
	$(INSTALL) -m 644 include/nettcp/*.h $(DESTDIR)$(INCLUDEDIR)/nettcp/
	$(INSTALL) -m 644 include/nettcp/wws/*.h $(DESTDIR)$(INCLUDEDIR)/nettcp/wws/
	$(INSTALL) -m 644 $(BUILD)/nettcp.pc $(DESTDIR)$(PKGCONFIGDIR)/nettcp.pc
	$(INSTALL) -m 644 $(BUILD)/nettcp-wws.pc $(DESTDIR)$(PKGCONFIGDIR)/nettcp-wws.pc
	$(INSTALL) -m 644 $(BUILD)/man/nettcp.1 $(DESTDIR)$(MANDIR)/man1/nettcp.1
	$(INSTALL) -m 644 $(BUILD)/man/libnettcp.3 $(DESTDIR)$(MANDIR)/man3/libnettcp.3

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nettcp $(DESTDIR)$(LIBDIR)/libnettcp.a $(DESTDIR)$(LIBDIR)/libnettcp.so \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libnettcp.so.$(VERSION) \
		$(DESTDIR)$(PKGCONFIGDIR)/nettcp.pc $(DESTDIR)$(PKGCONFIGDIR)/nettcp-wws.pc $(DESTDIR)$(MANDIR)/man1/nettcp.1 $(DESTDIR)$(MANDIR)/man3/libnettcp.3
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(patsubst include/%,%,$(wildcard include/nettcp/*.h include/nettcp/wws/*.h)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/nettcp/wws
	-rmdir $(DESTDIR)$(INCLUDEDIR)/nettcp

clean:
	rm -rf build build-asan build-tsan build-fuzz build-deb

.PHONY: all dist fuzz fuzz-seeds man install uninstall clean FORCE
FORCE:
-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
