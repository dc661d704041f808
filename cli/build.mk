# cairn: the docker-compatible CLI (composes the other tools by exec).
CLI_SRCS := $(wildcard cli/*.c)
$(eval $(call tool,cairn,$(CLI_SRCS),jansson))
