"""The core: what every runtime shares, and the path one exploration takes through it.

    scenario -> runtime -> strategy -> trace -> minimise -> report

A runtime (``races.runtimes``) runs the scenario once per *chooser*, recording its steps
and the decisions where more than one thread (task, greenlet) could run. A *strategy*
hands out the choosers, run after run, until one fails. A failing run is *shrunk* to the
fewest preemptions and steps, *confirmed* by a strict replay, and its steps become a
*trace*, which the ``Result`` renders. None of this knows which runtime it drives.

Modules
-------
``runtime``       the ``Runtime`` protocol, one exploration at a time, watched values
``exploration``   search, shrink, confirm: the path of one ``explore`` or ``replay``
``strategies``    random, pct, dfs, hypothesis, replay, and the registry of their names
``minimize``      shrinking a failing run
``confirm``       replaying the shrunk run strictly, and never losing a failure
``diagnosis``     why nobody can run (deadlock, stuck), lost work, lost errors
``steps``         the step log a controlled event loop keeps of a run
``trace``         the steps of a run, and their rendering with one column per thread
``result``        what ``explore`` returns, and the exceptions that carry it
``codefilter``    which code is under test
``instructions``  which instructions are switch points, and how to show one
``sites``         where a thread is, in the user's code
"""
