# cairn-image: registry client, OCI image store, layers, unpack, commit.
# libcurl and libarchive are compiled against but loaded at first use
# (imagetool/dl.c), so that commands that need neither start fast.
IMAGETOOL_SRCS := $(wildcard imagetool/*.c)
ALL_PKGS += libcurl libarchive
$(eval $(call tool,cairn-image,$(IMAGETOOL_SRCS),jansson libcrypto))
