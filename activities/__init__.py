"""Every side effect of the engine: delivering messages (``delivery.py``), writing the read
model (``projection.py``), sending interview invitations (``invitations.py``) and reading
interviewers' calendar feeds (``calendar_feeds.py``), writing outcomes back to vendor ATSs
(``writeback.py``, through ``bridges.writeback``); ``contracts.py`` names them and their
inputs for the workflows.

May import: ``domain``, ``channels``, ``bridges``, ``store``, ``config``. Imported by: ``workflows``
(``contracts`` only), ``workers``.
"""
