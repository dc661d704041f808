# tests/builder/build.mk — the C unit tests of the Dockerfile parser, which
# link the parser's objects directly (the generic unit-test rule links
# libcairn only).  `make unit-tests` builds them.

DF_PARSER_OBJS := $(O)/builder/dockerfile.o $(O)/builder/instr.o $(O)/builder/words.o \
	$(O)/builder/ignore.o

define df_unit_test
$(O)/tests/test_$(1): $(O)/tests/unit/test_$(1).o $(DF_PARSER_OBJS) $(O)/libcairn.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(O)/libcairn.a $$(call pkglibs,$$(LIB_PKGS))
unit-tests: $(O)/tests/test_$(1)
endef
$(foreach t,dockerfile words dockerignore,$(eval $(call df_unit_test,$(t))))
