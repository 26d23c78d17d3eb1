import threading

from pymemcache.client.base import Client

from .server import memcached

KEY = "page:views"


def count_view() -> None:
    cache = Client(memcached(), no_delay=True)
    while True:
        views, token = cache.gets(KEY)
        # Stored only if nobody wrote since `gets` issued the token; otherwise read again.
        if cache.cas(KEY, int(views) + 1, token):
            break
    cache.close()


def scenario() -> None:
    cache = Client(memcached(), no_delay=True)
    cache.set(KEY, 0)
    clients = [threading.Thread(target=count_view) for _ in range(2)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    views = int(cache.get(KEY))
    cache.close()
    assert views == 2, f"lost update: the cache counted {views} of 2 views"


def setup() -> None:
    memcached()


def _count_views(times: int) -> None:
    cache = Client(memcached(), no_delay=True)
    for _ in range(times):
        while True:
            views, token = cache.gets(KEY)
            if cache.cas(KEY, int(views) + 1, token):
                break
    cache.close()


def stress(processes: int = 2, times: int = 300) -> None:
    import multiprocessing

    cache = Client(memcached(), no_delay=True)
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
