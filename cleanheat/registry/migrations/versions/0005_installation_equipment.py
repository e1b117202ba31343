"""the equipment record of an installation, checked at acceptance against the technical guide (附件2)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

- ``installation_equipment``: one current equipment record per installation (JSON: the fields of
  ``cleanheat.equipment.compliance.FIELDS`` except ``technology``), the day it was recorded and by whom; a new
  record replaces the old (both in the audit log, ``installation.equipment_recorded``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["installation_id"], ["installation.id"],
                                name=op.f("fk_installation_equipment_installation_id_installation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation_equipment")),
        sa.UniqueConstraint("installation_id", name=op.f("uq_installation_equipment_installation_id")),
    )


def downgrade() -> None:
    """Back to 0004: the equipment records are dropped."""
    op.drop_table("installation_equipment")
