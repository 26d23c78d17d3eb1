"""The three runtimes races explores: OS threads, asyncio tasks, and gevent greenlets.

Each runtime runs a scenario once per chooser, one thread (task, greenlet) at a time, and
turns what happened into an ``Outcome`` (see ``races.core.runtime.Runtime``). They share
the core and never import each other.
"""
