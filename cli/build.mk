# cairn: the docker-compatible CLI (composes the other tools by exec).
CLI_SRCS := $(wildcard cli/*.c)
$(eval $(call tool,cairn,$(CLI_SRCS),jansson))

# bash completion (cli/completion.bash asks cairn for its commands and flags)
.PHONY: install-completion
install: install-completion
install-completion: all
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 cli/completion.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cairn
