# cairn-shim: the per-container supervisor (see shim/README.md).
SHIM_SRCS := $(wildcard shim/*.c)
$(eval $(call tool,cairn-shim,$(SHIM_SRCS),))
