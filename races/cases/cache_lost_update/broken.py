"""Two clients count a page view in a shared cache: get the count, add one, set it back.

What goes wrong
---------------
The tutorials' first cache: every web server process keeps its counters in memcached,
reads a value with `get`, computes, and writes it back with `set`. Each call is atomic on
the server, but the three steps are not: between one client's `get` and its `set`, the
other client can `get` the same old count. Both then `set` count + 1, and one view is
lost. It is `unlocked_counter` again, except that the shared variable lives in another
process, so no lock in your program can protect it.

In the interleaving races prints, below (the clients are threads here, so races can
choose who goes when; in production they are processes on different machines), Thread-1
gets the count, 0, and is preempted; Thread-2 gets the same 0 and sets 1; Thread-1 then
sets 1 too, from its stale 0: a view is lost. races names the shared variable after the
server's key, `memcached['page:views']`.

What races prints
-----------------
`races run cache_lost_update` finds it and prints (CPython 3.11):

    Lost update: Thread-1 (count_view) read `memcached['page:views']` (broken.py:68), Thread-2
    (count_view) wrote `memcached['page:views']` (broken.py:69), Thread-1 (count_view) wrote
    `memcached['page:views']` (broken.py:69): Thread-2 (count_view)'s update is lost

       11 Thread-1 (count_view) views = int(cache.get(KEY) or 0)   (broken.py:68) [read memcached['page:views']]
          -- Thread-1 (count_view) is preempted here; MainThread runs
          ... 4 steps
       17 Thread-2 (count_view) views = int(cache.get(KEY) or 0)   (broken.py:68) [read memcached['page:views']]
       18 Thread-2 (count_view) cache.set(KEY, views + 1)   (broken.py:69) [write memcached['page:views']]
          ... 6 steps
       12 Thread-1 (count_view) cache.set(KEY, views + 1)   (broken.py:69) [write memcached['page:views']]

The fix
-------
Let the server do the read-modify-write. `fixed_incr.py` sends `incr`, which memcached
applies atomically. When the update is more than adding (a list, a JSON document),
`fixed_cas.py` uses check-and-set: `gets` returns the value with a token, and `cas`
stores the new value only if nobody has written since that token was issued; otherwise
the client reads again and retries.

The lesson starts its own memcached on a free port of 127.0.0.1 (`setup()`); without the
memcached program it is skipped, with the line that installs it.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     20 of 20 counted runs (100%)
    1 us switching        20 of 20 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         5 schedule(s)
"""

import threading

from pymemcache.client.base import Client

from .server import memcached

KEY = "page:views"


def count_view() -> None:
    cache = Client(memcached(), no_delay=True)  # its own connection, as each process has
    views = int(cache.get(KEY) or 0)
    cache.set(KEY, views + 1)
    cache.close()


def scenario() -> None:
    cache = Client(memcached(), no_delay=True)
    cache.set(KEY, 0)  # every run starts from the same count
    clients = [threading.Thread(target=count_view) for _ in range(2)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    views = int(cache.get(KEY))
    cache.close()
    assert views == 2, f"lost update: the cache counted {views} of 2 views"


def setup() -> None:
    """Start the cache server before the program runs (races calls this first)."""
    memcached()


def _count_views(times: int) -> None:
    cache = Client(memcached(), no_delay=True)
    for _ in range(times):
        views = int(cache.get(KEY) or 0)
        cache.set(KEY, views + 1)
    cache.close()


def stress(processes: int = 2, times: int = 300) -> None:
    """Real processes, as in production: each counts ``times`` views."""
    import multiprocessing

    address = memcached()
    cache = Client(address, no_delay=True)
    cache.set(KEY, 0)
    workers = [
        multiprocessing.get_context("fork").Process(target=_count_views, args=(times,))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    views = int(cache.get(KEY))
    cache.close()
    assert views == processes * times, f"lost update: {processes * times - views} views lost"


if __name__ == "__main__":
    setup()
    try:
        stress()
        print("Every view counted.")
    except AssertionError as exc:
        print(exc)
