# cairn-image: registry client, OCI image store, layers, unpack, commit.
# libcurl and libarchive are compiled against but loaded at first use
# (imagetool/dl.c), so that commands that need neither start fast.
IMAGETOOL_SRCS := $(wildcard imagetool/*.c)
ALL_PKGS += libcurl libarchive
$(eval $(call tool,cairn-image,$(IMAGETOOL_SRCS),jansson libcrypto))
# The tool runs on every `cairn run` (unpack), so libcrypto and jansson
# are linked statically (STATIC_CORE_LDFLAGS in the Makefile).  libcurl,
# loaded later (dl.c), brings its own shared libcrypto; ours is not
# exported, so the two never mix.
bin/cairn-image: private LDFLAGS += $(STATIC_CORE_LDFLAGS)
