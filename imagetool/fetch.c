#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fs.h"
#include "layer.h"
#include "mem.h"

#define MAX_RETRIES 3
#define ERRBODY_MAX 65536

enum state { QUEUED, ACTIVE, DOWNLOADED, DONE };

struct job {
  size_t i;
  const struct layer_desc *l;
  char id[13]; /* short id for progress: blob digest hex, 12 chars */
  int need_blob, need_extract;
  int dup_of; /* -1, or the job that brings the same blob */
  enum state st;
  /* the blob file: temp (downloading) or the store's (local extraction) */
  char *path;
  int fd;
  int partial; /* path is the resumable tmp/blob-<hex>.partial we hold locked */
  struct sha256_ctx *sha;
  uint64_t got;
  int retries;
  int reauths;         /* credentials renewed for this layer after a 401 */
  unsigned auth_gen;   /* the registry's auth_gen this transfer went out with */
  uint64_t range_from; /* this transfer asked for bytes from here on */
  int first_data;      /* no byte of this transfer's body seen yet */
  int bad;             /* its bytes or content were proven wrong: no resuming them */
  CURL *easy;
  struct curl_slist *hdrs;
  long status;
  char *errbody;
  size_t errlen;
  int too_big;
  char curl_err[CURL_ERROR_SIZE];
  /* shared with the extraction thread */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t avail;
  int eof, abort;
  uint64_t rpos; /* the thread's read position */
  pthread_t th;
  int th_started, th_done, th_joined;
  struct layer_tmp *tmp;
  struct err *th_err;
  /* back pointers */
  struct fetch *f;
};

struct fetch {
  const struct store *s;
  struct registry *r;
  const struct image *img;
  const struct fetch_opts *o;
  CURLM *multi;
  struct job *jobs;
  size_t n;
  int active;
};

static void job_progress(struct job *j, const char *status, uint64_t cur, uint64_t total) {
  progress_item(j->f->o->progress, j->id, status, cur, total);
}

/* --- the extraction thread ------------------------------------------------ */

static ssize_t grow_read(void *arg, void *buf, size_t len, struct err **e) {
  struct job *j = arg;
  pthread_mutex_lock(&j->mu);
  while (j->rpos >= j->avail && !j->eof && !j->abort)
    pthread_cond_wait(&j->cv, &j->mu);
  int abort_ = j->abort;
  uint64_t avail = j->avail;
  pthread_mutex_unlock(&j->mu);
  if (abort_)
    return err_set(e, 0, "cancelled");
  if (j->rpos >= avail)
    return 0;
  size_t want = len < avail - j->rpos ? len : (size_t)(avail - j->rpos);
  ssize_t n;
  do
    n = pread(j->fd, buf, want, (off_t)j->rpos);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return err_set(e, errno, "read '%s'", j->path);
  if (n == 0)
    return err_set(e, EIO, "read '%s': file shorter than written", j->path);
  __atomic_store_n(&j->rpos, j->rpos + (uint64_t)n, __ATOMIC_RELAXED);
  return n;
}

static void *extract_main(void *arg) {
  struct job *j = arg;
  struct layer_src src = {grow_read, j};
  struct layer_opts o = {.diffid = j->l->diffid, .max_size = j->f->o->max_size};
  j->tmp = layer_extract(j->f->s, &src, &o, &j->th_err);
  __atomic_store_n(&j->th_done, 1, __ATOMIC_RELEASE);
  if (j->f->multi != NULL)
    curl_multi_wakeup(j->f->multi);
  return NULL;
}

static void start_extract(struct job *j) {
  j->rpos = 0;
  j->th_done = j->th_joined = 0;
  if (pthread_create(&j->th, NULL, extract_main, j) != 0)
    abort(); /* out of resources: treated like out of memory */
  j->th_started = 1;
}

static void stop_extract(struct job *j) {
  if (!j->th_started || j->th_joined)
    return;
  pthread_mutex_lock(&j->mu);
  j->abort = 1;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
  pthread_join(j->th, NULL);
  j->th_joined = 1;
  layer_tmp_free(j->tmp);
  j->tmp = NULL;
  err_free(&j->th_err);
  j->abort = 0;
}

