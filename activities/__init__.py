"""Every side effect of the engine: delivering messages (``delivery.py``) and writing the
read model (``projection.py``); ``contracts.py`` names them and their inputs for the workflow.

May import: ``domain``, ``channels``, ``store``, ``config``. Imported by: ``workflows``
(``contracts`` only), ``workers``.
"""
