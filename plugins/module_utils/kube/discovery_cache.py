# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The light client's discovery cache: each group-version's resource list (name, kind, namespaced, verbs), per API
server, in the connection and in a file that later module processes read, as kubernetes.core keeps its discovery in
``$TMPDIR/k8srcp-*.json``.

Where and how, so that no other local user can feed us a list: ``<tempdir>/progressive-canary-discovery-<uid>/``,
created 0700 and used only while it is a directory (not a link) owned by us and closed to others; one file per server
(a hash of its URL), written whole to a temporary file and renamed (a concurrent reader sees the old or the new
list, never half). Only lists the server answered are kept (a kind found missing is looked up again by the next
process); a list missing a kind is read again once (light_client.LightDiscovery). The file holds no credential.
Any trouble with the directory or a file means no disk cache for this process, never an error."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import tempfile

FORMAT = 1


def _private_directory():
    """Our cache directory, created if needed; None when it is not safely ours."""
    if not hasattr(os, "getuid"):
        return None
    path = os.path.join(tempfile.gettempdir(), "progressive-canary-discovery-%d" % os.getuid())
    try:
        os.mkdir(path, 0o700)
    except OSError:
        pass
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return path


class DiscoveryCache(object):
    """``lookup(group_version)`` -> the cached resource list or None; ``store(group_version, listing)``."""

    def __init__(self, server):
        self.server = server
        self._groups = {}       # per connection: tests run many emulators in one process, one port after another
        self._loaded = False
        self._directory = None
        self._file = None

    def _load(self):
        """Read the server's file once per process into the in-process lists (those already there win)."""
        if self._loaded:
            return
        self._loaded = True
        self._directory = _private_directory()
        if self._directory is None:
            return
        self._file = os.path.join(self._directory, hashlib.sha256(self.server.encode("utf-8")).hexdigest() + ".json")
        for group_version, listing in self._read_file().items():
            self._groups.setdefault(group_version, listing)

    def _read_file(self):
        try:
            descriptor = os.open(self._file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return {}
        try:
            with os.fdopen(descriptor, "r") as handle:
                if os.fstat(handle.fileno()).st_uid != os.getuid():
                    return {}
                document = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("server") != self.server:
            return {}
        groups = document.get("groups")
        if not isinstance(groups, dict):
            return {}
        return dict((key, value) for key, value in groups.items() if isinstance(value, list))

    def lookup(self, group_version):
        self._load()
        return self._groups.get(group_version)

    def store(self, group_version, listing):
        self._load()
        self._groups[group_version] = listing
        if self._directory is None:
            return
        groups = self._read_file()
        groups.update(self._groups)
        document = {"format": FORMAT, "server": self.server, "groups": groups}
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(descriptor, "w") as handle:
                json.dump(document, handle, separators=(",", ":"))
            os.replace(temporary, self._file)
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass
