/* seccomp_data.c — spec/seccomp.json embedded in the binary, NUL-terminated,
 * so that cairn-spec needs no data file at run time (the same file is also
 * installed under PREFIX/share/cairn for people and other tools to read).
 * The path is relative to the top of the tree, where make runs the compiler;
 * spec/build.mk makes this object depend on the JSON file. */
__asm__(".section .rodata\n"
        ".global cairn_seccomp_json\n"
        ".type cairn_seccomp_json, @object\n"
        ".balign 16\n"
        "cairn_seccomp_json:\n"
        ".incbin \"spec/seccomp.json\"\n"
        ".byte 0\n"
        ".size cairn_seccomp_json, . - cairn_seccomp_json\n"
        ".previous\n");
