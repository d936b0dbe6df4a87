"""Bring a ledger database to the newest schema (run automatically when the ledger is opened)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger("target-freshbooks.ledger")
VERSION_TABLE = "target_freshbooks_alembic_version"

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x7466_6C65_6467_6572  # "tfledger": one PostgreSQL advisory lock key for the ledger's migrations


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def serialise_migrations(connection: Connection) -> None:
    """On PostgreSQL, one migration at a time: companies' runs starting together on one empty database would
    otherwise all create the same tables and all but one fail. The lock ends with the migration's transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def upgrade(engine: Engine) -> None:
    """Upgrade to the newest revision; logs only when something changed (alembic's own chatter is muted)."""
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    alembic_logger.setLevel(logging.WARNING)
    try:
        before = current_revision(engine)
        config = alembic_config()
        with engine.begin() as connection:
            serialise_migrations(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        after = current_revision(engine)
    finally:
        alembic_logger.setLevel(level)
    if after != before:
        logger.info("Ledger schema upgraded from %s to %s.", before or "empty", after)
