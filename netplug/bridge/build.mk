# cairn-bridge: the CNI bridge plugin (with cairn-ipam's code linked in, so
# that "cairn-ipam" runs without a process of its own).
# libnftables is only dlopen()ed (nft.c): its headers, not its link.
ALL_PKGS += libmnl libnftables libnftnl
CNI_PLUGINS += bin/cairn-bridge
BRIDGE_SRCS := netplug/bridge/bridge.c netplug/bridge/check.c
$(eval $(call tool,cairn-bridge,netplug/bridge/main.c $(BRIDGE_SRCS) netplug/ipam/ipam.c netplug/ipam/config.c netplug/ipam/store.c netplug/common/cni.c netplug/common/addr.c netplug/common/netns.c netplug/common/nl.c netplug/common/invoke.c netplug/common/nft.c netplug/common/nftel.c netplug/common/detach.c,libmnl libnftnl jansson))
bin/cairn-bridge: ALL_LDFLAGS += -Wl,--as-needed
