"""The candidate's side over HTTP: the pages their personal link opens (``/c/<token>``), mobile
first, working without JavaScript, in the candidate's language, and their JSON twins.

May import: ``services``, ``store`` (to read), ``domain``, ``config``; the recruiter's ``api``
modules for what every route shares (bodies, permissions, errors).
"""
