# cairn-loopback: the CNI loopback plugin.
ALL_PKGS += libmnl
CNI_PLUGINS += bin/cairn-loopback
$(eval $(call tool,cairn-loopback,netplug/loopback/main.c netplug/loopback/loopback.c netplug/common/cni.c netplug/common/addr.c netplug/common/netns.c netplug/common/nl.c netplug/common/detach.c,libmnl jansson))
bin/cairn-loopback: ALL_LDFLAGS += -Wl,--as-needed
