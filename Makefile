# cairn — one build for every tool.
#
#   make                 build every executable into bin/
#   make check           install the Debian deps, build, run every suite
#   make check-fast      the same without the slow interop suites
#   make SANITIZE=1 ...  build (and test) with ASan + UBSan
#   make install PREFIX=/usr/local
#
# Each component adds itself with a <dir>/build.mk fragment that calls
# $(eval $(call tool,NAME,SOURCES,PKGS)); see spec/build.mk.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc

# Every pkg-config package any tool links (build.mk fragments add theirs);
# CFLAGS take them all so that headers are found the same way everywhere.
ALL_PKGS := jansson libcrypto libseccomp libcap-ng libcurl libarchive

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
        -Wvla -Wwrite-strings
CFLAGS_BASE := -std=gnu17 -O2 -g -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
        -fstack-protector-strong $(WARN) -Ilib
LDFLAGS_BASE :=
ifeq ($(SANITIZE),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_BASE += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_BASE) $(LDFLAGS)
pkglibs = $(if $(1),$(shell pkg-config --libs $(1)))

O := build
TOOLS :=
CNI_PLUGINS :=
DATA :=
UNIT_TESTS :=

.PHONY: all
all: tools

FLAGS_STAMP := $(O)/flags.stamp

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB_PKGS := jansson libcrypto
$(O)/libcairn.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# $(call tool,NAME,SOURCES,PKGS): bin/NAME from SOURCES, libcairn and PKGS.
define tool
TOOLS += bin/$(1)
bin/$(1): $$(patsubst %.c,$(O)/%.o,$(2)) $(O)/libcairn.a
	@mkdir -p bin
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(O)/libcairn.a $$(call pkglibs,$(3) $(LIB_PKGS))
endef

# Link flags for tools on the path of every `cairn run`: the dynamic loader
# spends ~1.5 ms relocating a shared libcrypto (4.7 MB) of which they use
# only SHA-256 and base64, and a little more on jansson.  Both come from
# their static archives instead: -u names the libcrypto symbols, so that
# the archive (scanned before the objects) contributes just those members
# and what they need; the later -ljansson -lcrypto are then unused and
# --as-needed drops them.  libc stays shared (NSS, the sanitizers).
STATIC_CORE_SYMS := SHA256_Init SHA256_Update SHA256_Final EVP_EncodeBlock EVP_DecodeBlock
STATIC_CORE_LDFLAGS := -Wl,--as-needed $(foreach s,$(STATIC_CORE_SYMS),-Wl,-u,$(s)) \
  -l:libcrypto.a -Wl,--whole-archive -l:libjansson.a -Wl,--no-whole-archive

include $(sort $(wildcard */build.mk) $(wildcard netplug/*/build.mk))
include $(wildcard tests/*/build.mk)

# Components may add to ALL_PKGS in their build.mk, so this comes after.
PKG_CFLAGS := $(shell pkg-config --cflags $(ALL_PKGS))

# A change of flags (SANITIZE=1 or not) rebuilds everything.  Goals that
# build nothing leave the stamp alone: `make print-tools` or `make clean`
# between `make SANITIZE=1` and a test run must not force a rebuild.
NOBUILD_GOALS := clean deps lint print-tools
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
$(shell mkdir -p $(O) && echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $(O)/flags.new && \
  (cmp -s $(O)/flags.new $(FLAGS_STAMP) || mv $(O)/flags.new $(FLAGS_STAMP)); rm -f $(O)/flags.new)
endif

# C unit tests: tests/unit/test_<module>.c, one binary each.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
$(O)/tests/%: $(O)/tests/unit/%.o $(O)/libcairn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/libcairn.a $(call pkglibs,$(LIB_PKGS))

.PHONY: tools unit-tests
tools: $(TOOLS)
unit-tests: $(UNIT_BINS)

.PHONY: deps
deps:
	@.ci/deps

.PHONY: check check-fast
check: deps
	@$(MAKE) --no-print-directory all unit-tests
	@tests/run

check-fast: deps
	@$(MAKE) --no-print-directory all unit-tests
	@tests/run --fast

.PHONY: install
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/cairn/cni $(DESTDIR)$(PREFIX)/share/cairn
	$(if $(filter-out $(CNI_PLUGINS),$(TOOLS)),install -m 0755 $(filter-out $(CNI_PLUGINS),$(TOOLS)) $(DESTDIR)$(PREFIX)/bin)
	$(if $(CNI_PLUGINS),install -m 0755 $(CNI_PLUGINS) $(DESTDIR)$(PREFIX)/libexec/cairn/cni)
	$(if $(DATA),install -m 0644 $(DATA) $(DESTDIR)$(PREFIX)/share/cairn)

# The first tour (README): deps, build, install, then cli/demo.sh runs a
# web server in a container made from the host's busybox.  DEMO_RUNTIME
# picks another OCI runtime than cairn's default (cairn-runtime): runc, crun.
DEMO_RUNTIME ?=
.PHONY: demo
demo: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory install
	@PATH="$(DESTDIR)$(PREFIX)/bin:$$PATH" DEMO_RUNTIME="$(DEMO_RUNTIME)" cli/demo.sh

# The built executables, one line: tests/install/install.bats iterates them.
.PHONY: print-tools
print-tools:
	@echo $(TOOLS)

.PHONY: lint
lint:
	@tests/lint

.PHONY: clean
clean:
	rm -rf $(O) bin

.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
