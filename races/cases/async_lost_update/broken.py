"""Three tasks count a hit each: read the counter, await a log write, store the counter + 1.

What goes wrong
---------------
The read and the write are separated by an `await`. While one task is suspended there,
the others read the same old value; when they resume, each writes old + 1, and all but
one increment are lost. The unlocked counter of the threads lesson needs an unlucky
preemption; here a single `await` is enough, in every run.

The interleaving races prints, below, is asyncio's default FIFO order. Each task reads
`hits` (0) and awaits `log()` before any of them writes; then Task-1, Task-2 and Task-3
each store `value + 1`. The counter ends at 1 of 3 hits: two are lost.

What races prints
-----------------
`races run async_lost_update` finds it and prints (CPython 3.11):

    Lost update: Task-3 (count_hit) read `hits` (broken.py:56), Task-2 (count_hit) wrote `hits`
    (broken.py:58), Task-3 (count_hit) wrote `hits` (broken.py:58): Task-2 (count_hit)'s update is lost

        4 Task-3 (count_hit) value = hits   (broken.py:56) [read hits]
        5 Task-1 (count_hit) hits = value + 1   (broken.py:58) [write hits]
        6 Task-2 (count_hit) hits = value + 1   (broken.py:58) [write hits]
        7 Task-3 (count_hit) hits = value + 1   (broken.py:58) [write hits]

The fixes
---------
`fixed_no_await.py` moves the await out of the read-modify-write: between two awaits,
code is atomic, so `hits += 1` with no await inside cannot be interleaved.
`fixed_lock.py` keeps the await inside and holds an `asyncio.Lock` across it.

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (assertion)
    random, seed 0        1 schedule(s)
    pct, seed 0           70 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio

hits = 0


async def log(message: str) -> None:
    await asyncio.sleep(0)


async def count_hit() -> None:
    global hits
    value = hits
    await log("hit")
    hits = value + 1


async def scenario() -> None:
    global hits
    hits = 0
    await asyncio.gather(*(count_hit() for _ in range(3)))
    assert hits == 3, f"lost update: {hits} of 3 hits counted"


if __name__ == "__main__":
    try:
        asyncio.run(scenario())
        print(f"Hits: {hits}")
    except AssertionError as exc:
        print(exc)
