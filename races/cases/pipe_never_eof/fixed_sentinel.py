"""Fix: the writer ends with a sentinel, None for "done": the reader stops on it, not on EOF."""

import multiprocessing


def write(end) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        end.send(n)
    end.send(None)  # the sentinel: says "done" whoever still holds a write end
    end.close()


def read(end, got) -> None:  # type: ignore[no-untyped-def]
    while True:
        message = end.recv()
        if message is None:  # the sentinel: no need to wait for EOF
            return
        got.put(message)


def run(method: str, timeout: float = 60) -> int:
    ctx = multiprocessing.get_context(method)
    reader_end, writer_end = ctx.Pipe(duplex=False)
    got = ctx.Queue()
    reader = ctx.Process(target=read, args=(reader_end, got))
    writer = ctx.Process(target=write, args=(writer_end,))
    try:
        reader.start()
        writer.start()
        # The parent still holds writer_end here: harmless, the reader does not wait for EOF.
        writer.join(timeout)
        reader.join(timeout)
        if reader.is_alive():
            raise TimeoutError("the reader is still waiting for EOF")
        return got.qsize()
    finally:
        for p in (reader, writer):
            if p.is_alive():
                p.kill()
            p.join()


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    assert run(method) == 3


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"The reader got {run('spawn')} messages and the sentinel.")
