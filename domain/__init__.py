"""The recruiting domain: campaigns, jobs, enrolments, their statuses and the candidate thread.

Pure models and rules only: nothing here performs I/O, so workflows use it inside Temporal's
sandbox and the property tests drive it directly. ``thread.py`` is the whole state of a
candidate and its rules; what each kind of event does to it is a module of its own
(``application_events``, ``progress``, ``deliveries``, ``sending``, ``interventions``).

May import: nothing of ours. Imported by: every other package.
"""
