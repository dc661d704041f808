# cairn-ipam: the CNI IPAM plugin with host-local's semantics.
CNI_PLUGINS += bin/cairn-ipam
$(eval $(call tool,cairn-ipam,netplug/ipam/main.c netplug/ipam/config.c netplug/ipam/store.c netplug/common/cni.c netplug/common/addr.c,jansson))
