"""Shared pytest fixtures: the sandbox's fixtures are defined next to the sandbox and exported here."""
# pylint: disable=wildcard-import,unused-wildcard-import
import importlib

# Each sandbox part defines its fixtures in its own module; a part that does not exist yet is skipped
# so that the others stay usable while the sandbox grows.
for _name in ("tests.sandbox.fixtures_api", "tests.sandbox.fixtures_mesh"):
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a part is missing
        if exc.name != _name:
            raise
        continue
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})
