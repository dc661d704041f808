# cairn-bridge: the CNI bridge plugin.
ALL_PKGS += libmnl libnftables
CNI_PLUGINS += bin/cairn-bridge
$(eval $(call tool,cairn-bridge,netplug/bridge/main.c netplug/bridge/check.c netplug/common/cni.c netplug/common/addr.c netplug/common/netns.c netplug/common/nl.c netplug/common/invoke.c netplug/common/nft.c,libmnl libnftables jansson))