static void publish(struct job *j, uint64_t avail, int eof) {
  pthread_mutex_lock(&j->mu);
  j->avail = avail;
  j->eof = eof;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
}

/* --- the blob file --------------------------------------------------------- */

/* Open tmp/blob-<hex>.partial for this blob, locked, and hash what an
 * earlier pull left in it; when another process holds it, a fresh temp
 * file of our own. */
static int open_partial(struct job *j, struct err **e) {
  const struct store *s = j->f->s;
  j->path = xasprintf("%s/blob-%s.partial", s->tmp, digest_hex(j->l->digest));
  j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (j->fd < 0)
    return err_set(e, errno, "open '%s'", j->path);
  j->sha = sha256_new();
  if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
    close(j->fd);
    free(j->path);
    j->path = xasprintf("%s/blob-%s.XXXXXX", s->tmp, digest_hex(j->l->digest));
    j->fd = mkostemp(j->path, O_CLOEXEC);
    if (j->fd < 0)
      return err_set(e, errno, "create a temp file in '%s'", s->tmp);
    fchmod(j->fd, 0644);
    return 0;
  }
  j->partial = 1;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(j->fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return err_set(e, errno, "read '%s'", j->path);
    if (n == 0)
      break;
    sha256_update(j->sha, buf, (size_t)n);
    j->got += (uint64_t)n;
  }
  if (j->got > (uint64_t)j->l->size) { /* not this blob after all */
    if (ftruncate(j->fd, 0) < 0)
      return err_set(e, errno, "truncate '%s'", j->path);
    sha256_free(j->sha);
    j->sha = sha256_new();
    j->got = 0;
  }
  return 0;
}

static void drop_blob_file(struct job *j, int keep) {
  if (j->fd >= 0) {
    if (!keep && j->path != NULL && j->need_blob)
      unlink(j->path);
    close(j->fd);
  }
  j->fd = -1;
  free(j->path);
  j->path = NULL;
  if (j->sha != NULL)
    sha256_free(j->sha);
  j->sha = NULL;
}

static int restart_from_zero(struct job *j, struct err **e) {
  stop_extract(j);
  if (ftruncate(j->fd, 0) < 0 || lseek(j->fd, 0, SEEK_SET) < 0)
    return err_set(e, errno, "truncate '%s'", j->path);
  sha256_free(j->sha);
  j->sha = sha256_new();
  j->got = 0;
  publish(j, 0, 0);
  if (j->need_extract)
    start_extract(j);
  return 0;
}

/* --- downloads ------------------------------------------------------------- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg) {
  struct job *j = arg;
  size_t len = size * nmemb;
  long code = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
  j->status = code;
  if (code != 200 && code != 206) { /* an error body: keep some for the message */
    size_t room = ERRBODY_MAX - j->errlen;
    size_t k = len < room ? len : room;
    j->errbody = xrealloc(j->errbody, j->errlen + k + 1);
    memcpy(j->errbody + j->errlen, ptr, k);
    j->errlen += k;
    j->errbody[j->errlen] = '\0';
    return len;
  }
  if (j->first_data && code == 200 && j->range_from > 0) { /* it ignored our Range */
    struct err *ig = NULL;
    if (restart_from_zero(j, &ig) < 0) {
      err_free(&ig);
      return 0;
    }
  }
  j->first_data = 0;
  if (j->got + len > (uint64_t)j->l->size) {
    j->too_big = 1;
    return 0;
  }
  if (write_all(j->fd, ptr, len) < 0)
    return 0;
  sha256_update(j->sha, ptr, len);
  j->got += len;
  publish(j, j->got, 0);
  return len;
}

