"""Fix: join without a timeout, when waiting as long as it takes is acceptable."""

import threading
import time

NOT_YET = "widget: price not available yet"


def fetch_price(prices: dict[str, int]) -> None:
    time.sleep(0.1)  # the price service takes 0.1 s to answer
    prices["widget"] = 42


def show_price(page: list[str]) -> threading.Thread:
    """Put the widget's price on the page, waiting for it as long as it takes."""
    prices: dict[str, int] = {}
    worker = threading.Thread(target=fetch_price, args=(prices,))
    worker.start()
    worker.join()  # no timeout: returns only once the worker has finished
    page.append(f"widget: {prices['widget']} EUR")
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
