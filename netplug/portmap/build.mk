# cairn-portmap: the CNI portmap plugin, on nftables.
# libnftables is only dlopen()ed (nft.c): its headers, not its link.
ALL_PKGS += libmnl libnftables libnftnl
CNI_PLUGINS += bin/cairn-portmap
$(eval $(call tool,cairn-portmap,netplug/portmap/main.c netplug/portmap/portmap.c netplug/common/cni.c netplug/common/addr.c netplug/common/netns.c netplug/common/nl.c netplug/common/nft.c netplug/common/nftel.c netplug/common/detach.c netplug/common/conntrack.c,libmnl libnftnl jansson))
bin/cairn-portmap: ALL_LDFLAGS += -Wl,--as-needed
