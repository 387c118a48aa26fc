"""Deterministic orchestration: one long-lived ``CandidateWorkflow`` per candidate.

``candidate.py`` is the workflow (handlers record, the loop acts); ``delivery.py`` and
``search_attributes.py`` are the workflow code it calls; ``inputs.py`` its start input.

May import: ``domain``, ``activities`` (names and inputs only). Imported by: ``services``
(the workflows' client), ``workers`` (to host it), the tests.
"""
