"""Fix: one global lock order, by account id."""

import asyncio


class Account:
    def __init__(self, ident: int, balance: int) -> None:
        self.ident = ident
        self.balance = balance
        self.lock = asyncio.Lock()


async def audit() -> None:
    await asyncio.sleep(0)


async def transfer(source: Account, target: Account, amount: int) -> None:
    first, second = sorted((source, target), key=lambda account: account.ident)
    async with first.lock:
        await audit()
        async with second.lock:
            source.balance -= amount
            target.balance += amount


async def scenario() -> None:
    a, b = Account(1, 100), Account(2, 100)
    await asyncio.gather(transfer(a, b, 10), transfer(b, a, 20))
    assert a.balance + b.balance == 200


if __name__ == "__main__":
    asyncio.run(scenario())
    print("Both transfers done.")
