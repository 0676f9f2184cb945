"""Where facts about an account that outlive a run are kept: its `sales` partition state.

The Singer state has no per-account place besides the stream partitions. `sales` is read
for every account and syncs first (every date-window stream `syncs_after` it), so its
partition (`{"context": {"account_id": ...}}`) holds, next to the bookmark, what the tap
learns about the account as a whole: where its history starts (`history_start`) and what
a full sync of it costs (`summary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ACCOUNT_STREAM = "sales"


def account_partitions(
    tap_state: Mapping[str, Any], stream: str = ACCOUNT_STREAM
) -> dict[str, Mapping[str, Any]]:
    """The per-account partitions of a stream (`sales` unless named) in a tap state."""
    bookmarks = tap_state.get("bookmarks", {}).get(stream, {})
    partitions = {}
    for partition in bookmarks.get("partitions", []):
        context = partition.get("context")
        if isinstance(context, dict) and context.keys() == {"account_id"}:
            partitions[str(context["account_id"])] = partition
    return partitions
