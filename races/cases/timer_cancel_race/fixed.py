"""Fix: decide "fire or cancel" once, under a lock, and act on what was decided."""

import threading
import time

sent: list[str] = []
state_lock = threading.Lock()
state = {"reminder": "pending"}


def send_reminder() -> None:
    with state_lock:
        if state["reminder"] != "pending":
            return
        state["reminder"] = "sent"
    sent.append("reminder")


def cancel_reminder(timer: threading.Timer) -> bool:
    """True if the reminder was cancelled in time, False if it was already sent."""
    timer.cancel()
    with state_lock:
        if state["reminder"] == "pending":
            state["reminder"] = "cancelled"
            return True
        return False


def scenario() -> None:
    sent.clear()
    state["reminder"] = "pending"
    timer = threading.Timer(0.05, send_reminder)
    timer.start()
    time.sleep(0.05)
    cancelled = cancel_reminder(timer)
    timer.join()
    assert cancelled == (not sent), "the code and the world disagree about the reminder"


if __name__ == "__main__":
    scenario()
    print(f"Reminder {state['reminder']}.")
