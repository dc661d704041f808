# cairn-shim: the per-container supervisor (see shim/README.md).
SHIM_SRCS := $(wildcard shim/*.c)
$(eval $(call tool,cairn-shim,$(SHIM_SRCS),))

# Linked statically: one shim stays behind per container, and a static
# binary maps no shared libraries, so an idle shim's RSS is its own few
# pages rather than ~1.5 MB of libc and ld.so (measured by bench/shim.sh).
# The sanitizers need the dynamic runtime, so SANITIZE=1 builds stay dynamic.
ifneq ($(SANITIZE),1)
bin/cairn-shim: LDFLAGS += -static
endif
