# cairn-net: the CNI driver and network config manager.  Our own plugins'
# code is linked in: cairn-net runs them in its process (plugins.h).
NET_PLUGIN_SRCS := netplug/bridge/bridge.c netplug/bridge/check.c netplug/portmap/portmap.c \
  netplug/loopback/loopback.c netplug/ipam/ipam.c netplug/ipam/config.c netplug/ipam/store.c \
  netplug/common/netns.c netplug/common/nl.c netplug/common/nft.c netplug/common/nftel.c \
  netplug/common/detach.c netplug/common/conntrack.c
$(eval $(call tool,cairn-net,netplug/net/main.c netplug/net/networks.c netplug/net/attach.c netplug/net/events.c netplug/common/cni.c netplug/common/addr.c netplug/common/invoke.c $(NET_PLUGIN_SRCS),libmnl libnftnl jansson))
bin/cairn-net: ALL_LDFLAGS += -Wl,--as-needed
