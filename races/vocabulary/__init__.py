"""The words every layer of races shares, and nothing else: kinds, outcomes, schedules, errors.

Everything here is plain data with no behaviour beyond parsing and describing itself, and
imports nothing of races: the scheduler's core, the runtimes, the catalogue and the
command line all speak in these terms.
"""
