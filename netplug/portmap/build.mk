# cairn-portmap: the CNI portmap plugin, on nftables.
ALL_PKGS += libmnl libnftables
CNI_PLUGINS += bin/cairn-portmap
$(eval $(call tool,cairn-portmap,netplug/portmap/main.c netplug/common/cni.c netplug/common/addr.c netplug/common/netns.c netplug/common/nl.c netplug/common/nft.c,libmnl libnftables jansson))
