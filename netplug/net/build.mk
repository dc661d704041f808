# cairn-net: the CNI driver and network config manager.
$(eval $(call tool,cairn-net,netplug/net/main.c netplug/net/networks.c netplug/net/attach.c netplug/common/cni.c netplug/common/addr.c netplug/common/invoke.c netplug/common/nl.c,jansson libmnl))
bin/cairn-net: ALL_LDFLAGS += -Wl,--as-needed
