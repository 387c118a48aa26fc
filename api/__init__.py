"""The HTTP edge (FastAPI): only HTTP lives here. ``app.py`` wires it, ``routes/`` (one module
per resource) and ``pages/`` (the recruiter's pages, with ``templates/`` and ``static/``) are thin:
each translates a request into one use case of ``services`` or one read of ``store``. Around
them: ``permissions.py`` (who may call each route, declared on the route), ``access.py`` (who is
calling), ``bodies.py`` (what a body may be, read once), ``errors.py`` (one error shape),
``signatures.py`` (webhook signatures), ``telemetry.py``.

May import: ``services``, ``store``, ``domain``, ``channels``, ``bridges``, ``config``.
Imported by: ``workers`` (to serve it), the tests.
"""
