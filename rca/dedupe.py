"""Drop records that were delivered twice.

Logs reach an incident folder more than once in ordinary ways: Filebeat
delivers at least once, a copytruncate rotation can leave the same lines in
``installer.log.1`` and ``installer.log``, and ``journalctl`` exports of
overlapping time ranges repeat entries. Two events are the same record when
they have the same node, the same time stamp and the same raw text. The first
one seen is kept and each later copy is dropped and reported through a callback,
so the caller can count it where it came from.

Only events with a time stamp are compared. Identical lines without one (tool
output printing ``done`` twice) are separate records.

The time stamp compared is the one written in the log: when `rca.timeorder`
moved an event, its ``fields["original_timestamp"]``. A copy that one file read
before a clock step and another file read after it is therefore still a copy.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Callable, Iterable, Iterator

from rca.model import Event

log = logging.getLogger(__name__)

DuplicateCallback = Callable[[Event], None]

# 128-bit digests: a false match between two different records, which would
# drop a real record, has a probability near 1e-20 for a billion records.
_DIGEST_SIZE = 16


class Deduplicator:
    """Remembers every timestamped record it has passed.

    The memory held is one 16-byte digest (plus set overhead, about 90 bytes in
    CPython) per distinct timestamped record.
    """

    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self.dropped = 0

    def is_duplicate(self, event: Event) -> bool:
        """Return True when an equal record was seen before; remember the record otherwise."""
        key = record_key(event)
        if key is None:
            return False
        if key in self._seen:
            self.dropped += 1
            return True
        self._seen.add(key)
        return False

    def filter(self, events: Iterable[Event],
               on_duplicate: DuplicateCallback | None = None) -> Iterator[Event]:
        """Yield the events that are not copies; pass each copy to `on_duplicate`."""
        for event in events:
            if not self.is_duplicate(event):
                yield event
            elif on_duplicate is not None:
                on_duplicate(event)


def deduplicate(events: Iterable[Event],
                on_duplicate: DuplicateCallback | None = None) -> Iterator[Event]:
    """Yield `events` without later copies of a record; see `Deduplicator.filter`."""
    yield from Deduplicator().filter(events, on_duplicate)


def record_key(event: Event) -> bytes | None:
    """Return the digest of node, written time stamp and raw text, or None without a time."""
    original = event.fields.get("original_timestamp")
    timestamp = original if isinstance(original, float) else event.timestamp
    if timestamp is None:
        return None
    digest = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    digest.update(struct.pack("<d", timestamp))
    digest.update(event.node.encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update(event.raw.encode("utf-8", "surrogatepass"))
    return digest.digest()
