"""``enrolments keys create|list|revoke``, and the admin key ``enrolments dev`` signs in with.

Keys are written straight to the read model (the API only reads them): an operator with the
database can always mint the first admin key, whatever state the API is in.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config.private_files import write_private
from config.settings import Settings
from domain.access import Role
from store.access import ApiKeys, UnknownKey
from store.database import create_engine, session_factory
from store.migrate import upgrade
from workers.supervision import EXIT_FAILED, EXIT_OK

#: Where ``enrolments dev`` keeps the admin key it created (readable by its owner only).
DEV_KEY_FILE = "admin.key"


async def run_keys(settings: Settings, args: argparse.Namespace) -> int:
    """``enrolments keys ...``: 0 when done, 1 for a key that does not exist. The read model
    must exist (``enrolments migrate`` or ``dev`` made it); its schema is brought up to date."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        keys = ApiKeys(session_factory(engine))
        if args.keys_command == "create":
            listing, key = await keys.create(args.name, Role(args.role), datetime.now(UTC))
            print(f"Created key {listing.id} ({listing.role}) for {listing.name}:")
            print(f"  {key}")
            print("Keep it now: only its hash is stored, it cannot be shown again.")
        elif args.keys_command == "list":
            listed = await keys.list()
            if not listed:
                print("No keys yet: enrolments keys create --role admin --name NAME")
            for k in listed:
                state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M} UTC" if k.revoked_at else "active"
                print(f"{k.id}  {k.role:<9}  {state:<26}  {k.created_at:%Y-%m-%d}  {k.name}")
        else:
            try:
                revoked = await keys.revoke(args.key_id, datetime.now(UTC))
            except UnknownKey:
                print(f"No key {args.key_id} (enrolments keys list shows them).")
                return EXIT_FAILED
            print(f"Key {revoked.id} ({revoked.name}) is revoked: it opens nothing any more.")
        return EXIT_OK
    finally:
        await engine.dispose()


async def dev_admin_key(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> str:
    """The admin key of ``enrolments dev``: the one kept in the data folder while it is valid,
    else a new one (written there, readable by its owner only)."""
    path = settings.data_dir / DEV_KEY_FILE
    keys = ApiKeys(sessions)
    if path.is_file():
        kept = path.read_text().strip()
        if await keys.principal(kept) is not None:
            return kept
    _, key = await keys.create("enrolments dev", Role.ADMIN, datetime.now(UTC))
    write_private(path, key)
    return key
