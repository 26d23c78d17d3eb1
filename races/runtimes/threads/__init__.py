"""Threads: unmodified ``threading``, ``queue`` and ``concurrent.futures`` code, one OS thread
at a time. ``execution`` runs one schedule; ``tracing`` puts switch points into the code
under test; ``patches`` installs the modelled leaves of ``models``; ``session`` runs many
schedules with everything installed once; ``deadlock`` reads a stalled run's wait-for
graph.
"""
