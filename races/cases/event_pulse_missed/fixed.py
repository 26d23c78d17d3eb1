"""Fix: count openings under a Condition; the visitor waits until the count passes the one it saw."""

import threading

door = threading.Condition()
openings = 0
entered: list[str] = []


def visitor(seen: int) -> None:
    with door:
        door.wait_for(lambda: openings > seen)
    entered.append("visitor")


def doorkeeper() -> None:
    global openings
    with door:
        openings += 1
        door.notify_all()


def scenario() -> None:
    global openings
    openings = 0
    entered.clear()
    v = threading.Thread(target=visitor, args=(openings,))  # what the visitor saw on arrival
    k = threading.Thread(target=doorkeeper)
    v.start()
    k.start()
    v.join()
    k.join()
    assert entered == ["visitor"]


if __name__ == "__main__":
    scenario()
    print("The visitor got in.")
