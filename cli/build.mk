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

# man pages: cairn.1 and one per command (cairn-run.1, cairn-network-create.1,
# as docker names them), made by cli/mkman.sh from cairn's own --help, so
# they cannot drift from the flags.
.PHONY: man install-man
man: $(O)/man/cairn.1
$(O)/man/cairn.1: bin/cairn cli/mkman.sh
	@rm -rf $(O)/man
	cli/mkman.sh bin/cairn $(O)/man
install: install-man
install-man: man
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(O)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
