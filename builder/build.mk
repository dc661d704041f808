# cairn-build: the Dockerfile builder (parser, executor, cache).
$(eval $(call tool,cairn-build,$(wildcard builder/*.c),jansson libcurl libarchive))
