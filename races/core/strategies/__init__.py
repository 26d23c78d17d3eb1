"""Search strategies: each decides, run after run, which thread runs at each decision.

``random``      uniform choice at every decision: finds small races fastest
``pct``         probabilistic concurrency testing (priorities and d-1 change points)
``dfs``         every schedule up to a preemption bound, depth first
``hypothesis``  schedules drawn and shrunk by Hypothesis, known failures replayed first
``replay``      one given schedule (used by ``races.replay`` and by shrinking)

``registry`` is the one list of their names, which plugins can extend.
"""
