"""Fix: an asyncio.Lock across the check, the await and the withdrawal."""

import asyncio

balance = 100


async def confirm() -> None:
    await asyncio.sleep(0.01)


async def withdraw(amount: int, lock: asyncio.Lock) -> None:
    global balance
    async with lock:
        if balance >= amount:
            await confirm()
            balance -= amount


async def scenario() -> None:
    global balance
    balance = 100
    lock = asyncio.Lock()
    await asyncio.gather(withdraw(80, lock), withdraw(80, lock))
    assert balance >= 0, f"overdrawn: balance is {balance}"


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Balance: {balance}")
