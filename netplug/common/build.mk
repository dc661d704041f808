# Code shared by the CNI plugins and cairn-net; each tool lists the files it
# uses.  Their headers are found without a path prefix.
$(O)/netplug/%.o: ALL_CFLAGS += -Inetplug/common
