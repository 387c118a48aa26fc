"""The read model: SQL tables recruiters' views read (``schema.py``, one writer per table, each
named in its table's docstring), the queries behind the views, and every statement the product
runs. No SQL lives outside ``store/``.

May import: ``domain``. Imported by: ``activities``, ``channels``, ``services``, ``api``,
``workers``, ``bench``.
"""
