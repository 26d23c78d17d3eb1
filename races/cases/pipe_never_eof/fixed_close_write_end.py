"""Fix: every process closes the ends it does not use: the writer's close is then the EOF."""

import multiprocessing


def write(end) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        end.send(n)
    end.close()


def read(end, unused, got) -> None:  # type: ignore[no-untyped-def]
    unused.close()  # a forked reader inherits the write end too: its copy must go
    while True:
        try:
            got.put(end.recv())
        except EOFError:
            return


def run(method: str, timeout: float = 60) -> int:
    ctx = multiprocessing.get_context(method)
    reader_end, writer_end = ctx.Pipe(duplex=False)
    got = ctx.Queue()
    reader = ctx.Process(target=read, args=(reader_end, writer_end, got))
    writer = ctx.Process(target=write, args=(writer_end,))
    try:
        reader.start()
        writer.start()
        writer_end.close()  # the writer's copy is now the last: its close is the EOF
        reader_end.close()
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
    print(f"The reader got {run('spawn')} messages and saw EOF.")
