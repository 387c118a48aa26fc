"""Use cases: what the product does when it is asked, whoever asks.

Each module is one concept of the product (ATS events, vendor webhooks, module progress,
recruiters' actions, erasure, configuration, delivery reports, candidates' replies, imports,
drift repair, interviewers' availability, interviews). Routes, pages and CLI commands call them
the same way, with a ``Context`` (settings, the read model, the candidates' workflows); they
answer with values and refuse with ``services.errors.Refused``. A use case goes down once: read
what it needs, ask the candidate's (or the interviewer's) workflow, return its answer.

May import: ``domain``, ``workflows`` (to call them), ``store``, ``channels``, ``bridges``,
``config``. Imported by: ``api``, ``workers``, ``bench``, ``tests``.
"""
