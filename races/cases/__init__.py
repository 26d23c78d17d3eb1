"""The built-in catalogue: one package per lesson, each a broken program and its fixes.

Read them in order (``races list``); every broken module's docstring explains the bug,
walks through the losing interleaving, and names the fix. Run any variant on real
threads with ``python -m races.cases.<case>.<variant>``, or under the scheduler with
``races run <case>``.
"""
