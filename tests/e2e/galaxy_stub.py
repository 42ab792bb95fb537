"""A Galaxy server on 127.0.0.1 for the doc tests: the v3 API paths `ansible-galaxy collection install` reads
(versions, one version's metadata, the artifact), serving collection tarballs the test built, so that a recipe that
installs collections from Galaxy runs as written with no network."""
import hashlib
import io
import json
import re
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_COLLECTION = re.compile(r"^/api/v3/collections/([^/]+)/([^/]+)/(?:\?.*)?$")
_VERSIONS = re.compile(r"^/api/v3/collections/([^/]+)/([^/]+)/versions/(?:([^/?]+)/)?")


def tar_installed_collection(collection_dir, output_dir):
    """A collection artifact from an installed collection, as Galaxy serves it: its files, and FILES.json and
    MANIFEST.json listing (and checksumming) only those present (setup unpacks a part of kubernetes.core); returns
    the tarball's path."""
    collection_dir = Path(collection_dir)
    manifest = json.loads((collection_dir / "MANIFEST.json").read_text(encoding="utf-8"))
    files = json.loads((collection_dir / "FILES.json").read_text(encoding="utf-8"))
    files["files"] = [entry for entry in files["files"] if entry["name"] == "." or (collection_dir / entry["name"]).exists()]
    files_json = json.dumps(files).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    info = manifest["collection_info"]
    path = Path(output_dir) / ("%s-%s-%s.tar.gz" % (info["namespace"], info["name"], info["version"]))
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("MANIFEST.json", json.dumps(manifest).encode()), ("FILES.json", files_json)):
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
        for entry in files["files"]:
            if entry["name"] != ".":
                tar.add(collection_dir / entry["name"], entry["name"], recursive=False)
    return path


class GalaxyStub:
    """``GalaxyStub([tarball, ...])``: serves those artifacts under ``.url`` (use as ANSIBLE_GALAXY_SERVER)."""

    def __init__(self, tarballs):
        self.collections = {}
        for tarball in tarballs:
            with tarfile.open(tarball) as tar:
                info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
            self.collections[(info["namespace"], info["name"])] = (info, Path(tarball))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path):
        """(status, content type, body bytes) for a GET of ``path``."""
        if path.split("?")[0] in ("/api/", "/api"):
            return self._json({"available_versions": {"v3": "v3/"}})
        if path.startswith("/download/"):
            for _info, tarball in self.collections.values():
                if path == "/download/" + tarball.name:
                    return 200, "application/octet-stream", tarball.read_bytes()
        match = _COLLECTION.match(path)
        if match and (match.group(1), match.group(2)) in self.collections:
            info, _tarball = self.collections[(match.group(1), match.group(2))]
            return self._json({"namespace": info["namespace"], "name": info["name"], "href": path,
                               "highest_version": {"version": info["version"], "href": "%sversions/%s/" % (path, info["version"])}})
        match = _VERSIONS.match(path)
        if match and (match.group(1), match.group(2)) in self.collections:
            info, tarball = self.collections[(match.group(1), match.group(2))]
            if match.group(3) is None:
                return self._json({"meta": {"count": 1}, "links": {"next": None},
                                   "data": [{"version": info["version"], "href": path.split("?")[0] + info["version"] + "/"}]})
            if match.group(3) == info["version"]:
                return self._json({
                    "namespace": {"name": info["namespace"]}, "collection": {"name": info["name"]}, "version": info["version"],
                    "href": path, "download_url": self.url + "download/" + tarball.name,
                    "artifact": {"filename": tarball.name, "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
                                 "size": tarball.stat().st_size},
                    "metadata": {"dependencies": info.get("dependencies") or {}}, "signatures": []})
        return self._json({"errors": [{"status": "404", "detail": "Not found."}]}, 404)

    @staticmethod
    def _json(body, status=200):
        return status, "application/json", json.dumps(body).encode()

    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                status, content_type, body = stub.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler
