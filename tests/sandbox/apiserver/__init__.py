"""The sandbox's Kubernetes API emulator: `from tests.sandbox.apiserver import Emulator`."""
from .emulator import Emulator

__all__ = ["Emulator"]
