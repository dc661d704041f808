# cairn-runtime: an OCI runtime with runc's command line.
RUNTIME_SRCS := $(wildcard runtime/*.c)
$(eval $(call tool,cairn-runtime,$(RUNTIME_SRCS),jansson libseccomp libcap-ng))
