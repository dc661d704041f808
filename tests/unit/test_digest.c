#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fs.h"
#include "mem.h"
#include "unit.h"

#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-2's two-block message */
#define TWO_BLOCK "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
/* one million 'a' */
#define MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char tmpdir[] = "/tmp/cairn-unit-digest.XXXXXX";

TEST(buf_vectors) {
  char out[DIGEST_STR_LEN + 1];
  sha256_buf("", 0, out);
  CHECK_STR(out, EMPTY);
  sha256_buf("abc", 3, out);
  CHECK_STR(out, ABC);
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha256_buf(m, strlen(m), out);
  CHECK_STR(out, TWO_BLOCK);
}

TEST(network_default_id) {
  /* printf 'cairn network cairn' | sha256sum */
  cleanup_free char *id = network_default_id("cairn");
  CHECK_STR(id, "a01b0f6a8a387a03bebd3ba32af44b2dd1063d28dd81d16e46467dc816978630");
}

TEST(streaming_equals_whole) {
  char out[DIGEST_STR_LEN + 1];
  struct sha256_ctx *c = sha256_new();
  char chunk[1000];
  memset(chunk, 'a', sizeof(chunk));
  for (int i = 0; i < 1000; i++)
    sha256_update(c, chunk, sizeof(chunk));
  sha256_final(c, out);
  CHECK_STR(out, MILLION_A);
  /* abandoning a context is fine */
  struct sha256_ctx *d = sha256_new();
  sha256_update(d, "x", 1);
  sha256_free(d);
  sha256_free(NULL);
}

TEST(file_and_fd) {
  struct err *e = NULL;
  char out[DIGEST_STR_LEN + 1];
  cleanup_free char *p = path_join(tmpdir, "blob");
  CHECK(write_file_atomic(p, "abc", 3, 0644, &e) == 0);
  CHECK(sha256_file(p, out, &e) == 0);
  CHECK_STR(out, ABC);
  /* a big file crosses the read buffer */
  cleanup_free char *big = xmalloc(1000000);
  memset(big, 'a', 1000000);
  cleanup_free char *bp = path_join(tmpdir, "big");
  CHECK(write_file_atomic(bp, big, 1000000, 0644, &e) == 0);
  CHECK(sha256_file(bp, out, &e) == 0);
  CHECK_STR(out, MILLION_A);
  /* from the fd's current offset */
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  CHECK(lseek(fd, 3, SEEK_SET) == 3);
  CHECK(sha256_fd(fd, out, &e) == 0);
  CHECK_STR(out, EMPTY);
  close(fd);
  CHECK(sha256_file("/nonexistent/blob", out, &e) == -1);
  if (e)
    CHECK_STR(e->msg, "open '/nonexistent/blob': No such file or directory");
  err_free(&e);
  /* a directory cannot be read */
  CHECK(sha256_file(tmpdir, out, &e) == -1);
  CHECK(e != NULL && strstr(e->msg, "Is a directory") != NULL);
  err_free(&e);
}

TEST(valid) {
  CHECK(digest_valid(EMPTY));
  CHECK(!digest_valid(NULL));
  CHECK(!digest_valid(""));
  CHECK(!digest_valid("sha256:"));
  CHECK(!digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  CHECK(!digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
  CHECK(!digest_valid(EMPTY "0"));
  CHECK(!digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK(!digest_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK(!digest_valid("sha256:../../../../etc/passwd000000000000000000000000000000000000000"));
  CHECK_STR(digest_hex(EMPTY), EMPTY + 7);
}

int main(void) {
  if (mkdtemp(tmpdir) == NULL)
    return 2;
  RUN(buf_vectors);
  RUN(network_default_id);
  RUN(streaming_equals_whole);
  RUN(file_and_fd);
  RUN(valid);
  struct err *e = NULL;
  rm_rf(tmpdir, &e);
  err_free(&e);
  return UNIT_DONE();
}
