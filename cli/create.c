/* create.c — making a container: the first half of `cairn run`.
 *
 *   1. an id, a name (reserved), the container's dir and first record
 *   2. cairn-image unpack --print-config REF BUNDLE   (overlay rootfs, and
 *      the image's config from the same lookup; pulled first when missing)
 *   3. volumes, /etc/hosts, resolv.conf, hostname files
 *   4. cairn-spec --image-config - …  -> BUNDLE/config.json
 *   5. container.json
 *
 * Each completed step is undone in reverse when a later one fails, so a
 * failed create leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"
#include "digest.h"
#include "fmt.h"
#include "fs.h"
#include "json.h"
#include "lock.h"
#include "mem.h"
#include "ref.h"
#include "runopts.h"

struct image {
  char *config; /* the raw OCI image config (its sha256 is the image id) */
  size_t len;
  json_t *doc;
  char id[DIGEST_STR_LEN + 1];
};

static int image_pull(const char *ref, struct err **e) {
  const char *argv[] = {"cairn-image", "pull", ref, NULL};
  struct tool_out o = {0};
  int rc = tool_run(argv, NULL, 0, &o, 1, e); /* its progress is the user's */
  tool_out_free(&o);
  return rc;
}

/* argv of `cairn-image unpack [--volatile] [--print-config] IMAGE BUNDLE`
 * (a --rm container's rootfs is volatile, as podman makes it: its unmount
 * would otherwise sync the whole host filesystem, for files about to be
 * deleted); returns the index of IMAGE. */
static size_t unpack_argv(const char *argv[7], const char *image, const char *bundle, bool rm,
                          bool print_config) {
  size_t n = 0, at;
  argv[n++] = "cairn-image";
  argv[n++] = "unpack";
  if (rm)
    argv[n++] = "--volatile";
  if (print_config)
    argv[n++] = "--print-config";
  at = n;
  argv[n++] = image;
  argv[n++] = bundle;
  argv[n] = NULL;
  return at;
}

int rootfs_unpack(const char *image_id, const char *ref, const char *bundle, bool rm,
                  struct err **e) {
  /* By id: the container keeps its image when the tag moves on.  The same
   * config under two manifests (loaded from an archive and pulled) makes
   * the id ambiguous to cairn-image, though either gives the same rootfs:
   * then by the name the container was made from. */
  const char *argv[7];
  size_t at = unpack_argv(argv, image_id, bundle, rm, false);
  if (tool_run(argv, NULL, 0, NULL, 0, e) == 0)
    return 0;
  if (ref == NULL || strstr((*e)->msg, "is ambiguous") == NULL)
    return -1;
  err_free(e);
  argv[at] = ref;
  return tool_run(argv, NULL, 0, NULL, 0, e);
}

/* "Unable to find image 'busybox:latest' locally", as docker says it. */
static void say_not_found(const char *ref) {
  struct ref r = {0};
  cleanup_free char *fam = NULL;
  if (ref_parse(ref, &r, NULL) == 0)
    fam = ref_familiar(&r);
  ref_free(&r);
  fprintf(stderr, "Unable to find image '%s' locally\n", fam ? fam : ref);
}

/* The rootfs and the image's config from one lookup of ref:
 * `cairn-image unpack --print-config`, one exec where a config and then an
 * unpack by id were two, and both of the same image even while the tag
 * moves.  A missing image is pulled first unless --pull never (--pull
 * always pulled before the container was made). */
static int image_unpack(const char *ref, const char *pull, const char *bundle, bool rm,
                        struct image *im, struct err **e) {
  const char *argv[7];
  unpack_argv(argv, ref, bundle, rm, true);
  struct tool_out o = {0};
  if (tool_run(argv, NULL, 0, &o, 0, e) < 0) {
    tool_out_free(&o);
    bool missing = *e != NULL && strstr((*e)->msg, "no such image") != NULL;
    if (!missing || (pull != NULL && strcmp(pull, "never") == 0))
      return -1;
    err_free(e);
    say_not_found(ref);
    if (image_pull(ref, e) < 0 || tool_run(argv, NULL, 0, &o, 0, e) < 0) {
      tool_out_free(&o);
      return -1;
    }
  }
  im->config = o.out;
  im->len = o.out_len;
  /* cairn-image prints the config blob as stored: its digest is the id */
  sha256_buf(im->config, im->len, im->id);
  im->doc = json_load_str(im->config, "image config", e);
  return im->doc == NULL ? -1 : 0;
}

