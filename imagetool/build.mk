# cairn-image: registry client, OCI image store, layers, unpack, commit.
# libcurl and libarchive are compiled against but loaded at first use
# (imagetool/dl.c), so that commands that need neither start fast.
IMAGETOOL_SRCS := $(wildcard imagetool/*.c)
ALL_PKGS += libcurl libarchive
$(eval $(call tool,cairn-image,$(IMAGETOOL_SRCS),jansson libcrypto))
# The tool runs on every `cairn run` (unpack): shared libcrypto alone costs
# its loader ~1.5 ms (relocating 4.7 MB), and jansson a little more, while
# all it uses of libcrypto is SHA-256 and base64.  So both come from their
# static archives: -u names the libcrypto symbols so that the archive,
# scanned before the objects, contributes just those members (and what
# they need).  The later -ljansson -lcrypto are then unused and
# --as-needed drops them.  libcurl, loaded later (dl.c), brings its own
# shared libcrypto; ours is not exported, so the two never mix.
IMAGETOOL_CRYPTO_SYMS := SHA256_Init SHA256_Update SHA256_Final EVP_EncodeBlock EVP_DecodeBlock
bin/cairn-image: private LDFLAGS += -Wl,--as-needed \
  $(foreach s,$(IMAGETOOL_CRYPTO_SYMS),-Wl,-u,$(s)) -l:libcrypto.a \
  -Wl,--whole-archive -l:libjansson.a -Wl,--no-whole-archive
