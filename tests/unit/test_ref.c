/* Test vectors: distribution/reference's normalize_test.go and
 * reference_test.go cases, run through ParseNormalizedNamed + TagNameOnly
 * as docker does, plus docker's error texts. */
#include <string.h>

#include "mem.h"
#include "ref.h"
#include "unit.h"

#define H64 "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
#define DBCC "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define BUSY "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
#define F64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define F128 F64 F64
#define T64 "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
  const char *in, *full, *familiar;
} valid[] = {
    {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
    {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
    {"docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest"},
    {"library/debian", "docker.io/library/debian:latest", "debian:latest"},
    {"debian", "docker.io/library/debian:latest", "debian:latest"},
    {"docker.io/docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest"},
    {"docker.io/library/debian", "docker.io/library/debian:latest", "debian:latest"},
    {"docker.io/debian", "docker.io/library/debian:latest", "debian:latest"},
    {"index.docker.io/docker/docker", "docker.io/docker/docker:latest", "docker/docker:latest"},
    {"index.docker.io/library/debian", "docker.io/library/debian:latest", "debian:latest"},
    {"index.docker.io/debian", "docker.io/library/debian:latest", "debian:latest"},
    {"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest",
     "127.0.0.1:5000/docker/docker:latest"},
    {"127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest",
     "127.0.0.1:5000/library/debian:latest"},
    {"127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest", "127.0.0.1:5000/debian:latest"},
    {"192.168.0.1", "docker.io/library/192.168.0.1:latest", "192.168.0.1:latest"},
    {"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80"},
    {"192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", "192.168.0.1:8/debian:latest"},
    {"192.168.0.2:25000/debian", "192.168.0.2:25000/debian:latest",
     "192.168.0.2:25000/debian:latest"},
    {T64, "docker.io/library/" T64 ":latest", T64 ":latest"},
    {"[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest", "[fc00::1]:5000/docker:latest"},
    {"[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest",
     "[fc00::1]:5000/docker/docker:latest"},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
     "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"},
    {"[::1]:5000/repo", "[::1]:5000/repo:latest", "[::1]:5000/repo:latest"},
    {"[2001:db8::1]/repo", "[2001:db8::1]/repo:latest", "[2001:db8::1]/repo:latest"},
    {"[2001:db8::1]:5000/repo:tag@sha256:" F64, "[2001:db8::1]:5000/repo:tag@sha256:" F64,
     "[2001:db8::1]:5000/repo:tag@sha256:" F64},
    {"docker.io/" H64, "docker.io/library/" H64 ":latest", H64 ":latest"},
    {"Docker/docker", "Docker/docker:latest", "Docker/docker:latest"},
    {"DOCKER/docker", "DOCKER/docker:latest", "DOCKER/docker:latest"},
    {"docker-rules/docker", "docker.io/docker-rules/docker:latest", "docker-rules/docker:latest"},
    {"docker---rules/docker", "docker.io/docker---rules/docker:latest",
     "docker---rules/docker:latest"},
    {"doc/docker", "docker.io/doc/docker:latest", "doc/docker:latest"},
    {"d/docker", "docker.io/d/docker:latest", "d/docker:latest"},
    {"jess/t", "docker.io/jess/t:latest", "jess/t:latest"},
    {"dock__er/docker", "docker.io/dock__er/docker:latest", "dock__er/docker:latest"},
    {"fooo/bar", "docker.io/fooo/bar:latest", "fooo/bar:latest"},
    {"nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu:latest", "nonlibrary/ubuntu:latest"},
    {"other/library", "docker.io/other/library:latest", "other/library:latest"},
    {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase:latest",
     "127.0.0.1:8000/private/moonbase:latest"},
    {"example.com/privatebase", "example.com/privatebase:latest", "example.com/privatebase:latest"},
    {"example.com:8000/private/moonbase", "example.com:8000/private/moonbase:latest",
     "example.com:8000/private/moonbase:latest"},
    {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base:latest", "ubuntu-12.04-base:latest"},
    {"docker.io/library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar:latest"},
    {"store/foo/bar", "docker.io/store/foo/bar:latest", "store/foo/bar:latest"},
    {"Foo/bar", "Foo/bar:latest", "Foo/bar:latest"},
    {"localhost/x", "localhost/x:latest", "localhost/x:latest"},
    {"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"},
    {"localhost", "docker.io/library/localhost:latest", "localhost:latest"},
    {"test.com/foo", "test.com/foo:latest", "test.com/foo:latest"},
    {"test_com/foo", "docker.io/test_com/foo:latest", "test_com/foo:latest"},
    {"docker/migrator", "docker.io/docker/migrator:latest", "docker/migrator:latest"},
    {"test.com:8080/foo", "test.com:8080/foo:latest", "test.com:8080/foo:latest"},
    {"test-com:8080/foo", "test-com:8080/foo:latest", "test-com:8080/foo:latest"},
    {"xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest"},
    {"busybox:latest@sha256:" BUSY, "docker.io/library/busybox:latest@sha256:" BUSY,
     "busybox:latest@sha256:" BUSY},
    {"redis@sha256:" DBCC, "docker.io/library/redis@sha256:" DBCC, "redis@sha256:" DBCC},
    {"dmcgowan/myapp@sha256:" DBCC, "docker.io/dmcgowan/myapp@sha256:" DBCC,
     "dmcgowan/myapp@sha256:" DBCC},
    {"docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest", "mcgowan/myapp:latest"},
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
     "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest",
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest"},
    {"dbcc1", "docker.io/library/dbcc1:latest", "dbcc1:latest"},
    {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
    {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
     "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
    {"b.gcr.io/test.example.com/my-app:test.example.com",
     "b.gcr.io/test.example.com/my-app:test.example.com",
     "b.gcr.io/test.example.com/my-app:test.example.com"},
    {"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F128,
     "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F128,
     "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F128},
    {"foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"},
    {"foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"},
    /* a host-looking first component that is no valid host: docker keeps the
     * whole name as the path, with no domain */
    {"foo_bar.com/x", "foo_bar.com/x:latest", "foo_bar.com/x:latest"},
    {"x:" A64 A64, "docker.io/library/x:" A64 A64, "x:" A64 A64},
    {"x:_W.-", "docker.io/library/x:_W.-", "x:_W.-"},
    /* "library/" + 247 = 255 characters of path: the limit */
    {A64 A64 A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "docker.io/library/" A64 A64 A64
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:latest",
     A64 A64 A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:latest"},
};

#define FORMAT "invalid reference format"
#define TOO_LONG "repository name must not be more than 255 characters"

static const struct {
  const char *in, *err;
} invalid[] = {
    {"", FORMAT},
    {"https://github.com/docker/docker", FORMAT},
    {"docker/Docker",
     "invalid reference format: repository name (docker/Docker) must be lowercase"},
    {"Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"},
    {"Busybox:Latest",
     "invalid reference format: repository name (library/Busybox) must be lowercase"},
    {"docker.io/docker/Docker",
     "invalid reference format: repository name (docker/Docker) must be lowercase"},
    {"test:5000/Uppercase/lowercase:tag",
     "invalid reference format: repository name (Uppercase/lowercase) must be lowercase"},
    {"foo@SHA256:" F64,
     "invalid reference format: repository name (library/foo@SHA256) must be lowercase"},
    {"Foo_Bar/baz", "repository name must be lowercase"},
    {"-docker", FORMAT},
    {"-docker/docker", FORMAT},
    {"-docker.io/docker/docker", FORMAT},
    {"docker///docker", FORMAT},
    {"docker.io/docker///docker", FORMAT},
    {"[fc00::1]", FORMAT},
    {"[fc00::1]:5000", FORMAT},
    {"fc00::1:5000/debian", FORMAT},
    {"[fe80::1%eth0]:5000/debian", FORMAT},
    {"[2001:db8:3:4::192.0.2.33]:5000/debian", FORMAT},
    {H64, "invalid repository name (" H64 "), cannot specify 64-byte hexadecimal strings"},
    {"docker-/docker", FORMAT},
    {"-docker-/docker", FORMAT},
    {"____/____", FORMAT},
    {"_docker/_docker", FORMAT},
    {"dock..er/docker", FORMAT},
    {"dock_.er/docker", FORMAT},
    {"dock-.er/docker", FORMAT},
    {"dock___er/docker", FORMAT},
    {"docker/", FORMAT},
    {"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
     "namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_"
     "lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_"
     "255/docker",
     TOO_LONG},
    {A64 A64 A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", TOO_LONG},
    {"domain.com/" A64 A64 A64 A64, TOO_LONG},
    {":justtag", FORMAT},
    {"@sha256:" F64, FORMAT},
    {"repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length"},
    {"repo@sha256:" F64 "ff", "invalid checksum digest length"},
    {"repo@sha256:fffffffffffffffffffffffffffffff", FORMAT}, /* under 32 hex digits */
    {"repo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "invalid checksum digest format"},
    {"validname@invaliddigest:" F64, "unsupported digest algorithm"},
    {"docker.io/x:tag@SHA256:" F64, "invalid checksum digest format"},
    {"aa/asdf$$^/aa", FORMAT},
    {"busybox:", FORMAT},
    {"busybox:a:b", FORMAT},
    {"busybox:-tag", FORMAT},
    {"busybox@", FORMAT},
    {"busybox:tag@", FORMAT},
    {"x:" A64 A64 "a", FORMAT}, /* 129-character tag */
    {"a b", FORMAT},
    {"localhost/", FORMAT},
    {"/busybox", FORMAT},
    {"busybox/", FORMAT},
    {"bus\xc3\xa9ybox", FORMAT},
};

TEST(valid_table) {
  for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
    struct err *e = NULL;
    struct ref r;
    int rc = ref_parse(valid[i].in, &r, &e);
    CHECK(rc == 0);
    if (rc < 0) {
      fprintf(stderr, "  %s: %s\n", valid[i].in, e ? e->msg : "?");
      err_free(&e);
      continue;
    }
    cleanup_free char *full = ref_string(&r);
    cleanup_free char *fam = ref_familiar(&r);
    CHECK_STR(full, valid[i].full);
    CHECK_STR(fam, valid[i].familiar);
    cleanup_free char *norm = ref_normalize(valid[i].in, &e);
    CHECK_STR(norm, valid[i].full);
    /* normalizing is idempotent */
    struct ref again;
    CHECK(ref_parse(full, &again, &e) == 0);
    cleanup_free char *full2 = ref_string(&again);
    CHECK_STR(full2, valid[i].full);
    ref_free(&again);
    ref_free(&r);
    CHECK(e == NULL);
  }
}

TEST(invalid_table) {
  for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
    struct err *e = NULL;
    struct ref r;
    int rc = ref_parse(invalid[i].in, &r, &e);
    CHECK(rc == -1);
    if (rc == 0) {
      cleanup_free char *s = ref_string(&r);
      fprintf(stderr, "  '%s' parsed as %s\n", invalid[i].in, s);
      ref_free(&r);
      continue;
    }
    CHECK(e != NULL && e->code == ERR_USAGE);
    if (e != NULL && strcmp(e->msg, invalid[i].err) != 0)
      fprintf(stderr, "  input '%.60s'\n", invalid[i].in);
    CHECK_STR(e ? e->msg : NULL, invalid[i].err);
    CHECK(r.domain == NULL && r.path == NULL && r.tag == NULL && r.digest == NULL);
    err_free(&e);
    CHECK(ref_normalize(invalid[i].in, &e) == NULL && e != NULL);
    err_free(&e);
  }
}

TEST(fields) {
  struct err *e = NULL;
  struct ref r;
  CHECK(ref_parse("localhost:5000/team/app@sha256:" DBCC, &r, &e) == 0);
  CHECK_STR(r.domain, "localhost:5000");
  CHECK_STR(r.path, "team/app");
  CHECK(r.tag == NULL); /* a digest and no tag: no "latest" added */
  CHECK_STR(r.digest, "sha256:" DBCC);
  cleanup_free char *name = ref_name(&r);
  CHECK_STR(name, "localhost:5000/team/app");
  ref_free(&r);
  CHECK(ref_parse("busybox", &r, &e) == 0);
  CHECK_STR(r.domain, "docker.io");
  CHECK_STR(r.path, "library/busybox");
  CHECK_STR(r.tag, "latest");
  CHECK(r.digest == NULL);
  cleanup_free char *n2 = ref_name(&r);
  CHECK_STR(n2, "docker.io/library/busybox");
  ref_free(&r);
  ref_free(&r); /* twice is harmless */
  CHECK(ref_parse("foo_bar.com/x:1", &r, &e) == 0);
  CHECK_STR(r.domain, "");
  CHECK_STR(r.path, "foo_bar.com/x");
  cleanup_free char *n3 = ref_name(&r);
  CHECK_STR(n3, "foo_bar.com/x");
  ref_free(&r);
  CHECK(e == NULL);
}

int main(void) {
  RUN(valid_table);
  RUN(invalid_table);
  RUN(fields);
  return UNIT_DONE();
}
