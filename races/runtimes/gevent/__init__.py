"""gevent: greenlets woken by a hub whose event loop is races' own (``loop``), in a child
process that gevent has monkey-patched (``child``), one fresh hub per schedule
(``session``).
"""