static json_t *strv_json(char *const *v) {
  json_t *a = json_array();
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *labels_json(char *const *v) {
  json_t *o = json_object();
  for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
    const char *eq = strchr(v[i], '=');
    cleanup_free char *k = eq ? xstrndup(v[i], (size_t)(eq - v[i])) : xstrdup(v[i]);
    json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
  }
  return o;
}

/* The restart policy as docker's inspect shows it. */
static json_t *restart_json(const char *r) {
  if (r == NULL)
    r = "no";
  if (strncmp(r, "on-failure", 10) == 0)
    return json_pack("{s:s,s:i}", "Name", "on-failure", "MaximumRetryCount",
                     r[10] == ':' ? atoi(r + 11) : 0);
  return json_pack("{s:s,s:i}", "Name", r, "MaximumRetryCount", 0);
}

/* The shim's options that stay the same for every start. */
static json_t *shim_args(const struct run_opts *o, const json_t *imgcfg) {
  json_t *a = json_array();
#define ADD(...) json_array_append_new(a, json_string(__VA_ARGS__))
  if (o->restart != NULL) {
    ADD("--restart");
    ADD(o->restart);
  }
  if (o->log_max_size != NULL) {
    ADD("--log-max-size");
    ADD(o->log_max_size);
  }
  if (o->log_max_file != NULL) {
    ADD("--log-max-files");
    ADD(o->log_max_file);
  }
  if (o->detach_keys != NULL) {
    ADD("--detach-keys");
    ADD(o->detach_keys);
  }
  json_t *hc = json_get_obj(imgcfg, "Healthcheck");
  if (!o->no_healthcheck && o->health_cmd != NULL) {
    ADD("--health-cmd");
    ADD(o->health_cmd);
  } else if (!o->no_healthcheck && json_array_size(json_get_arr(hc, "Test")) > 0) {
    cleanup_free char *t = json_dump_compact(json_get_arr(hc, "Test"));
    ADD("--health-test");
    ADD(t);
  }
  if (!o->no_healthcheck) {
    const char *fl[] = {"--health-interval", "--health-timeout", "--health-start-period"};
    const char *v[] = {o->health_interval, o->health_timeout, o->health_start_period};
    for (size_t i = 0; i < 3; i++)
      if (v[i] != NULL) {
        ADD(fl[i]);
        ADD(v[i]);
      }
    if (o->health_retries >= 0) {
      cleanup_free char *n = xasprintf("%ld", o->health_retries);
      ADD("--health-retries");
      ADD(n);
    }
  }
#undef ADD
  return a;
}

struct undo {
  const char *id, *name, *bundle;
  bool dir, mounted;
  int lock;
  json_t *mounts;
};

static void undo_create(struct undo *u) {
  struct err *e = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(u->mounts, i, m) {
    if (json_is_true(json_object_get(m, "Anonymous"))) {
      cleanup_free char *d = xasprintf("%s/volumes/%s", C.root, json_get_str(m, "Name"));
      rm_rf(d, &e);
      err_free(&e);
    }
  }
  if (u->mounted) {
    const char *argv[] = {"cairn-image", "umount", u->bundle, NULL};
    if (tool_run(argv, NULL, 0, NULL, 0, &e) < 0) {
      err_print(e, "cairn: undo");
      err_free(&e);
      return; /* never remove a dir with a mount inside */
    }
  }
  if (u->dir) {
    cleanup_free char *d = ctr_dir(u->id);
    if (rm_rf(d, &e) < 0) {
      err_print(e, "cairn: undo");
      err_free(&e);
    }
  }
  name_release(u->name, u->id);
}

/* A deep copy of v, or a new empty array/object when v is absent. */
static json_t *copy_arr(const json_t *v) {
  return v ? json_deep_copy(v) : json_array();
}
static json_t *copy_obj(const json_t *v) {
  return v ? json_deep_copy(v) : json_object();
}

