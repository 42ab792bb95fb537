"""Shared pytest fixtures: the sandbox's fixtures are defined next to the sandbox and exported here."""
# pylint: disable=wildcard-import,unused-wildcard-import
import importlib

# Each sandbox part defines its fixtures in its own module; a part that does not exist yet is skipped
# so that the others stay usable while the sandbox grows.
for _name in ("tests.sandbox.fixtures_api", "tests.sandbox.fixtures_mesh", "tests.sandbox.fixtures_strategies"):
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a part is missing
        if exc.name != _name:
            raise
        continue
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})

# The sandbox's mesh applies a routing change at once unless a test simulates proxies with propagation delays
# (Mesh.simulate_proxies): the settle time the phases wait when the mesh reports no status (routers/settling.py) is
# then 0 s for every test and every module an ansible-playbook of a test runs; the tests of propagation give the
# option explicitly.
import os  # noqa: E402  pylint: disable=wrong-import-position

os.environ.setdefault("PROGRESSIVE_CANARY_ROUTE_SETTLE_SECONDS", "0")
