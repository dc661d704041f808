#!/usr/bin/env python3
"""mkimage.py — build an image archive from layer tarballs, by hand, so that
tests control every byte (including the broken ones).

  mkimage.py OUT --layer TAR[:gzip|:zstd|:none] ... [options]

OUT is an OCI archive (default) or, with --docker, a docker-archive.
Options that break the image on purpose:
  --ref NAME            org.opencontainers.image.ref.name / RepoTags (default
                        docker.io/library/test:latest)
  --bad-layer-digest N  the manifest names a wrong digest for layer N (0-based)
  --bad-diffid N        the config lists a wrong diff_id for layer N
  --corrupt-layer N     layer N's blob has one byte changed (its name stays)
Compression "gzip-truncated" stores the first half of the gzip stream.
  --size-delta D        add D to every layer's size in the manifest
  --manifest-raw TEXT   the manifest blob is TEXT (not JSON, say)
  --media-type MT       the manifest's mediaType (field and descriptor)
  --index OS/ARCH[,OS/ARCH…]  an image index with one manifest per platform (the
                        same layers, each config naming its architecture)
  --layout DIR          also (or instead, with OUT '-') write an OCI layout
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_MT = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def compress(raw, how):
    if how == "none":
        return raw
    if how == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0)
    if how == "gzip-truncated":
        z = gzip.compress(raw, compresslevel=6, mtime=0)
        return z[: len(z) // 2]
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE,
                              check=True).stdout
    sys.exit("mkimage: unknown compression " + how)


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--ref", default="docker.io/library/test:latest")
    p.add_argument("--docker", action="store_true")
    p.add_argument("--bad-layer-digest", type=int, default=-1)
    p.add_argument("--bad-diffid", type=int, default=-1)
    p.add_argument("--corrupt-layer", type=int, default=-1)
    p.add_argument("--size-delta", type=int, default=0)
    p.add_argument("--manifest-raw")
    p.add_argument("--media-type", default=OCI_MANIFEST)
    p.add_argument("--index")
    p.add_argument("--layout")
    p.add_argument("--cmd", default="sh")
    a = p.parse_args()

    blobs = {}
    layers, diffids = [], []
    for i, spec in enumerate(a.layer):
        path, _, how = spec.partition(":")
        how = how or "gzip"
        raw = open(path, "rb").read()
        comp = compress(raw, how)
        d = sha(comp)
        blobs[d] = comp
        if i == a.corrupt_layer:
            blobs[d] = comp[:-1] + bytes([comp[-1] ^ 0xFF])
        diffids.append(sha(b"x") if i == a.bad_diffid else sha(raw))
        if i == a.bad_layer_digest:
            d = sha(b"not this layer")
        layers.append({"mediaType": LAYER_MT[how.split("-")[0]], "digest": d, "size": len(comp) + a.size_delta})
    def image(os_, arch):
        config = {
            "created": "2024-01-01T00:00:00Z",
            "architecture": arch,
            "os": os_,
            "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": [a.cmd]},
            "rootfs": {"type": "layers", "diff_ids": diffids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "mkimage layer %d" % i}
                        for i in range(len(layers))],
        }
        cfg = json.dumps(config, separators=(",", ":")).encode()
        blobs[sha(cfg)] = cfg
        manifest = {"schemaVersion": 2, "mediaType": a.media_type,
                    "config": {"mediaType": OCI_CONFIG, "digest": sha(cfg), "size": len(cfg)},
                    "layers": layers}
        man = (a.manifest_raw.encode() if a.manifest_raw is not None
               else json.dumps(manifest, separators=(",", ":")).encode())
        blobs[sha(man)] = man
        return {"mediaType": a.media_type, "digest": sha(man), "size": len(man)}, cfg

    if a.index:
        entries = []
        for plat in a.index.split(","):
            os_, arch = plat.split("/")
            d, cfg = image(os_, arch)
            d["platform"] = {"os": os_, "architecture": arch}
            entries.append(d)
        idx = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries},
                         separators=(",", ":")).encode()
        blobs[sha(idx)] = idx
        top = {"mediaType": OCI_INDEX, "digest": sha(idx), "size": len(idx)}
    else:
        top, cfg = image("linux", "amd64")
    top["annotations"] = {"org.opencontainers.image.ref.name": a.ref}
    index = json.dumps({"schemaVersion": 2, "manifests": [top]}).encode()
    layout = b'{"imageLayoutVersion":"1.0.0"}'

    if a.layout:
        os.makedirs(a.layout + "/blobs/sha256", exist_ok=True)
        for d, b in blobs.items():
            open(a.layout + "/blobs/sha256/" + d[7:], "wb").write(b)
        open(a.layout + "/index.json", "wb").write(index)
        open(a.layout + "/oci-layout", "wb").write(layout)
    if a.out == "-":
        return
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tar:
        if a.docker:
            add(tar, cfg_name := sha(cfg)[7:] + ".json", cfg)
            names = []
            for i, l in enumerate(layers):
                n = "%d/layer.tar" % i
                add(tar, n, blobs[l["digest"]] if l["digest"] in blobs else b"garbage")
                names.append(n)
            add(tar, "manifest.json", json.dumps(
                [{"Config": cfg_name, "RepoTags": [a.ref], "Layers": names}]).encode())
        else:
            add(tar, "oci-layout", layout)
            add(tar, "index.json", index)
            for d, b in blobs.items():
                add(tar, "blobs/sha256/" + d[7:], b)


if __name__ == "__main__":
    main()
