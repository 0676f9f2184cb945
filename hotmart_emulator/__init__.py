"""A local Hotmart API: seeded data, the real HTTP contract and its traps, fault profiles,
a movable clock and ground truth. See ``docs/emulator.md``."""

from .server import EmulatorCore, EmulatorServer

__all__ = ["EmulatorCore", "EmulatorServer"]
