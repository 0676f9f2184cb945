"""The queue between an account's read and its emission: memory, then disk, in order."""

from __future__ import annotations

import threading

import msgspec
import pytest

from tap_hotmart.page_spool import PageSpool, SpoolClosedError


def test_items_come_back_in_order_from_memory_then_disk_then_memory() -> None:
    spool = PageSpool(threading.Event(), memory_bytes=10)
    for n in range(5):
        spool.put(msgspec.Raw(b"[%d]" % n), 4)  # two fit in memory, three go to disk
    assert spool.spilled_bytes > 0
    assert [bytes(spool.get()) for _ in range(3)] == [b"[0]", b"[1]", b"[2]"]
    spool.put("after", 1)  # the disk still holds older items: this one goes after them
    assert [spool.get() for _ in range(3)] == [msgspec.Raw(b"[3]"), msgspec.Raw(b"[4]"), "after"]
    spool.put("memory again", 1)
    assert spool.get() == "memory again"
    spool.close()


def test_a_full_disk_holds_the_producer_until_the_consumer_reads() -> None:
    cancel = threading.Event()
    spool = PageSpool(cancel, memory_bytes=0, disk_bytes=1)
    spool.put("first", 1)  # on disk: the disk part is now full
    producer = threading.Thread(target=spool.put, args=("second", 1))
    producer.start()
    producer.join(0.3)
    assert producer.is_alive()
    assert spool.get() == "first"
    producer.join(2)
    assert not producer.is_alive()
    assert spool.get() == "second"


def test_cancelling_wakes_a_waiting_consumer() -> None:
    cancel = threading.Event()
    spool = PageSpool(cancel)
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(SpoolClosedError):
        spool.get()