static int start_download(struct fetch *f, struct job *j, struct err **e) {
  if (lseek(j->fd, 0, SEEK_END) < 0)
    return err_set(e, errno, "seek '%s'", j->path);
  cleanup_free char *url = xasprintf("/v2/%s/blobs/%s", f->r->repo, j->l->digest);
  j->hdrs = NULL;
  j->easy = registry_easy(f->r, url, &j->hdrs);
  j->auth_gen = f->r->auth_gen;
  j->range_from = j->got;
  j->first_data = 1;
  if (j->got > 0) {
    char range[64];
    snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)j->got);
    j->hdrs = curl_slist_append(j->hdrs, range);
    job_progress(j, "Resuming", j->got, (uint64_t)j->l->size);
  }
  curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
  curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
  curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
  j->curl_err[0] = '\0';
  curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->curl_err);
  free(j->errbody);
  j->errbody = NULL;
  j->errlen = 0;
  j->status = 0;
  curl_multi_add_handle(f->multi, j->easy);
  j->st = ACTIVE;
  f->active++;
  return 0;
}

static void end_download(struct fetch *f, struct job *j) {
  if (j->easy == NULL)
    return;
  curl_multi_remove_handle(f->multi, j->easy);
  curl_easy_cleanup(j->easy);
  curl_slist_free_all(j->hdrs);
  j->easy = NULL;
  j->hdrs = NULL;
  f->active--;
}

static int transient(CURLcode rc) {
  return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
         rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT;
}

/* A transfer ended: verify, retry or fail. */
static int on_done(struct fetch *f, struct job *j, CURLcode rc, struct err **e) {
  long code = j->status;
  if (code == 0)
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
  end_download(f, j);
  if (getenv("CAIRN_DEBUG_HTTP") != NULL)
    fprintf(stderr, "fetch: %s done: curl %d, status %ld, %llu bytes\n", j->id, (int)rc, code,
            (unsigned long long)j->got);
  const char *dg = j->l->digest;
  if (j->too_big)
    return err_setc(e, ERR_USAGE, 0, "layer %s: the blob is larger than the manifest's %lld bytes",
                    dg, (long long)j->l->size);
  if (rc != CURLE_OK) {
    if (transient(rc) && j->retries++ < MAX_RETRIES)
      return start_download(f, j, e); /* resume from what we have */
    return err_set(e, 0, "layer %s: %s", dg, j->curl_err[0] ? j->curl_err : curl_easy_strerror(rc));
  }
  if (code == 416 && j->got > 0) { /* our partial file is no prefix of it */
    if (restart_from_zero(j, e) < 0)
      return -1;
    return start_download(f, j, e);
  }
  /* A token that expired while the layers came down (registries hand out
   * tokens for minutes; a big pull takes longer): renew it once and go on
   * from the bytes we have. */
  if (code == 401 && j->reauths++ < 1) {
    int a = registry_reauth(f->r, j->auth_gen, e);
    if (a < 0)
      return err_wrap(e, "layer %s", dg);
    if (a == 0)
      return start_download(f, j, e);
  }
  if (code != 200 && code != 206) {
    struct http_resp p = {.status = code, .body = j->errbody};
    int r = registry_error(&p, e, "layer %s", dg);
    return r;
  }
  if (j->got != (uint64_t)j->l->size) {
    if (j->retries++ < MAX_RETRIES && j->got < (uint64_t)j->l->size)
      return start_download(f, j, e);
    return err_setc(e, ERR_USAGE, 0, "layer %s: got %llu bytes, the manifest says %lld", dg,
                    (unsigned long long)j->got, (long long)j->l->size);
  }
  /* the bar reaches its end even when the whole blob came between two
   * refreshes (a small layer on a fast link) */
  job_progress(j, "Downloading", j->got, (uint64_t)j->l->size);
  job_progress(j, "Verifying Checksum", 0, 0);
  char got[DIGEST_STR_LEN + 1];
  sha256_final(j->sha, got);
  j->sha = NULL;
  if (strcmp(got, dg) != 0) {
    /* A stale partial file from an earlier pull: once more from zero. */
    if (j->partial && j->retries++ < MAX_RETRIES) {
      j->sha = sha256_new();
      if (restart_from_zero(j, e) < 0)
        return -1;
      return start_download(f, j, e);
    }
    j->bad = 1;
    return err_setc(e, ERR_USAGE, 0, "layer %s: digest mismatch: got %s", dg, got);
  }
  if (fsync(j->fd) < 0)
    return err_set(e, errno, "fsync '%s'", j->path);
  publish(j, j->got, 1);
  j->st = DOWNLOADED;
  job_progress(j, "Download complete", 0, 0);
  return 0;
}

