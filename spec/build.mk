# cairn-spec: image config + docker-run-like flags -> OCI config.json.
SPEC_SRCS := spec/main.c spec/config.c spec/image.c spec/namespaces.c spec/process.c \
             spec/user.c spec/security.c spec/seccomp.c spec/seccomp_data.c spec/mounts.c \
             spec/resources.c
$(eval $(call tool,cairn-spec,$(SPEC_SRCS),jansson))
# cairn-spec runs on every `cairn run`: linking jansson statically saves the
# loader a shared library (a third of its run time, 0.4 ms here).  The
# archive comes whole before the objects; the later -ljansson is then
# unused and --as-needed drops it.
bin/cairn-spec: private LDFLAGS += -Wl,--as-needed -Wl,--whole-archive -l:libjansson.a -Wl,--no-whole-archive

# The profile is embedded with .incbin (which the compiler's dependency
# output does not see), in the compact form seccomp_min makes of it; the
# file itself is installed as data.
$(O)/spec/seccomp_min: $(O)/spec/tools/seccomp_min.o
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call pkglibs,jansson)
$(O)/spec/seccomp.min.json: spec/seccomp.json $(O)/spec/seccomp_min
	$(O)/spec/seccomp_min <spec/seccomp.json >$@.tmp && mv $@.tmp $@
$(O)/spec/seccomp_data.o: $(O)/spec/seccomp.min.json
$(O)/spec/seccomp_data.o: private CFLAGS += -DSECCOMP_BLOB='"$(O)/spec/seccomp.min.json"'
DATA += spec/seccomp.json

# cairn-init: a static pid 1 for --init, with no libcairn and no shared
# libraries so it runs inside any image.  Never sanitized: ASan cannot
# link statically and has no place in another image's pid 1.
INIT_CFLAGS := -std=gnu17 -O2 -g -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong $(WARN)
TOOLS += bin/cairn-init
bin/cairn-init: spec/init/init.c $(FLAGS_STAMP)
	@mkdir -p bin
	$(CC) $(INIT_CFLAGS) -static -o $@ $<
