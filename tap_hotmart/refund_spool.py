"""The sales in a refund status that `sales` read, kept for `refunds` in the same run.

`refunds` is every sale now in a refund status over the whole history. In a run where
`sales` reads an account's whole history of refund statuses anyway (its windows, of every
status, and on an incremental run its sweep of the refund statuses before them), asking
Hotmart for them again costs as many requests as there are refunds pages (27 of 233 calls
of a 200,000-sale account's incremental run, benchmarks/README.md, section 3) for the
same rows. So `sales` writes those records here as it emits them, and `refunds` replays
them instead of reading. Records wait on disk (JSON lines in a temporary file), not in
memory: a large account has tens of thousands.

A spool counts only once `sales` has read every window of the account (`finish`); a run
where it stopped earlier, or did not read `sales` at all, reads `refunds` from Hotmart.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class RefundSpool:
    """One account's refund-status records of one `sales` read, on disk."""

    def __init__(self) -> None:
        # closed by `replay` or `discard`, and by the garbage collector otherwise
        spool = tempfile.TemporaryFile(prefix="tap-hotmart-refunds-")  # noqa: SIM115
        self._file: IO[bytes] | None = spool
        self.complete = False
        self.count = 0

    def add(self, record: dict) -> None:
        """Keep `record` (as `sales` emits it) for `refunds`, while the read is under way."""
        if self._file is not None and not self.complete:
            self._file.write(_ENCODER.encode(record) + b"\n")
            self.count += 1

    def finish(self) -> None:
        """`sales` read the account's whole history: the spool holds every refund."""
        self.complete = True

    def replay(self) -> Iterator[dict]:
        """The records kept, in the order `sales` read them; the spool is gone after."""
        if self._file is None or not self.complete:
            raise RuntimeError("replayed a refund spool that sales did not finish")
        spool, self._file = self._file, None
        with spool:
            spool.seek(0)
            for line in spool:
                yield _DECODER.decode(line)

    def discard(self) -> None:
        """Drop what was kept (the read was not complete, or is not needed)."""
        if self._file is not None:
            self._file.close()
            self._file = None
