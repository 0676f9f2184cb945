"""A local Hotmart API: seeded data, the real HTTP contract and its traps, fault profiles,
a movable clock and ground truth. See ``docs/emulator.md``."""

from .options import EmulatorOptions
from .server import EmulatorCore, EmulatorServer

__all__ = ["EmulatorCore", "EmulatorOptions", "EmulatorServer"]
