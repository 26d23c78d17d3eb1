"""Per-code tables are keyed by a code object's identity, never by the object itself.

races keeps tables per code object (which code is under test, its switch points, what
each instruction touches, what a focused search skips) and looks in them at every trace
event, several times. A code object's hash is not cached: each lookup hashes its name,
its bytecode, its constants and its names again, which measured 250 ns on 3.11 and 750 ns
on 3.12 and 3.13 for ``threading.Thread.__init__``, against a few ns for ``id(code)``.

A table therefore looks up ``id(code)``, and stores what ``keep(code)`` returns: the same
id, with the code object kept alive for the rest of the process, so that no other code
object can be given that id. (Two equal code objects, the same function in two files,
get keys of their own, as they should: one's quiet location is not the other's.)
"""

from __future__ import annotations

from types import CodeType

#: Every code object some table has a key for, by id: alive while the process is.
_kept: dict[int, CodeType] = {}


def keep(code: CodeType) -> int:
    """The key of ``code`` in a per-code table: ``id(code)``, safe to store from now on."""
    key = id(code)
    if key not in _kept:
        _kept[key] = code
    return key
