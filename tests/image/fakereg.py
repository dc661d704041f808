#!/usr/bin/env python3
"""fakereg.py — a small registry (read-only distribution API) serving an OCI
layout, for what Debian's docker-registry cannot be made to do: Bearer token
challenges, connections cut in the middle of a blob, redirects to blob
storage.  Listens on 127.0.0.1 only.

  fakereg.py --layout DIR --port-file F [--token USER:PASS|anonymous]
             [--token-uses N] [--cut-after N] [--redirect] [--log FILE]

Manifests: /v2/<any repo>/manifests/<ref> where ref is a digest or the
layout's org.opencontainers.image.ref.name.  --cut-after N: the first GET of
each blob sends N bytes (of a full Content-Length) and closes.  --redirect:
blobs answer 307 to /storage/<digest>.  --log: one line per request:
"METHOD PATH range=<Range or -> auth=<scheme or ->".
"""
import argparse
import base64
import http.server
import json
import os
import re
import socketserver
import threading

TOKEN = "fake-token-123"
LOCK = threading.Lock()
ISSUED = {}  # token -> requests it may still authorize (--token-uses)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self):
        if A.log:
            auth = self.headers.get("Authorization", "-").split(" ")[0]
            with open(A.log, "a") as f:
                f.write("%s %s range=%s auth=%s\n" % (self.command, self.path,
                                                      self.headers.get("Range", "-"), auth))

    def send(self, code, body=b"", ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, errcode, msg, extra=None):
        body = json.dumps({"errors": [{"code": errcode, "message": msg}]}).encode()
        self.send(code, body, extra=extra)

    def authorized(self, scope):
        if A.token is None:
            return True
        got = self.headers.get("Authorization", "")
        expired = ""
        if A.token_uses is None and got == "Bearer " + TOKEN:
            return True
        if A.token_uses is not None and got.startswith("Bearer "):
            with LOCK:
                left = ISSUED.get(got[7:], 0)
                if left > 0:
                    ISSUED[got[7:]] = left - 1
                    return True
            expired = ',error="invalid_token"'
        port = self.server.server_address[1]
        self.error(401, "UNAUTHORIZED", "authentication required", {
            "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="fakereg",'
                                'scope="%s"%s' % (port, scope, expired)})
        return False

    def do_token(self):
        if A.token != "anonymous":
            want = "Basic " + base64.b64encode(A.token.encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
        token = TOKEN
        if A.token_uses is not None:
            with LOCK:
                token = "fake-token-%d" % (len(ISSUED) + 1)
                ISSUED[token] = A.token_uses
        self.send(200, json.dumps({"token": token, "expires_in": 60}).encode())

    def blob(self, digest):
        path = os.path.join(A.layout, "blobs", "sha256", digest[7:])
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest) or not os.path.exists(path):
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        data = open(path, "rb").read()
        start = 0
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        code = 200
        extra = {"Docker-Content-Digest": digest}
        if m:
            start = int(m.group(1))
            code = 206
            extra["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = data[start:]
        if A.cut_after and self.command == "GET" and digest not in CUT and len(body) > A.cut_after:
            CUT.add(digest)
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[:A.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send(code, body, "application/octet-stream", extra)

    def do_GET(self):
        self.note()
        p = self.path.split("?")[0]
        if p == "/token":
            return self.do_token()
        if p.startswith("/storage/"):
            return self.blob(p[len("/storage/"):])
        if p == "/v2/":
            if self.authorized(""):
                self.send(200, b"{}")
            return
        m = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/([^/]+)", p)
        if not m:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        repo, kind, ref = m.groups()
        if not self.authorized("repository:%s:pull" % repo):
            return
        if kind == "blobs":
            if A.redirect:
                return self.send(307, b"", extra={"Location": "/storage/" + ref})
            return self.blob(ref)
        index = json.load(open(os.path.join(A.layout, "index.json")))
        for d in index["manifests"]:
            name = d.get("annotations", {}).get("org.opencontainers.image.ref.name")
            if ref in (name, d["digest"]):
                data = open(os.path.join(A.layout, "blobs", "sha256", d["digest"][7:]), "rb").read()
                return self.send(200, data, d["mediaType"], {"Docker-Content-Digest": d["digest"]})
        # a digest of a nested manifest
        path = os.path.join(A.layout, "blobs", "sha256", ref[7:])
        if ref.startswith("sha256:") and os.path.exists(path):
            data = open(path, "rb").read()
            mt = json.loads(data).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            return self.send(200, data, mt, {"Docker-Content-Digest": ref})
        self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


CUT = set()
ap = argparse.ArgumentParser()
ap.add_argument("--layout", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--token")
ap.add_argument("--token-uses", type=int)
ap.add_argument("--cut-after", type=int, default=0)
ap.add_argument("--redirect", action="store_true")
ap.add_argument("--log")
A = ap.parse_args()
srv = Server(("127.0.0.1", 0), Handler)
with open(A.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(A.port_file + ".tmp", A.port_file)
srv.serve_forever()
