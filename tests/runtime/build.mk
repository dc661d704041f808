# tests/runtime/build.mk — the cgroup module's test driver (build/tests/cgtool)
# and its C unit test, which link the runtime's cgroup objects directly.
# `make unit-tests` (and so `make check`) builds both.

CGTOOL_CG_SRCS := $(filter-out runtime/cgroup_stub.c,$(wildcard runtime/cgroup*.c))
CGTOOL_CG_OBJS := $(CGTOOL_CG_SRCS:%.c=$(O)/%.o)

$(O)/tests/cgtool: $(O)/tests/runtime/cgtool.o $(CGTOOL_CG_OBJS) $(O)/libcairn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(O)/libcairn.a $(call pkglibs,$(LIB_PKGS))

# An explicit rule: the generic unit-test rule links libcairn only.
$(O)/tests/test_cgroup_v2: $(O)/tests/unit/test_cgroup_v2.o $(CGTOOL_CG_OBJS) $(O)/libcairn.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(O)/libcairn.a $(call pkglibs,$(LIB_PKGS))

unit-tests: $(O)/tests/cgtool
