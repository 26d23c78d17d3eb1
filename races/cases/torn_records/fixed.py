"""Fix: one write per record, under a lock every writer shares."""

import threading

log: list[str] = []
log_lock = threading.Lock()


def write_record(name: str, amount: int) -> None:
    with log_lock:
        log.append(f"{name} {amount}")


def scenario() -> None:
    log.clear()
    writers = [threading.Thread(target=write_record, args=r) for r in (("alice", 10), ("bob", 20))]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert sorted(log) == ["alice 10", "bob 20"], f"torn: {log}"


if __name__ == "__main__":
    scenario()
    print(log)
