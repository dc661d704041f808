/* output.c — --output type=oci: the image as an OCI image layout in a tar
 * (what `skopeo copy … oci-archive:` and `podman load` read).  The blobs
 * come from the store, which is itself an OCI image layout. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fs.h"
#include "json.h"
#include "mem.h"
#include "ref.h"

static int add_bytes(struct archive *a, const char *name, const void *buf, size_t len,
                     long long epoch, struct err **e) {
  struct archive_entry *ent = archive_entry_new();
  archive_entry_set_pathname(ent, name);
  archive_entry_set_filetype(ent, AE_IFREG);
  archive_entry_set_perm(ent, 0644);
  archive_entry_set_size(ent, (la_int64_t)len);
  archive_entry_set_mtime(ent, (time_t)epoch, 0);
  int r = archive_write_header(a, ent) != ARCHIVE_OK ||
                  (len > 0 && archive_write_data(a, buf, len) != (la_ssize_t)len)
              ? err_set(e, 0, "write '%s': %s", name, archive_error_string(a))
              : 0;
  archive_entry_free(ent);
  return r;
}

static int add_blob(struct build *b, struct archive *a, const char *digest, struct err **e) {
  if (!digest_valid(digest))
    return err_set(e, 0, "bad digest '%s' in the manifest", digest);
  cleanup_free char *p = xasprintf("%s/store/blobs/sha256/%s", b->o->root, digest_hex(digest));
  cleanup_free char *name = xasprintf("blobs/sha256/%s", digest_hex(digest));
  size_t len;
  cleanup_free char *buf = read_file(p, (size_t)8 << 30, &len, e);
  if (buf == NULL)
    return -1;
  return add_bytes(a, name, buf, len, b->o->epoch, e);
}

int oci_archive(struct build *b, const struct bimage *img, const char *tag, const char *dest,
                struct err **e) {
  cleanup_free char *mp = xasprintf("%s/store/blobs/sha256/%s", b->o->root, digest_hex(img->ref));
  size_t mlen;
  cleanup_free char *mtext = read_file(mp, 0, &mlen, e);
  if (mtext == NULL)
    return -1;
  cleanup_json json_t *man = json_load_str(mtext, "manifest", e);
  if (man == NULL)
    return -1;
  cleanup_json json_t *desc =
      json_pack("{s:s,s:s,s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                "digest", img->ref, "size", (json_int_t)mlen);
  if (tag != NULL) {
    cleanup_free char *full = ref_normalize(tag, e);
    if (full == NULL)
      return -1;
    json_object_set_new(desc, "annotations",
                        json_pack("{s:s}", "org.opencontainers.image.ref.name", full));
  }
  cleanup_json json_t *index =
      json_pack("{s:i,s:s,s:[O]}", "schemaVersion", 2, "mediaType",
                "application/vnd.oci.image.index.v1+json", "manifests", desc);
  cleanup_free char *itext = json_dumps(index, JSON_COMPACT);
  cleanup_free char *tmp = xasprintf("%s.tmp", dest);
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  int r = 0;
  if (archive_write_open_filename(a, tmp) != ARCHIVE_OK)
    r = err_set(e, 0, "create '%s': %s", tmp, archive_error_string(a));
  const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (r == 0)
    r = add_bytes(a, "oci-layout", layout, strlen(layout), b->o->epoch, e);
  if (r == 0)
    r = add_bytes(a, "index.json", itext, strlen(itext), b->o->epoch, e);
  if (r == 0)
    r = add_blob(b, a, img->ref, e);
  const char *cd = json_get_str(json_get_obj(man, "config"), "digest");
  if (r == 0)
    r = add_blob(b, a, cd ? cd : "", e);
  size_t i;
  json_t *l;
  json_array_foreach(json_get_arr(man, "layers"), i, l) {
    const char *d = json_get_str(l, "digest");
    if (r == 0)
      r = add_blob(b, a, d ? d : "", e);
  }
  if (archive_write_close(a) != ARCHIVE_OK && r == 0)
    r = err_set(e, 0, "write '%s': %s", tmp, archive_error_string(a));
  archive_write_free(a);
  if (r == 0 && rename(tmp, dest) < 0)
    r = err_set(e, errno, "rename to '%s'", dest);
  if (r < 0)
    unlink(tmp);
  return r;
}