/* --- commit ---------------------------------------------------------------- */

static int lowers_done(struct fetch *f, size_t i) {
  for (size_t k = 0; k < i; k++)
    if (f->jobs[k].st != DONE)
      return 0;
  return 1;
}

/* Put job j in place when its pieces are ready: 1 when done now. */
static int try_commit(struct fetch *f, struct job *j, struct err **e) {
  if (j->st != DOWNLOADED)
    return 0;
  if (j->dup_of >= 0) {
    if (f->jobs[j->dup_of].st != DONE)
      return 0;
    j->st = DONE;
    job_progress(j, "Pull complete", 0, 0);
    return 1;
  }
  if (j->need_extract) {
    if (!__atomic_load_n(&j->th_done, __ATOMIC_ACQUIRE))
      return 0;
    if (!j->th_joined) {
      pthread_join(j->th, NULL);
      j->th_joined = 1;
    }
    if (j->tmp == NULL) {
      *e = j->th_err;
      j->th_err = NULL;
      return err_wrap(e, "layer %s", j->l->digest);
    }
    if (layer_tmp_needs_lowers(j->tmp) && !lowers_done(f, j->i))
      return 0;
  }
  if (j->need_blob) {
    cleanup_free char *dst = store_blob_path(f->s, j->l->digest);
    if (rename(j->path, dst) < 0)
      return err_set(e, errno, "rename '%s' to '%s'", j->path, dst);
    free(j->path);
    j->path = NULL;
  }
  if (j->need_extract) {
    const char **lowers = xcalloc(j->i + 1, sizeof(char *));
    for (size_t k = 0; k < j->i; k++)
      lowers[k] = store_layer_path(f->s, f->img->layers[j->i - 1 - k].diffid);
    int r = layer_commit(f->s, j->tmp, lowers, j->i, e);
    j->tmp = NULL;
    for (size_t k = 0; k < j->i; k++)
      free((char *)lowers[k]);
    free(lowers);
    if (r < 0)
      return err_wrap(e, "layer %s", j->l->digest);
  }
  drop_blob_file(j, 1);
  j->st = DONE;
  job_progress(j, "Pull complete", 0, 0);
  return 1;
}

/* --- the loop -------------------------------------------------------------- */

static void show(struct fetch *f) {
  for (size_t i = 0; i < f->n; i++) {
    struct job *j = &f->jobs[i];
    if (j->st == ACTIVE)
      job_progress(j, "Downloading", j->got, (uint64_t)j->l->size);
    else if (j->st == DOWNLOADED && j->need_extract && j->dup_of < 0 &&
             !__atomic_load_n(&j->th_done, __ATOMIC_ACQUIRE))
      job_progress(j, "Extracting", __atomic_load_n(&j->rpos, __ATOMIC_RELAXED),
                   (uint64_t)j->l->size);
  }
}

static int setup_job(struct fetch *f, struct job *j, struct err **e) {
  if (j->dup_of >= 0 || (!j->need_blob && !j->need_extract)) {
    j->st = j->dup_of >= 0 ? DOWNLOADED : DONE;
    job_progress(j, j->dup_of >= 0 ? "Waiting" : "Already exists", 0, 0);
    return 0;
  }
  if (j->need_blob) {
    if (f->r == NULL)
      return err_setc(e, ERR_NOTFOUND, 0, "layer %s: blob missing from the store", j->l->digest);
    if (open_partial(j, e) < 0)
      return -1;
    j->avail = j->got;
    job_progress(j, "Pulling fs layer", 0, 0);
  } else { /* the blob is here: extract it */
    j->path = store_blob_path(f->s, j->l->digest);
    j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
    if (j->fd < 0)
      return err_set(e, errno, "open '%s'", j->path);
    struct stat st;
    if (fstat(j->fd, &st) < 0)
      return err_set(e, errno, "stat '%s'", j->path);
    j->avail = (uint64_t)st.st_size;
    j->eof = 1;
    j->st = DOWNLOADED;
  }
  if (j->need_extract)
    start_extract(j);
  return 0;
}

