# cairn-runtime: an OCI runtime with runc's command line.
RUNTIME_SRCS := $(wildcard runtime/*.c)
$(eval $(call tool,cairn-runtime,$(RUNTIME_SRCS),jansson libseccomp libcap-ng))
# jansson, libseccomp and libcap-ng are linked in statically, and so is
# libc (below): the dynamic loader's work was the largest cost of a `run`
# that the runtime itself controls.  Overriding pkglibs for this one
# target replaces the template's `pkg-config --libs` output.
bin/cairn-runtime: runtime/build.mk
bin/cairn-runtime: private pkglibs = -l:libjansson.a -l:libseccomp.a -l:libcap-ng.a
# The binary is a static PIE (libc too): with no loader and no shared libc
# to relocate, each start saves ~0.2 ms of CPU and ~0.8 ms of a run's wall
# time here.  Nothing in the runtime needs NSS (list reads /etc/passwd
# itself); nss_static.c stands in for the two NSS calls libcap-ng's unused
# capng_change_id makes, so that glibc's (and the linker's warning about
# them) stay out.  Sanitizer builds stay dynamic (ASan cannot link
# statically).
ifneq ($(SANITIZE),1)
bin/cairn-runtime: private LDFLAGS += -static-pie
$(O)/runtime/nss_static.o: private CFLAGS += -DCAIRN_STATIC_RUNTIME
endif

# The exec helper (runtime/helper/exec_helper.c, see runtime/exechelper.h):
# a static program without libc, embedded in cairn-runtime with .incbin
# (which the compiler's dependency output does not see).  Never sanitized
# (no libc for ASan to hook) and x86_64 only; elsewhere exechelper.c
# compiles without it and the runtime re-executes itself as before.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine)),)
EXEC_HELPER_FLAGS := -std=gnu17 -Os $(WARN) -static -nostdlib -ffreestanding -fno-pie -no-pie \
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
  -fcf-protection=none -Wl,--build-id=none -Wl,-n -s
$(O)/runtime/exec_helper: runtime/helper/exec_helper.c runtime/build.mk
	@mkdir -p $(dir $@)
	$(CC) $(EXEC_HELPER_FLAGS) -o $@ $<
$(O)/runtime/exechelper.o: $(O)/runtime/exec_helper
$(O)/runtime/exechelper.o: private CFLAGS += -DEXEC_HELPER_BIN='"$(O)/runtime/exec_helper"'
endif
