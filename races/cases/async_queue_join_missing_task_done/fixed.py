"""Fix: `task_done()` in `finally:`, so a failing job is marked done too."""

import asyncio

done: list[str] = []


def process(job: str) -> str:
    if job == "bad":
        raise ValueError("cannot process a bad job")
    return job.upper()


async def worker(jobs: "asyncio.Queue[str]") -> None:
    while True:
        job = await jobs.get()
        try:
            done.append(process(job))
        except ValueError:
            pass
        finally:
            jobs.task_done()


async def scenario() -> None:
    done.clear()
    jobs: asyncio.Queue[str] = asyncio.Queue()
    consumer = asyncio.create_task(worker(jobs))
    for job in ("ok", "bad", "ok"):
        jobs.put_nowait(job)
    await jobs.join()
    consumer.cancel()


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"All jobs done: {done}")
