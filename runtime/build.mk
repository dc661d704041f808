# cairn-runtime: an OCI runtime with runc's command line.
RUNTIME_SRCS := $(wildcard runtime/*.c)
$(eval $(call tool,cairn-runtime,$(RUNTIME_SRCS),jansson libseccomp libcap-ng))
# jansson, libseccomp and libcap-ng are linked in statically (libc stays
# shared, so NSS and the sanitizers work as usual).  create, run and exec
# execute the binary twice (the caller's exec, then the re-exec from the
# sealed copy, selfexe.c), and the dynamic loader's work for three more
# libraries was about 1 ms of each exec: the largest cost of a `run` that
# the runtime itself controls.  Overriding pkglibs for this one target
# replaces the template's `pkg-config --libs` output.
bin/cairn-runtime: runtime/build.mk
bin/cairn-runtime: private pkglibs = -l:libjansson.a -l:libseccomp.a -l:libcap-ng.a
