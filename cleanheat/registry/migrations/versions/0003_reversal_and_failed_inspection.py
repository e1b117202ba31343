"""payment reversal (追回) and failed inspection (验收不合格); a household's payments numbered

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

- ``payment_reversal``: the audited recovery of a paid subsidy, one per payment; the payment row is
  never edited.
- ``payment.attempt``: 1 for a household's first payment, the next after a reversal; the unique
  constraint on ``payment.household_id`` becomes one on ``(household_id, attempt)`` and the one on
  ``payment.installation_id`` an index, so a reversed household can be paid again (at most one
  standing payment, see ``services/payments.py``).
- ``failed_inspection``: an inspection whose result was 不合格; ``acceptance`` keeps only passed ones.
- an index on ``fund_ledger.payment_id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@contextmanager
def _payment_rebuilt() -> Iterator[None]:
    """Around a batch rebuild of ``payment`` on SQLite: unlink its ``fund_ledger`` children first.

    SQLite copies the table, drops the old one and renames the copy. With foreign keys enforced (and
    they cannot be switched off inside the migration's transaction) the drop counts every ledger row
    that points at a payment as a violation, and the count stays when the copy takes the name. So the
    links are kept aside, set to NULL for the rebuild, and put back once the payment ids exist again.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMP TABLE _fund_ledger_payment (id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL)")
    op.execute("INSERT INTO _fund_ledger_payment (id, payment_id) "
               "SELECT id, payment_id FROM fund_ledger WHERE payment_id IS NOT NULL")
    op.execute("UPDATE fund_ledger SET payment_id = NULL WHERE payment_id IS NOT NULL")
    yield
    op.execute("UPDATE fund_ledger SET payment_id = (SELECT k.payment_id FROM _fund_ledger_payment AS k "
               "WHERE k.id = fund_ledger.id) WHERE id IN (SELECT id FROM _fund_ledger_payment)")
    op.execute("DROP TABLE _fund_ledger_payment")


def upgrade() -> None:
    # the payment a ledger entry books: looked up by reversals, and by the foreign-key check of every payment
    # row SQLite's rebuild below drops (without it, a scan of the whole ledger per payment)
    with op.batch_alter_table("fund_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_ledger_payment_id"), ["payment_id"], unique=False)
    with _payment_rebuilt(), op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch_op.drop_constraint("uq_payment_household_id", type_="unique")
        batch_op.drop_constraint("uq_payment_installation_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_payment_household_id"), ["household_id", "attempt"])
        batch_op.create_check_constraint(batch_op.f("ck_payment_attempt"), "attempt >= 1")
        batch_op.create_index(batch_op.f("ix_payment_installation_id"), ["installation_id"], unique=False)

    op.create_table(
        "payment_reversal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("central_cny", sa.BigInteger(), nullable=False),
        sa.Column("local_cny", sa.BigInteger(), nullable=False),
        sa.Column("total_cny", sa.BigInteger(), nullable=False),
        sa.Column("voucher_no", sa.String(length=32), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("central_cny >= 0 AND local_cny >= 0", name=op.f("ck_payment_reversal_non_negative")),
        sa.CheckConstraint("total_cny = central_cny + local_cny", name=op.f("ck_payment_reversal_total")),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_payment_reversal_household_id_household")),
        sa.ForeignKeyConstraint(["installation_id"], ["installation.id"],
                                name=op.f("fk_payment_reversal_installation_id_installation")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_payment_reversal_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reversal")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_reversal_payment_id")),
        sa.UniqueConstraint("voucher_no", name=op.f("uq_payment_reversal_voucher_no")),
    )
    with op.batch_alter_table("payment_reversal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_reversal_household_id"), ["household_id"], unique=False)

    op.create_table(
        "failed_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("heating_effect_reached", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["installation_id"], ["installation.id"],
                                name=op.f("fk_failed_inspection_installation_id_installation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_inspection")),
    )
    with op.batch_alter_table("failed_inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_inspection_installation_id"), ["installation_id"], unique=False)


def downgrade() -> None:
    """Back to 0002; refused (by the unique constraints) once a household has been paid a second time."""
    with op.batch_alter_table("failed_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_inspection_installation_id"))
    op.drop_table("failed_inspection")
    with op.batch_alter_table("payment_reversal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_reversal_household_id"))
    op.drop_table("payment_reversal")
    with _payment_rebuilt(), op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_installation_id"))
        batch_op.drop_constraint(batch_op.f("ck_payment_attempt"), type_="check")
        batch_op.drop_constraint("uq_payment_household_id", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_payment_household_id"), ["household_id"])
        batch_op.create_unique_constraint(batch_op.f("uq_payment_installation_id"), ["installation_id"])
        batch_op.drop_column("attempt")
    with op.batch_alter_table("fund_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_ledger_payment_id"))
