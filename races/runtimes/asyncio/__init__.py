"""asyncio: a coroutine scenario as the main task of an event loop whose choice of the next
ready task is the scheduler's (``loop``), one fresh loop per schedule (``session``).
"""
