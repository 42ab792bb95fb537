"""The simulated users behind a mesh target: classes of users carrying a header or a cookie, each with a browser-like
cookie jar, and the versions that served each user in a release window.

A target's population is given as ``{class name: {"count": n, "headers": {name: value}, "cookies": {name: value}}}``
(every key but ``count`` optional), e.g. 10 insiders with ``x-canary: insider``, 10 testers with the cookie
``canary=always`` and 80 plain users. Requests go to the users in a fixed interleaving (smooth weighted round robin
over the classes by their counts, then each class's users in turn), so every ``sum(counts)`` requests each user sends
exactly one and the counts of a test are exact.

Cookie jars (RFC 6265, the part a browser needs against one host): a class's cookies are in the jar from the start;
a ``Set-Cookie`` on a response the user received stores ``name=value`` (replacing a cookie of the same name and path
keeps its creation time, so its place in the ``cookie`` header); ``Max-Age`` (or else ``Expires``) is honoured in wall
time (``time.monotonic()`` of the mesh; ``Max-Age`` 0 or negative deletes the cookie, as Flagger's ``Max-Age=-1``
does); a cookie without either lives as long as the user (a browser session). ``Path`` is honoured; ``Domain``,
``Secure``, ``HttpOnly``, ``SameSite`` are not (a jar serves one host over plain HTTP). Requests carry the jar as one
``cookie`` header, ``name=value`` pairs joined by ``"; "``, longer paths first, then oldest first, as browsers send them.

A target without a population sends as an anonymous client without a jar (a load generator such as ``hey``): class
``plain``, ``GET /``, no headers; its requests are counted per class but not per user.
"""

import email.utils
import time
from collections import namedtuple

PLAIN = "plain"
CLASS_KEYS = frozenset(("count", "headers", "cookies"))
Cookie = namedtuple("Cookie", "name value path expires created")


def parse_set_cookie(header):
    """``(name, value, {attribute (lower-case): value})`` of a Set-Cookie header value; None when it names no cookie."""
    pair, *attributes = header.split(";")
    name, equals, value = pair.partition("=")
    if not equals or not name.strip():
        return None
    parsed = {}
    for attribute in attributes:
        key, _equals, attribute_value = attribute.strip().partition("=")
        parsed[key.strip().lower()] = attribute_value.strip()
    return name.strip(), value.strip(), parsed


def _default_path(request_path):
    path = request_path.partition("?")[0]
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rindex("/")]


def _path_matches(cookie_path, request_path):
    path = request_path.partition("?")[0]
    return path == cookie_path or (path.startswith(cookie_path) and (cookie_path.endswith("/") or path[len(cookie_path)] == "/"))


class CookieJar:
    """One user's cookies for one host."""

    def __init__(self, cookies=None):
        self._cookies = {}      # (name, path) -> Cookie
        self._created = 0
        for name, value in (cookies or {}).items():
            self._store(name, value, "/", None)

    def _store(self, name, value, path, expires):
        old = self._cookies.get((name, path))
        if old is None:
            self._created += 1
        self._cookies[(name, path)] = Cookie(name, value, path, expires, old.created if old else self._created)

    def receive(self, set_cookie, now, request_path="/"):
        """Store (or delete) what one ``Set-Cookie`` header value says, at monotonic time ``now``."""
        parsed = parse_set_cookie(set_cookie)
        if parsed is None:
            return
        name, value, attributes = parsed
        path = attributes.get("path") or ""
        path = path if path.startswith("/") else _default_path(request_path)
        expires = None
        if "max-age" in attributes:
            try:
                expires = now + int(attributes["max-age"])
            except ValueError:
                expires = None
        elif attributes.get("expires"):
            try:
                expires = now + (email.utils.parsedate_to_datetime(attributes["expires"]).timestamp() - time.time())
            except (TypeError, ValueError):
                expires = None
        if expires is not None and expires <= now:
            self._cookies.pop((name, path), None)
            return
        self._store(name, value, path, expires)

    def header(self, now, request_path="/"):
        """The ``cookie`` header a browser sends now on ``request_path`` (None: no cookie)."""
        for key, cookie in list(self._cookies.items()):
            if cookie.expires is not None and cookie.expires <= now:
                del self._cookies[key]
        sent = sorted((c for c in self._cookies.values() if _path_matches(c.path, request_path)),
                      key=lambda c: (-len(c.path), c.created))
        return "; ".join("%s=%s" % (c.name, c.value) for c in sent) or None

    def names(self, now):
        """Names of the cookies the jar holds (unexpired) at ``now``."""
        return sorted(set(c.name for c in self._cookies.values() if c.expires is None or c.expires > now))


class User:
    """A simulated user: its class, the headers it always sends and its cookie jar (None: an anonymous client)."""

    def __init__(self, user_id, user_class, headers=None, cookies=None, jar=True):
        self.id = user_id
        self.user_class = user_class
        self.headers = dict(headers or {})
        self.jar = CookieJar(cookies) if jar else None


