"""Processes: the ``enrolments`` command (``cli.py`` and ``arguments.py``), the Temporal
workers (``worker.py``), the HTTP server, the embedded dev stack (``dev.py``, ``dev_server.py``)
and its demo company (``demo.py``, ``demo_company.py``), and the operators' commands
(``reconcile.py``, ``keys.py``, ``imports.py``).

May import: anything of ours but ``bench``. Imported by: ``bench``, the tests.
"""
