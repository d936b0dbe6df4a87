"""Alembic environment for the ledger. Run from `target_freshbooks.ledger.migrate`, which hands over a
connection; the version table has its own name so the ledger can share a database with other tools."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from target_freshbooks.ledger.migrate import VERSION_TABLE
from target_freshbooks.ledger.models import Base

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _configure_and_run(conn)
        return
    _configure_and_run(connection)


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
