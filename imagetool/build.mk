# cairn-image: registry client, OCI image store, layers, unpack, commit.
IMAGETOOL_SRCS := $(wildcard imagetool/*.c)
$(eval $(call tool,cairn-image,$(IMAGETOOL_SRCS),libcurl libarchive jansson libcrypto))
