"""A first-in first-out queue of what an account's read fetched ahead of its emission.

Accounts are read at once (`account_reads`), but emitted one after the other, as the
Singer SDK syncs a stream's partitions: while the first account is emitted, the others'
pages wait. Held in memory, a large account's history would not fit; so a queue keeps up
to `memory_bytes` in memory and the rest in a temporary file, in order, and the emitting
side reads them back as it reaches them. Past `disk_bytes` on disk the producer waits
(the account's fetching then pauses until its emission catches up).
"""

from __future__ import annotations

import pickle
import tempfile
import threading
from collections import deque
from typing import IO, Any

#: Bytes of items kept in memory per queue before they go to disk.
MEMORY_BYTES = 16 * 1024 * 1024
#: Bytes on disk per queue before the producer waits (about 1.3 million sales).
DISK_BYTES = 2 * 1024 * 1024 * 1024


class SpoolClosedError(Exception):
    """The queue was cancelled: its consumer stopped."""


class PageSpool:
    """Items in order, each with its size in bytes; memory first, then disk."""

    def __init__(
        self,
        cancel: threading.Event,
        *,
        memory_bytes: int = MEMORY_BYTES,
        disk_bytes: int = DISK_BYTES,
    ) -> None:
        self._cancel = cancel
        self._memory_bytes = memory_bytes
        self._disk_bytes = disk_bytes
        self._condition = threading.Condition()
        self._memory: deque[tuple[Any, int]] = deque()
        self._in_memory = 0
        self._file: IO[bytes] | None = None
        self._write_at = 0
        self._read_at = 0
        self._on_disk = 0  # items written to the file and not read back yet
        self.spilled_bytes = 0  #: bytes that went through the file (for the run's log)

    def put(self, item: Any, size: int) -> None:
        """Append `item` (`size` bytes); waits while the disk part is full."""
        with self._condition:
            if self._on_disk == 0 and self._in_memory + size <= self._memory_bytes:
                self._memory.append((item, size))
                self._in_memory += size
            else:
                # Once an item is on disk, every later one goes after it, there.
                while self._write_at - self._read_at >= self._disk_bytes:
                    if self._cancel.is_set():
                        raise SpoolClosedError
                    self._condition.wait(0.5)
                self._spill(item)
            self._condition.notify_all()

    def get(self) -> Any:
        """The oldest item, waiting for one if none is there."""
        with self._condition:
            while not self._memory and not self._on_disk:
                if self._cancel.is_set():
                    raise SpoolClosedError
                self._condition.wait(0.5)
            if self._memory:
                item, size = self._memory.popleft()
                self._in_memory -= size
            else:
                item = self._unspill()
            self._condition.notify_all()
            return item

    def close(self) -> None:
        """Remove the file; the queue is not used again."""
        with self._condition:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _spill(self, item: Any) -> None:
        if self._file is None:
            # closed by `close`, and by the garbage collector otherwise
            self._file = tempfile.TemporaryFile(prefix="tap-hotmart-pages-")  # noqa: SIM115
        data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._write_at)
        self._file.write(data)
        self._write_at += len(data)
        self._on_disk += 1
        self.spilled_bytes += len(data)

    def _unspill(self) -> Any:
        assert self._file is not None
        self._file.seek(self._read_at)
        item = pickle.load(self._file)
        self._read_at = self._file.tell()
        self._on_disk -= 1
        if not self._on_disk:
            # drained: the next items may go to memory again, and the file starts over
            self._file.seek(0)
            self._file.truncate()
            self._write_at = self._read_at = 0
        return item