static int run(struct fetch *f, struct err **e) {
  for (size_t i = 0; i < f->n; i++)
    if (setup_job(f, &f->jobs[i], e) < 0)
      return -1;
  for (;;) {
    int queued = 0, done = 0;
    for (size_t i = 0; i < f->n; i++) {
      struct job *j = &f->jobs[i];
      if (j->st == QUEUED && f->active < f->o->parallel && start_download(f, j, e) < 0)
        return -1;
      queued += j->st == QUEUED;
    }
    int running = 0;
    curl_multi_perform(f->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
      if (m->msg != CURLMSG_DONE)
        continue;
      struct job *j = NULL;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      if (on_done(f, j, m->data.result, e) < 0)
        return -1;
    }
    /* commit in any order, but a layer with links into lower layers waits
     * for them (try_commit checks) */
    for (int progress_made = 1; progress_made;) {
      progress_made = 0;
      for (size_t i = 0; i < f->n; i++) {
        int r = try_commit(f, &f->jobs[i], e);
        if (r < 0)
          return -1;
        progress_made |= r;
      }
    }
    /* A hostile layer fails as soon as its extraction does, not at the
     * end of its download. */
    for (size_t i = 0; i < f->n; i++) {
      struct job *j = &f->jobs[i];
      if (j->th_started && !j->th_joined && __atomic_load_n(&j->th_done, __ATOMIC_ACQUIRE) &&
          j->tmp == NULL) {
        pthread_join(j->th, NULL);
        j->th_joined = 1;
        j->bad = 1;
        *e = j->th_err;
        j->th_err = NULL;
        return err_wrap(e, "layer %s", j->l->digest);
      }
      done += j->st == DONE;
    }
    if (done == (int)f->n)
      return 0;
    show(f);
    (void)queued;
    curl_multi_poll(f->multi, NULL, 0, 100, NULL);
  }
}

static void cleanup(struct fetch *f, int failed) {
  for (size_t i = 0; i < f->n; i++) {
    struct job *j = &f->jobs[i];
    end_download(f, j);
    stop_extract(j);
    /* after a failure a partial download stays for the next pull to
     * resume, unless its bytes were proven wrong */
    int keep = failed && j->partial && j->sha != NULL && !j->bad && !j->too_big;
    if (j->fd >= 0 || j->path != NULL)
      drop_blob_file(j, keep);
    if (j->sha != NULL)
      sha256_free(j->sha);
    free(j->errbody);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
  }
  free(f->jobs);
  if (f->multi != NULL)
    curl_multi_cleanup(f->multi);
}

int fetch_layers(const struct store *s, struct registry *r, const struct image *img,
                 const struct fetch_opts *o, struct err **e) {
  struct fetch f = {.s = s, .r = r, .img = img, .o = o, .n = img->nlayers};
  f.jobs = xcalloc(f.n + 1, sizeof(*f.jobs));
  for (size_t i = 0; i < f.n; i++) {
    struct job *j = &f.jobs[i];
    j->i = i;
    j->l = &img->layers[i];
    j->f = &f;
    j->fd = -1;
    j->dup_of = -1;
    snprintf(j->id, sizeof(j->id), "%s", digest_hex(j->l->digest));
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    for (size_t k = 0; k < i; k++)
      if (strcmp(f.jobs[k].l->digest, j->l->digest) == 0 && f.jobs[k].dup_of < 0)
        j->dup_of = (int)k;
    if (j->dup_of >= 0 && strcmp(f.jobs[j->dup_of].l->diffid, j->l->diffid) != 0) {
      cleanup(&f, 1);
      return err_setc(e, ERR_USAGE, 0, "layer %s is listed twice with different diff_ids",
                      j->l->digest);
    }
    j->need_blob = !store_has_blob(s, j->l->digest);
    j->need_extract = !store_has_layer(s, j->l->diffid);
  }
  f.multi = curl_multi_init();
  curl_multi_setopt(f.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->parallel);
  int rc = run(&f, e);
  cleanup(&f, rc < 0);
  return rc;
}
