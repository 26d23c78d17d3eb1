"""A reader process reads a Pipe until EOF; the parent forgets to close its own write end.

What goes wrong
---------------
`recv()` raises `EOFError` only when *every* copy of the pipe's write end is closed. The
writer closes its end when it is done, but the parent made the pipe, handed the write end
to the writer, and still holds its own copy. The reader, having read every message,
waits for more that nobody will ever send, and never sees EOF:

    parent   reader_end, writer_end = Pipe(duplex=False); starts reader and writer
    writer   sends 3 messages, closes its copy of writer_end, exits
    reader   recv() x 3, then recv() again: waits
    parent   joins the reader: waits too, holding the write end that keeps it waiting

Under `fork` there is one more copy: the reader inherits every descriptor of the parent,
the write end included, so it holds open the very end it waits to see closed. No timing
is involved: it hangs every time, under both start methods.

The fixes
---------
`fixed_close_write_end.py` has every process close the ends it does not use: the parent
closes its copies right after starting the children, and the reader closes the write end
it inherits under `fork`. The writer's close is then the last one, and the reader gets
its EOF. `fixed_sentinel.py` has the writer end with a sentinel message, `None` for
"done", and the reader stop on it: that does not depend on who holds which end. But a
writer that dies before its sentinel leaves the reader waiting again; only closed ends
turn a dead writer into an EOF, so real code does both.

See also `mp_queue_join_before_drain`, another wait on a pipe, and
`one_sentinel_many_consumers`, where one sentinel is not enough.

Measured on a real interpreter
------------------------------
`races stress`, at most 10 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  2 of 2 counted runs (100%); stopped after 2 hang(s)
    spawn                 2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         cannot: processes
"""

import multiprocessing


def write(end) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        end.send(n)
    end.close()


def read(end, got) -> None:  # type: ignore[no-untyped-def]
    while True:
        try:
            got.put(end.recv())
        except EOFError:  # only when every write end is closed
            return


def run(method: str, timeout: float = 60) -> int:
    ctx = multiprocessing.get_context(method)
    reader_end, writer_end = ctx.Pipe(duplex=False)
    got = ctx.Queue()
    reader = ctx.Process(target=read, args=(reader_end, got))
    writer = ctx.Process(target=write, args=(writer_end,))
    try:
        reader.start()
        writer.start()
        # The parent still holds writer_end here: the reader's EOF never comes.
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
    run(method)


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    try:
        run("spawn", timeout=2)
        print("The reader saw EOF.")
    except TimeoutError as exc:
        print(f"Hung: {exc}.")
