"""A small test suite for a cache shared between threads (README: Testing your own code).

cachetools' caches are not thread-safe, as its documentation says. `test_lookups_from_two_threads`
passes when pytest runs it plainly: the race needs a thread switch inside one line of the
library. `pytest --races-detect` predicts it from that passing run, and `races explore`
shows it happen. `test_lookups_under_a_lock` is the fix.
"""

import threading

import cachetools

prices = cachetools.LRUCache(maxsize=100)
prices_lock = threading.Lock()


def price(item: str) -> int:
    if item not in prices:
        prices[item] = len(item) * 10  # stands in for a slow lookup
    return prices[item]


def locked_price(item: str) -> int:
    with prices_lock:
        return price(item)


def lookups(get) -> None:
    prices.clear()
    threads = [threading.Thread(target=get, args=(item,)) for item in ("tea", "coffee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert prices.currsize == len(prices) == 2


def test_lookups_from_two_threads() -> None:
    lookups(price)


def test_lookups_under_a_lock() -> None:
    lookups(locked_price)
