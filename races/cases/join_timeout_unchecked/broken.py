"""`worker.join(timeout=0.1)`, then the worker's result is used without asking whether it finished.

What goes wrong
---------------
`Thread.join(timeout)` returns when the thread ends *or* when the time is up, and it
returns `None` either way: it does not say which. Code that goes straight on to use the
worker's result assumes the first; when the second happened, the result is not there
yet, and the code uses whatever stands in for it.

`show_price` asks a worker to fetch a price, waits at most 0.1 s, and puts the price on
the page. The price service takes 0.1 s to answer, so the reply and the timeout are due
at the same moment, and either may come first. In the order races prints, below (the
scheduler's virtual clock makes both due at once; races tries each order), MainThread's
`worker.join(timeout=0.1)` times out first, and `prices.get('widget')` is None: the page
says "widget: None EUR". Only then does Thread-1 (fetch_price) store the price, too late
for the page.

races names it an order violation: MainThread read `prices['widget']` before Thread-1
wrote it, and nothing made the write come first. A `join` with a timeout orders nothing
when it times out. On a real interpreter the two are due at nearly the same moment as
well, and which comes first changes from run to run:
`python -m races.cases.join_timeout_unchecked.broken` shows twenty pages, some with the
price and some without.

What races prints
-----------------
`races run join_timeout_unchecked` finds it and prints (CPython 3.11):

    Order violation: MainThread read `prices['widget']` (broken.py:77) before Thread-1 (fetch_price)
    wrote it (broken.py:68), and nothing makes the write come first: MainThread acted on the state from
    before it

       11 MainThread page.append(f"widget: {prices.get('widget')} EUR")   (broken.py:77) [read prices['widget']]
          ... 3 steps of MainThread
       15 Thread-1 (fetch_price) prices["widget"] = 42   (broken.py:68) [write prices['widget']]

The fixes
---------
`fixed_is_alive.py` asks `worker.is_alive()` after the timed join: a live worker means
the time ran out, and the page says the price is not available yet instead of showing
one it does not have. (A program could also retry, or cancel the work.) `fixed_join.py`
joins without a timeout, when waiting as long as it takes is acceptable: `join()` then
returns only after the worker has finished, and its write happens before the read.

See also `timer_cancel_race`, where `Timer.cancel()` likewise does not say whether it was
in time.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     15 of 20 counted runs (75%)
    1 us switching        5 of 20 counted runs (25%)
    noise 0.01            3 of 20 counted runs (15%)
    the scheduler         2 schedule(s)
"""

import threading
import time

NOT_YET = "widget: price not available yet"


def fetch_price(prices: dict[str, int]) -> None:
    time.sleep(0.1)  # the price service takes 0.1 s to answer
    prices["widget"] = 42


def show_price(page: list[str]) -> threading.Thread:
    """Put the widget's price on the page, waiting at most 0.1 s for it."""
    prices: dict[str, int] = {}
    worker = threading.Thread(target=fetch_price, args=(prices,))
    worker.start()
    worker.join(timeout=0.1)  # returns after 0.1 s, finished or not, and does not say
    page.append(f"widget: {prices.get('widget')} EUR")
    return worker


def scenario() -> None:
    page: list[str] = []
    worker = show_price(page)
    worker.join()  # the program ends: the interpreter waits for the worker too
    assert page[0] in ("widget: 42 EUR", NOT_YET), f"the page shows {page[0]!r}"


def main() -> None:
    shown: dict[str, int] = {}
    for _ in range(20):
        page: list[str] = []
        show_price(page).join()
        shown[page[0]] = shown.get(page[0], 0) + 1
    for line, times in sorted(shown.items()):
        print(f"{times:2} of 20 pages show {line!r}")


if __name__ == "__main__":
    main()
