# cairn: the docker-compatible CLI (composes the other tools by exec).
CLI_SRCS := $(wildcard cli/*.c)
$(eval $(call tool,cairn,$(CLI_SRCS),jansson))
# cairn runs twice per `cairn run` (the command, then the shim's on-exit
# cleanup): static libcrypto and jansson, as for cairn-image.
bin/cairn: private LDFLAGS += $(STATIC_CORE_LDFLAGS)

# bash completion (cli/completion.bash asks cairn for its commands and flags)
.PHONY: install-completion
install: install-completion
install-completion: all
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 cli/completion.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cairn
