"""the record last written (for replay --force) and the history of runs (for audit --runs)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("id_map") as batch:
        batch.add_column(sa.Column("last_payload", sa.JSON(), nullable=True))
    op.create_table(
        "run_history",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("left_behind", sa.JSON(), nullable=True),
        sa.Column("calls", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_history")),
    )
    op.create_index("ix_run_history_started", "run_history", ["tenant", "account_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_run_history_started", table_name="run_history")
    op.drop_table("run_history")
    with op.batch_alter_table("id_map") as batch:
        batch.drop_column("last_payload")
