"""Messaging channels: how a message reaches a candidate. ``base.py`` is the ``Channel`` and
``Provider`` interfaces, ``dispatch.py`` sends each message exactly once through its channel's
provider, ``twilio.py``, ``smtp.py`` and ``outbox.py`` (the default) are the providers,
``invitations.py`` sends interview invitations (with their ``.ics``) to anyone, and
``registry.py`` says which channel takes which address and provider.

May import: ``domain``, ``store``, ``config``. Imported by: ``activities``, ``services``,
``api``, ``workers``.
"""