/* Entrypoint and Cmd as docker records them for the container. */
static void command_of(const struct run_opts *o, const json_t *icfg, json_t **ep, json_t **cmd) {
  if (o->entrypoint_set)
    *ep = *o->entrypoint ? json_pack("[s]", o->entrypoint) : json_array();
  else
    *ep = copy_arr(json_get_arr(icfg, "Entrypoint"));
  if (o->cmd != NULL)
    *cmd = strv_json(o->cmd);
  else if (o->entrypoint_set)
    *cmd = json_array();
  else
    *cmd = copy_arr(json_get_arr(icfg, "Cmd"));
}

static int network_mode(const struct run_opts *o, json_t *c, char ***spec, struct err **e) {
  const char *net = o->network;
  if (net == NULL || strcmp(net, "bridge") == 0 || strcmp(net, "default") == 0)
    net = C.network;
  const char *id = json_get_str(c, "id");
  if (strcmp(net, "host") == 0 || strcmp(net, "none") == 0) {
    strv_push(spec, "--network");
    strv_push(spec, net);
    json_object_set_new(c, "network", json_string(net));
    return 0;
  }
  if (strncmp(net, "container:", 10) == 0) {
    cleanup_free char *other = NULL;
    if (ctr_resolve(net + 10, &other, e) < 0)
      return -1;
    cleanup_json json_t *oc = ctr_load(other, e);
    if (oc == NULL)
      return -1;
    const char *onet = json_get_str(oc, "network");
    if (onet != NULL && (strcmp(onet, "host") == 0 || strncmp(onet, "container:", 10) == 0 ||
                         strcmp(onet, "none") == 0))
      return err_usage(e, "cannot join the network of container %s: it has network mode '%s'",
                       net + 10, onet);
    cleanup_free char *ns = ctr_netns_path(other);
    strv_push(spec, "--netns");
    strv_push(spec, ns);
    cleanup_free char *mode = xasprintf("container:%s", other);
    json_object_set_new(c, "network", json_string(mode));
    return 0;
  }
  if (strcmp(net, C.network) != 0) {
    const char *argv[] = {"cairn-net", "inspect", net, NULL};
    struct tool_out out = {0};
    if (tool_run(argv, NULL, 0, &out, 0, e) < 0)
      return -1;
    tool_out_free(&out);
  }
  cleanup_free char *ns = ctr_netns_path(id);
  strv_push(spec, "--netns");
  strv_push(spec, ns);
  json_object_set_new(c, "network", json_string(net));
  return 0;
}

/* --volumes-from X[:ro|rw]: X's mounts again. */
static int volumes_from(const char *spec, char ***vols, struct err **e) {
  cleanup_free char *s = xstrdup(spec);
  char *colon = strchr(s, ':');
  const char *mode = NULL;
  if (colon != NULL) {
    *colon = '\0';
    mode = colon + 1;
    if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
      return err_usage(e, "invalid --volumes-from mode '%s': want ro or rw", mode);
  }
  cleanup_json json_t *oc = ctr_find(s, e);
  if (oc == NULL)
    return -1;
  size_t i;
  json_t *m;
  json_array_foreach(json_get_arr(oc, "mounts"), i, m) {
    const char *type = json_get_str(m, "Type");
    const char *src =
        strcmp(type, "volume") == 0 ? json_get_str(m, "Name") : json_get_str(m, "Source");
    const char *md = mode ? mode : (json_is_true(json_object_get(m, "RW")) ? "rw" : "ro");
    cleanup_free char *v = xasprintf("%s:%s:%s", src, json_get_str(m, "Destination"), md);
    strv_push(vols, v);
  }
  return 0;
}