ANONYMOUS = User(None, PLAIN, jar=False)


def validate_classes(classes):
    """Check a population spec; return it normalized (``{name: {"count", "headers", "cookies"}}``) or raise ValueError."""
    if not isinstance(classes, dict) or not classes:
        raise ValueError("users: give {class name: {count, headers, cookies}} with at least one class")
    normalized = {}
    for name, spec in classes.items():
        spec = {"count": spec} if isinstance(spec, int) and not isinstance(spec, bool) else spec
        if not isinstance(name, str) or not name or not isinstance(spec, dict):
            raise ValueError("users: class %r: give a name and {count, headers, cookies}" % (name,))
        unknown = set(spec) - CLASS_KEYS
        if unknown:
            raise ValueError("users: class %r: unknown keys %s (allowed: %s)" % (name, sorted(unknown), sorted(CLASS_KEYS)))
        count = spec.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("users: class %r: count must be an integer >= 1" % name)
        headers, cookies = spec.get("headers") or {}, spec.get("cookies") or {}
        for field, mapping in (("headers", headers), ("cookies", cookies)):
            if not isinstance(mapping, dict) or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in mapping.items()):
                raise ValueError("users: class %r: %s must map names to string values" % (name, field))
        if any(k.lower() == "cookie" for k in headers):
            raise ValueError("users: class %r: give cookies under 'cookies', not as a cookie header" % name)
        normalized[name] = {"count": count, "headers": dict(headers), "cookies": dict(cookies)}
    return normalized


class Population:
    """The users of one target and the fixed order in which they send requests."""

    def __init__(self, classes=None, path="/", method="GET"):
        self.path = path or "/"
        self.method = method or "GET"
        self.classes = validate_classes(classes) if classes is not None else None
        self._users = {}
        self._class_turn = {}
        self._user_turn = {}
        for name, spec in (self.classes or {}).items():
            self._users[name] = [User("%s-%d" % (name, index), name, spec["headers"], spec["cookies"])
                                 for index in range(spec["count"])]

    def describe(self):
        """What ``targets()`` shows for the target (empty for an anonymous client's ``GET /``)."""
        described = {}
        if self.classes is not None:
            described["users"] = self.classes
        if self.path != "/":
            described["path"] = self.path
        if self.method != "GET":
            described["method"] = self.method
        return described

    def next_user(self, pick_weighted):
        """The user who sends the next request (``pick_weighted``: mesh.pick_weighted, smooth weighted round robin)."""
        if not self._users:
            return ANONYMOUS
        name = pick_weighted(self._class_turn, dict((n, len(users)) for n, users in self._users.items()))
        users = self._users[name]
        index = self._user_turn.get(name, 0)
        self._user_turn[name] = (index + 1) % len(users)
        return users[index]

    def cookie_holders(self, now):
        """``{cookie name: users whose jar holds it}`` at ``now``."""
        holders = {}
        for users in self._users.values():
            for user in users:
                for name in user.jar.names(now):
                    holders[name] = holders.get(name, 0) + 1
        return holders

    def request_headers(self, user, now):
        """The headers ``user`` sends now: its class's headers and its jar's ``cookie`` header."""
        headers = dict((k.lower(), v) for k, v in user.headers.items())
        if user.jar is not None:
            cookie = user.jar.header(now, self.path)
            if cookie:
                headers["cookie"] = cookie
        return headers


class ReleaseWindow:
    """Which versions served each user of one host since the last reset (a release window).

    A user *switched* when a request it sent holding a cookie (a non-empty ``cookie`` header) was served by another
    version than its previous request in the window: what session affinity must prevent ("once a user is exposed to a
    version it stays on it"). ``switched_any`` counts every user served by more than one version, cookie or not (a
    plain user of a weighted canary does switch). A version is a workload's ``version`` (mesh.workload_of).
    """

    def __init__(self):
        self._last = {}
        self._classes = {}
        self._switched = set()
        self._switched_any = set()
        self._reached = {}

    def served(self, user, workload, version, held_cookie):
        if user.id is None:
            return
        self._classes[user.id] = user.user_class
        previous = self._last.get(user.id)
        if previous is not None and previous != version:
            self._switched_any.add(user.id)
            if held_cookie:
                self._switched.add(user.id)
        self._last[user.id] = version
        self._reached.setdefault(user.user_class, {}).setdefault(workload, set()).add(user.id)

    def summary(self):
        by_class = {}
        for user_id, user_class in self._classes.items():
            entry = by_class.setdefault(user_class, {"seen": 0, "switched": 0, "switched_any": 0, "by_workload": {}})
            entry["seen"] += 1
            entry["switched"] += user_id in self._switched
            entry["switched_any"] += user_id in self._switched_any
        for user_class, reached in self._reached.items():
            by_class[user_class]["by_workload"] = dict((w, len(ids)) for w, ids in reached.items())
        return {"seen": len(self._classes), "switched": len(self._switched), "switched_any": len(self._switched_any),
                "switched_users": sorted(self._switched), "by_class": by_class}
