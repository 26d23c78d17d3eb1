"""A memcached server, as the access model sees it through ``pymemcache``'s client.

The cache's entries live in another process, so the threads' reads and writes of them
are socket I/O that races cannot look into. This model names what each call does to the
entry it is about, ``memcached['page:views']``, one location per server and key:

* ``get``, ``gets``, ``get_many``: read;
* ``set``, ``set_many``, ``replace``, ``delete``: write;
* ``incr``, ``decr``, ``add``, ``append``, ``prepend``: one atomic update, done by the
  server (``add`` writes only if the key is absent);
* ``cas``: a compare-and-set: it writes only if nobody wrote since the ``gets``, and a
  ``cas`` that fails makes the caller read again, so the pair never loses an update;
* making the client, ``close``, ``quit``: nothing shared (its own connection).

The socket I/O inside these calls is then what the model says, not opaque.

``get`` then ``set`` of one entry by two threads is then a lost update like any other.
The model is installed only when the code under test has imported pymemcache.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from races.runtimes.threads.models import library
from races.vocabulary.access import Kind, Location

_KINDS = {
    "get": Kind.READ,
    "get_many": Kind.READ,
    "gets": Kind.READ,
    "set": Kind.WRITE,
    "set_many": Kind.WRITE,
    "replace": Kind.WRITE,
    "delete": Kind.WRITE,
    "incr": Kind.UPDATE,
    "decr": Kind.UPDATE,
    "add": Kind.UPDATE,
    "append": Kind.UPDATE,
    "prepend": Kind.UPDATE,
    "cas": Kind.CAS,
}


def _entry(client: Any, key: Any) -> Location:
    server = getattr(client, "server", None)
    owner = zlib.crc32(repr(server).encode())  # one owner per server, in every process
    text = key.decode() if isinstance(key, bytes) else str(key)
    return Location(owner, text, f"memcached[{text!r}]")


def _keys(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterable[Any]:
    if name == "get_many":
        return list(args[0] if args else kwargs.get("keys", ()))
    if name == "set_many":
        return list(args[0] if args else kwargs.get("values", {}))
    return [args[0] if args else kwargs.get("key")]


def _model(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    kind = _KINDS[name]
    whole = library.described(real)  # its socket I/O is what the logged access says

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        for key in _keys(name, args, kwargs):
            library.log(_entry(self, key), kind)
        return whole(self, *args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def client_class() -> type | None:
    """pymemcache's ``Client``, when the program has imported it."""
    module = sys.modules.get("pymemcache.client.base")
    return module.Client if module is not None else None


#: Calls that touch only the client's own connection, never an entry: their socket I/O
#: is not opaque either.
_LOCAL = ("__init__", "close", "quit")


def methods(client: type) -> dict[str, Callable[..., Any]]:
    """What to set on ``client``: each call it makes, logged as what it does."""
    found = {
        name: _model(name, client.__dict__[name]) for name in _KINDS if name in client.__dict__
    }
    for name in _LOCAL:
        if name in client.__dict__:
            found[name] = library.described(client.__dict__[name])
    return found
