"""Configuration: settings read once from the environment (``settings.py``), the Temporal
connection, payload encryption, logs, metrics and traces, ports and private files.

May import: ``domain``. Imported by: every package that runs I/O.
"""
