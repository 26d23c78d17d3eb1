"""A real memcached on 127.0.0.1 for this lesson: started once per process, stopped at exit.

Not the lesson, only its stage: the lesson's programs talk to a real cache server, as
their readers' programs do, so this starts one on a free port the first time it is asked
for, waits until it accepts connections, and stops it when the process exits. It stays in
the process group of the program that started it, so whatever kills the group kills it.
"""

import atexit
import os
import select
import shutil
import socket
import subprocess
import threading
import time

INSTALL = "memcached is not installed here: apt-get install memcached, or see memcached.org"

_lock = threading.Lock()
_address = None


def memcached() -> "tuple[str, int]":
    """The address of this process's memcached, started on the first call."""
    global _address
    with _lock:
        if _address is None:
            _address = _start()
        return _address


def _start(attempts: int = 5) -> "tuple[str, int]":
    binary = shutil.which("memcached")
    if binary is None:
        raise RuntimeError(INSTALL)
    for _ in range(attempts):  # a free port may be taken between finding and binding it
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "1", "-m", "16"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command += ["-u", "root"]  # memcached refuses to run as root unless told to
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if _accepts(port, server):
            atexit.register(_stop, server)
            return ("127.0.0.1", port)
        _stop(server)
    raise RuntimeError(f"memcached did not start on 127.0.0.1 in {attempts} attempts")


def _accepts(port: int, server: subprocess.Popen, seconds: float = 5.0) -> bool:  # type: ignore[type-arg]
    """Wait until the server accepts a connection (or has died)."""
    for _ in range(int(seconds / 0.01)):
        if server.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            # A real pause, even where time.sleep runs on a test's virtual clock.
            select.select([], [], [], 0.01)
    return False


def _stop(server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    print(f"memcached listening on {memcached()}; stopping it in 1 s")
    time.sleep(1)
