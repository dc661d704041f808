#!/bin/bash
# make-layers.sh DIR OUTSIDE — write a corpus of crafted layer tarballs into
# DIR, one per case (DIR/<case>.tar), for the hardening tests.  OUTSIDE is an
# absolute path outside any layer dir: the hostile layers aim at it, and
# the tests check that nothing appears there.
#
# Hostile:   dotdot, absolute, symlink-escape, symlink-abs-escape,
#            hardlink-dotdot, hardlink-abs, hardlink-via-symlink, file-as-dir,
#            device, bomb (32 MB of zeros), overlay-xattrs
# Legit:     base (a few files), lower-target + hardlink-lower, duplicates,
#            setuid, xattrs, fifo, devices, long-names, non-utf8, whiteouts
#            (over base), opaque (over base)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: make-layers.sh DIR OUTSIDE" >&2; exit 2; }
mkdir -p "$1"
exec python3 - "$1" "$2" <<'PY'
import io, os, sys, tarfile

out, outside = sys.argv[1], sys.argv[2]
rel_outside = "../" * 30 + outside.lstrip("/")


def entry(name, kind=tarfile.REGTYPE, data=b"", **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mtime = 1700000000
    t.mode = kw.pop("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
    t.size = len(data) if kind == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(t, k, v)
    return t, data


def write(case, entries, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(os.path.join(out, case + ".tar"), "w", format=fmt) as tar:
        for t, data in entries:
            tar.addfile(t, io.BytesIO(data) if t.type == tarfile.REGTYPE else None)


D, R, S, L = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE

# --- hostile -----------------------------------------------------------
write("dotdot", [entry("etc/", D), entry(rel_outside, R, b"pwned\n")])
write("absolute", [entry(outside, R, b"pwned\n")])
write("symlink-escape", [entry("escape", S, linkname=os.path.dirname(rel_outside)),
                         entry("escape/" + os.path.basename(outside), R, b"pwned\n")])
write("symlink-abs-escape", [entry("escape", S, linkname=os.path.dirname(outside)),
                             entry("escape/" + os.path.basename(outside), R, b"pwned\n")])
write("hardlink-dotdot", [entry("hl", L, linkname=rel_outside)])
write("hardlink-abs", [entry("hl", L, linkname=outside)])
write("hardlink-via-symlink", [entry("escape", S, linkname=os.path.dirname(outside)),
                               entry("hl", L, linkname="escape/" + os.path.basename(outside))])
write("file-as-dir", [entry("a", R, b"file\n"), entry("a/b", R, b"under a file\n")])
write("device", [entry("dev/", D), entry("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)])
write("overlay-xattrs", [entry("d/", D, pax_headers={
    "SCHILY.xattr.trusted.overlay.opaque": "y",
    "SCHILY.xattr.trusted.overlay.redirect": "/etc",
    "SCHILY.xattr.user.overlay.origin": "x",
    "SCHILY.xattr.user.kept": "yes"}),
    entry("d/f", R, b"f\n", pax_headers={"SCHILY.xattr.trusted.overlay.metacopy": ""})])
# 32 MB of zeros: compresses to about 32 kB.
with tarfile.open(os.path.join(out, "bomb.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
    t = tarfile.TarInfo("zeros")
    t.size = 32 << 20

    class Zeros(io.RawIOBase):
        left = t.size

        def readinto(self, b):
            n = min(len(b), self.left)
            b[:n] = bytes(n)
            self.left -= n
            return n
    tar.addfile(t, Zeros())

# --- legitimate oddities -------------------------------------------------
write("base", [entry("etc/", D), entry("etc/keep", R, b"keep\n"),
               entry("etc/gone", R, b"gone\n"), entry("opq/", D),
               entry("opq/old", R, b"old\n"), entry("lib/", D),
               entry("lib/target", R, b"from the lower layer\n", mode=0o640, uid=7, gid=8)])
write("hardlink-lower", [entry("bin/", D), entry("bin/link", L, linkname="lib/target")])
write("duplicates", [entry("f", R, b"first\n"), entry("f", R, b"second\n"),
                     entry("d", R, b"a file first\n"), entry("d/", D),
                     entry("d/x", R, b"x\n")])
write("setuid", [entry("su", R, b"#!/bin/sh\n", mode=0o4755, uid=0, gid=0),
                 entry("sg", R, b"#!/bin/sh\n", mode=0o2755, uid=0, gid=50),
                 entry("tmp/", D, mode=0o1777)])
write("xattrs", [entry("x", R, b"x\n", pax_headers={"SCHILY.xattr.user.color": "blue",
                                                     "SCHILY.xattr.security.capability":
                                                     "\x01\x00\x00\x02\x00\x20\x00\x00"
                                                     "\x00\x00\x00\x00\x00\x00\x00\x00"
                                                     "\x00\x00\x00\x00"})])
write("fifo", [entry("pipe", tarfile.FIFOTYPE, mode=0o600)])
write("devices", [entry("dev/", D),
                  entry("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
                  entry("dev/loop9", tarfile.BLKTYPE, devmajor=7, devminor=9, mode=0o660)])
long = "n" * 200
deep = "/".join(["d" * 100] * 45)  # 4.5 kB: more than PATH_MAX
write("long-names", [entry(long, R, b"long\n"), entry(deep + "/", D),
                     entry(deep + "/f", R, b"deep\n")])
with tarfile.open(os.path.join(out, "non-utf8.tar"), "w", format=tarfile.GNU_FORMAT,
                  encoding="utf-8", errors="surrogateescape") as tar:
    t, _ = entry("caf\udce9", R, b"latin-1 name\n")  # b"caf\xe9"
    t.size = 13
    tar.addfile(t, io.BytesIO(b"latin-1 name\n"))
write("whiteouts", [entry("etc/", D), entry("etc/.wh.gone", R),
                    entry("opq/", D), entry("opq/.wh..wh..opq", R),
                    entry("opq/new", R, b"new\n")])
PY
