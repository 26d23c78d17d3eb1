"""Fix: writers and the reporter share a lock; the reporter iterates a snapshot taken under it."""

import threading

sessions = {"alice": 1, "bob": 2}
sessions_lock = threading.Lock()


def report(out: list[str]) -> None:
    with sessions_lock:
        snapshot = list(sessions)
    for user in snapshot:
        out.append(user)


def handle_login() -> None:
    with sessions_lock:
        sessions["carol"] = 3


def scenario() -> None:
    sessions.clear()
    sessions.update(alice=1, bob=2)
    out: list[str] = []
    threads = [threading.Thread(target=report, args=(out,)), threading.Thread(target=handle_login)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    scenario()
    print(f"Sessions: {sessions}")
