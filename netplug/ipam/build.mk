# cairn-ipam: the CNI IPAM plugin with host-local's semantics.
IPAM_SRCS := netplug/ipam/ipam.c netplug/ipam/config.c netplug/ipam/store.c
CNI_PLUGINS += bin/cairn-ipam
$(eval $(call tool,cairn-ipam,netplug/ipam/main.c $(IPAM_SRCS) netplug/common/cni.c netplug/common/addr.c,jansson))
bin/cairn-ipam: ALL_LDFLAGS += -Wl,--as-needed
