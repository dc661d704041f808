/* seccomp_data.c — spec/seccomp.json embedded in the binary, NUL-terminated,
 * so that cairn-spec needs no data file at run time (the file itself is
 * installed under PREFIX/share/cairn for people and other tools to read).
 * SECCOMP_BLOB is its compact copy made by spec/tools/seccomp_min.c, a path
 * relative to the top of the tree, where make runs the compiler; see
 * spec/build.mk. */
#ifndef SECCOMP_BLOB
#define SECCOMP_BLOB "spec/seccomp.json"
#endif
__asm__(".section .rodata\n"
        ".global cairn_seccomp_json\n"
        ".type cairn_seccomp_json, @object\n"
        ".balign 16\n"
        "cairn_seccomp_json:\n"
        ".incbin \"" SECCOMP_BLOB "\"\n"
        ".byte 0\n"
        ".size cairn_seccomp_json, . - cairn_seccomp_json\n"
        ".previous\n");