/* Steps 1-5 into c; u records what to undo. */
static int create_steps(struct run_opts *o, const char *rt, struct image *im, struct undo *u,
                        json_t *c, struct err **e) {
  const char *id = u->id, *name = u->name;
  cleanup_free char *dir = ctr_dir(id);
  const char *bundle = u->bundle;
  cleanup_free char *rootfs = xasprintf("%s/rootfs", bundle);
  json_t *mounts = u->mounts;
  cleanup_strv char **spec = NULL;
  cleanup_strv char **vols = NULL;

  if (mkdir_p(dir, 0700, e) < 0)
    return -1;
  u->dir = true;
  /* A first container.json at once, and the lock for the rest: a cairn
   * killed from here on leaves a container that ps shows and rm removes,
   * and nobody removes it under our feet. */
  cleanup_free char *now = fmt_now();
  json_object_set_new(c, "id", json_string(id));
  json_object_set_new(c, "name", json_string(name));
  json_object_set_new(c, "image", json_string(o->image));
  json_object_set_new(c, "created", json_string(now));
  json_object_set_new(c, "runtime", json_string(rt));
  json_object_set_new(c, "command", json_array());
  json_object_set_new(c, "state",
                      json_pack("{s:s,s:i,s:i}", "status", "created", "pid", 0, "exitCode", 0));
  if (ctr_save_state(c, e) < 0)
    return -1;
  u->lock = ctr_lock(id, e);
  if (u->lock < 0)
    return -1;
  if (image_unpack(o->image, o->pull, bundle, o->rm, im, e) < 0)
    return -1;
  u->mounted = true;
  json_t *icfg = json_get_obj(im->doc, "config");
  json_object_set_new(c, "imageId", json_string(im->id));

  cleanup_free char *norm = ref_normalize(o->image, NULL);
  if (norm != NULL)
    json_object_set_new(c, "imageRef", json_string(norm));
  /* network */
  if (network_mode(o, c, &spec, e) < 0)
    return -1;
  const char *net = json_get_str(c, "network");
  bool host_net = strcmp(net, "host") == 0;

  /* volumes: -v, --volumes-from, --mount */
  for (size_t i = 0; o->volumes_from && o->volumes_from[i]; i++)
    if (volumes_from(o->volumes_from[i], &vols, e) < 0)
      return -1;
  for (size_t i = 0; o->volumes && o->volumes[i]; i++)
    strv_push(&vols, o->volumes[i]);
  for (size_t i = 0; vols && vols[i]; i++) {
    cleanup_free char *arg = NULL;
    if (volume_prepare(vols[i], rootfs, mounts, &arg, e) < 0)
      return -1;
    strv_push(&spec, "-v");
    strv_push(&spec, arg);
  }
  for (size_t i = 0; o->mounts && o->mounts[i]; i++) {
    strv_push(&spec, "--mount");
    strv_push(&spec, o->mounts[i]);
  }

  /* the name files */
  cleanup_free char *hostname = NULL;
  if (o->hostname != NULL) {
    hostname = xstrdup(o->hostname);
  } else if (host_net) {
    char h[256] = "";
    gethostname(h, sizeof h - 1);
    hostname = xstrdup(h);
  } else {
    hostname = xstrndup(id, 12);
  }
  if (!host_net) {
    strv_push(&spec, "--hostname");
    strv_push(&spec, hostname);
  }
  json_t *ports = json_array();
  json_object_set_new(c, "portSpecs", ports);
  for (size_t i = 0; o->ports && o->ports[i]; i++)
    if (ports_parse(o->ports[i], ports, e) < 0)
      return -1;
  if (o->publish_all) {
    const char *k;
    json_t *v;
    json_object_foreach(json_get_obj(icfg, "ExposedPorts"), k, v) {
      if (ports_parse(k, ports, e) < 0)
        return -1;
    }
  }
  if (json_array_size(ports) > 0 &&
      (host_net || strcmp(net, "none") == 0 || strncmp(net, "container:", 10) == 0)) {
    fprintf(stderr, "WARNING: published ports are discarded when using %s network mode\n",
            host_net ? "host" : net);
    json_array_clear(ports);
  }

  json_t *hc = json_pack("{s:s,s:b,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:b}", "NetworkMode",
                         o->network ? o->network : "bridge", "AutoRemove", o->rm, "RestartPolicy",
                         restart_json(o->restart), "Runtime", rt, "ExtraHosts",
                         strv_json(o->add_hosts), "Dns", strv_json(o->dns), "DnsSearch",
                         strv_json(o->dns_search), "DnsOptions", strv_json(o->dns_opts), "Links",
                         strv_json(o->links), "PublishAllPorts", o->publish_all, "Privileged",
                         o->privileged, "ReadonlyRootfs", o->read_only, "Init", o->init);
  json_object_set_new(c, "hostConfig", hc);
  json_object_set_new(c, "aliases", strv_json(o->aliases));
  json_object_set_new(c, "mounts", json_incref(mounts));
  json_object_set_new(c, "shimArgs", shim_args(o, icfg));
  json_object_set_new(c, "interactive", json_boolean(o->interactive));
  json_object_set_new(c, "tty", json_boolean(o->tty));
  json_object_set_new(c, "networkSettings", json_object());

  /* --link NAME[:ALIAS]: the other's address, known once it runs */
  json_t *lh = json_array();
  json_object_set_new(c, "linkHosts", lh);
  for (size_t i = 0; o->links && o->links[i]; i++) {
    cleanup_free char *l = xstrdup(o->links[i]);
    char *colon = strchr(l, ':');
    if (colon != NULL)
      *colon = '\0';
    cleanup_json json_t *oc = ctr_find(l, e);
    if (oc == NULL)
      return -1;
    const char *ip = json_get_str(json_get_obj(oc, "networkSettings"), "IPAddress");
    if (ip == NULL || *ip == '\0')
      return err_usage(e, "cannot link to %s: it has no address (is it running?)", l);
    const char *oname = json_get_str(oc, "name");
    cleanup_free char *names = colon && strcmp(colon + 1, oname) != 0
                                   ? xasprintf("%s %s", colon + 1, oname)
                                   : xstrdup(oname);
    json_array_append_new(lh, json_pack("{s:s,s:s}", "ip", ip, "names", names));
  }

  json_t *ccfg = json_pack("{s:s,s:s,s:b,s:b,s:b,s:s}", "Hostname", hostname, "Domainname", "",
                           "Tty", o->tty, "OpenStdin", o->interactive, "StdinOnce",
                           o->interactive && !o->detach, "Image", o->image);
  json_object_set_new(c, "config", ccfg);
  if (etc_files_write(c, e) < 0)
    return -1;
  const char *files[] = {"hosts:/etc/hosts", "resolv.conf:/etc/resolv.conf",
                         "hostname:/etc/hostname"};
  for (size_t i = 0; i < 3; i++) {
    cleanup_free char *v = xasprintf("%s/%s", dir, files[i]);
    strv_push(&spec, "-v");
    strv_push(&spec, v);
  }

  /* cairn-spec */
  cleanup_strv char **argv = NULL;
  cleanup_free char *cfgpath = xasprintf("%s/config.json", bundle);
  cleanup_free char *cgpath = xasprintf("%s/%s", C.cgroup_parent, id);
  const char *head[] = {"cairn-spec", "--image-config", "-",   "--rootfs",
                        rootfs,       "--cgroups-path", cgpath};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
    strv_push(&argv, head[i]);
  for (size_t i = 0; spec && spec[i]; i++)
    strv_push(&argv, spec[i]);
  for (size_t i = 0; o->spec_args && o->spec_args[i]; i++)
    strv_push(&argv, o->spec_args[i]);
  if (o->entrypoint_set) {
    strv_push(&argv, "--entrypoint");
    strv_push(&argv, o->entrypoint);
  }
  strv_push(&argv, "--");
  for (size_t i = 0; o->cmd && o->cmd[i]; i++)
    strv_push(&argv, o->cmd[i]);
  /* The config comes on stdout and is written here: durable only for a
   * container that outlives its exit (not --rm), see ctr_save_state. */
  struct tool_out out = {0};
  int rc = tool_run((const char *const *)argv, im->config, im->len, &out, 0, e);
  cleanup_json json_t *oci = rc < 0 ? NULL : json_load_str(out.out, "cairn-spec", e);
  if (oci != NULL && (o->rm ? write_file_replace(cfgpath, out.out, out.out_len, 0644, e)
                            : write_file_atomic(cfgpath, out.out, out.out_len, 0644, e)) < 0) {
    json_decref(oci);
    oci = NULL;
  }
  tool_out_free(&out);
  if (oci == NULL)
    return -1;
  json_t *proc = json_get_obj(oci, "process");
  json_t *ep, *cmd;
  command_of(o, icfg, &ep, &cmd);
  json_t *all = json_array();
  json_array_extend(all, ep);
  json_array_extend(all, cmd);
  json_object_set_new(c, "command", all);
  json_object_set_new(ccfg, "Entrypoint", json_array_size(ep) ? ep : json_null());
  if (json_array_size(ep) == 0)
    json_decref(ep);
  json_object_set_new(ccfg, "Cmd", cmd);
  json_object_set_new(ccfg, "Env", copy_arr(json_get_arr(proc, "env")));
  json_object_set_new(ccfg, "WorkingDir",
                      json_string(o->workdir ? o->workdir
                                  : json_get_str(icfg, "WorkingDir")
                                      ? json_get_str(icfg, "WorkingDir")
                                      : ""));
  json_object_set_new(ccfg, "User",
                      json_string(o->user                      ? o->user
                                  : json_get_str(icfg, "User") ? json_get_str(icfg, "User")
                                                               : ""));
  json_t *labels = copy_obj(json_get_obj(icfg, "Labels"));
  cleanup_json json_t *own = labels_json(o->labels);
  json_object_update(labels, own);
  json_object_set_new(ccfg, "Labels", labels);
  json_object_set(c, "labels", labels);
  json_object_set_new(ccfg, "ExposedPorts", copy_obj(json_get_obj(icfg, "ExposedPorts")));
  const char *stopsig = o->stop_signal ? o->stop_signal : json_get_str(icfg, "StopSignal");
  if (stopsig != NULL)
    json_object_set_new(ccfg, "StopSignal", json_string(stopsig));
  if (o->stop_timeout >= 0)
    json_object_set_new(ccfg, "StopTimeout", json_integer(o->stop_timeout));
  json_object_set_new(
      c, "restartPolicy",
      json_pack("{s:s,s:i}", "name", json_get_str(json_object_get(hc, "RestartPolicy"), "Name"),
                "maximumRetryCount",
                (int)json_integer_value(
                    json_object_get(json_object_get(hc, "RestartPolicy"), "MaximumRetryCount"))));
  cleanup_free char *logp = ctr_file(id, "ctr.log");
  json_object_set_new(c, "logPath", json_string(logp));
  json_object_set_new(c, "state",
                      json_pack("{s:s,s:i,s:i}", "status", "created", "pid", 0, "exitCode", 0));
  /* durable once complete, unless it is gone at its exit (--rm) */
  if ((o->rm ? ctr_save_state(c, e) : ctr_save(c, e)) < 0)
    return -1;
  if (o->cidfile != NULL) {
    cleanup_close int fd = open(o->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
      return err_set(e, errno, "container ID file '%s'", o->cidfile);
    if (write_all(fd, id, 64) < 0) {
      unlink(o->cidfile);
      return err_set(e, errno, "write '%s'", o->cidfile);
    }
  }
  return 0;
}

json_t *ctr_create(struct run_opts *o, struct err **e) {
  const char *rt = o->runtime ? o->runtime : C.runtime;
  cleanup_free char *rtpath = runtime_path(rt, e);
  if (rtpath == NULL)
    return NULL;
  if (o->pull != NULL && strcmp(o->pull, "always") == 0 && image_pull(o->image, e) < 0)
    return NULL;

  char id[65];
  random_id(id);
  cleanup_free char *name = NULL;
  if (o->name != NULL) {
    name = xstrdup(o->name[0] == '/' ? o->name + 1 : o->name);
    if (name_reserve(name, id, e) < 0)
      return NULL;
  } else {
    for (int tries = 0;; tries++) {
      free(name);
      name = name_random();
      if (tries > 5) {
        char *n2 = xasprintf("%s%d", name, tries);
        free(name);
        name = n2;
      }
      struct err *ne = NULL;
      if (name_reserve(name, id, &ne) == 0)
        break;
      if (ne->code != ERR_EXISTS || tries > 20) {
        *e = ne;
        return NULL;
      }
      err_free(&ne);
    }
  }
  cleanup_free char *bundle = ctr_file(id, "bundle");
  cleanup_json json_t *mounts = json_array();
  struct undo u = {.id = id, .name = name, .bundle = bundle, .mounts = mounts, .lock = -1};
  json_t *c = json_object();
  struct image im = {0};
  int rc = create_steps(o, rt, &im, &u, c, e);
  free(im.config);
  json_decref(im.doc);
  if (rc < 0) {
    json_decref(c);
    undo_create(&u);
    if (u.lock >= 0)
      lock_release(u.lock);
    return NULL;
  }
  lock_release(u.lock);
  event_ctr(c, "create", NULL);
  return c;
}
