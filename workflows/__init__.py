"""Deterministic orchestration: one long-lived ``CandidateWorkflow`` per candidate, and one
``InterviewerWorkflow`` per interviewer (their time: every booking is decided there).

``candidate.py`` is the workflow (handlers record, the loop acts); ``delivery.py`` and
``search_attributes.py`` are the workflow code it calls; ``interviewer.py`` the interviewer's;
``projecting.py`` how both write the read model; ``inputs.py`` their start inputs.

May import: ``domain``, ``activities`` (names and inputs only). Imported by: ``services``
(the workflows' client), ``workers`` (to host it), the tests.
"""
