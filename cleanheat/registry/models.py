"""Tables of the programme registry, as SQLAlchemy 2 typed mappings.

Money is integer CNY (``BigInteger``), never a float. Dates are ``date``; instants are
timezone-aware UTC ``datetime`` values. The audit log stores its time as an ISO string and its
payload as canonical JSON text, so that its hash chain reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from cleanheat.clock import as_utc, now_utc

__all__ = [
    "Acceptance",
    "AppUser",
    "AuditEvent",
    "AuthSession",
    "AuditHead",
    "Base",
    "BeijingApprovalStep",
    "BeijingObligation",
    "BeijingProject",
    "BeijingZoneTarget",
    "DecisionDoc",
    "DuplicateReview",
    "Enterprise",
    "EnterpriseAssessment",
    "EnterpriseStatus",
    "FailedInspection",
    "FundEnvelope",
    "FundLedgerEntry",
    "Household",
    "Installation",
    "InstallationEquipment",
    "LoginAttempt",
    "MonthlyReport",
    "Payment",
    "PaymentReversal",
    "Target",
    "Ticket",
    "TicketEvent",
    "Township",
    "UTCDateTime",
    "Village",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current instant, aware, in UTC (the default of every ``*_at`` column)."""
    return now_utc()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, ISO text in UTC on SQLite; always read back
    as an aware UTC ``datetime``.

    A naive value is refused on the way in (it has no instant), an aware one is stored as UTC. SQLite
    keeps no offset, so its values are written in UTC and read back with UTC attached; PostgreSQL
    hands values back in the session's ``TimeZone`` and they are turned to UTC. Either way the
    same instant comes back, whatever the server's or host's time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"an instant needs a datetime, got {value!r}")
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime {value.isoformat()} is not an instant; give it a time zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        dt.datetime: UTCDateTime(),
    }


# --------------------------------------------------------------------------------------------
# Places and households
# --------------------------------------------------------------------------------------------


class Township(Base):
    """A township (乡镇) of Yanchi county."""

    __tablename__ = "township"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    villages: Mapped[list[Village]] = relationship(back_populates="township")


class Village(Base):
    """An administrative village (行政村) of a township."""

    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("township_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    township: Mapped[Township] = relationship(back_populates="villages")


class Household(Base):
    """A rural household of the ledger (台账)."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    phone_normalised: Mapped[str] = mapped_column(String(16), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    address: Mapped[str] = mapped_column(String(128))
    heated_area_m2: Mapped[float] = mapped_column(Float)
    dwelling: Mapped[str] = mapped_column(String(16))
    previously_subsidised: Mapped[bool] = mapped_column(Boolean, default=False)
    programme_year: Mapped[int | None] = mapped_column(Integer)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    village: Mapped[Village] = relationship()


class DuplicateReview(Base):
    """A clerk's decision on a suspected duplicate pair: ``distinct`` or ``merged``."""

    __tablename__ = "duplicate_review"
    __table_args__ = (UniqueConstraint("household_a_id", "household_b_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_a_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    household_b_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    decision: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    why: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------
# Enterprises
# --------------------------------------------------------------------------------------------


class Enterprise(Base):
    """An installing enterprise (登记企业) and its current registration state."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    history: Mapped[list[EnterpriseStatus]] = relationship(
        back_populates="enterprise", order_by="EnterpriseStatus.effective_on"
    )


class EnterpriseStatus(Base):
    """One registration state of an enterprise, in force from ``effective_on`` to the next row."""

    __tablename__ = "enterprise_status"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    why: Mapped[str] = mapped_column(Text, default="")
    enterprise: Mapped[Enterprise] = relationship(back_populates="history")


class EnterpriseAssessment(Base):
    """Half-yearly assessment (绩效考核) of an enterprise, 盐政办发〔2022〕8号 八(三)."""

    __tablename__ = "enterprise_assessment"
    __table_args__ = (UniqueConstraint("enterprise_id", "half"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    half: Mapped[str] = mapped_column(String(7))
    installations: Mapped[int] = mapped_column(Integer)
    usage_rate: Mapped[float] = mapped_column(Float)
    product_quality: Mapped[float] = mapped_column(Float)
    heating_effect: Mapped[float] = mapped_column(Float)
    complaints: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------------------------
# Installations, acceptance, payment
# --------------------------------------------------------------------------------------------


class Installation(Base):
    """Heating equipment installed at a household, by an enterprise or by the household itself."""

    __tablename__ = "installation"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    technology: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    self_install: Mapped[bool] = mapped_column(Boolean)
    with_rooftop_pv: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_on: Mapped[dt.date] = mapped_column(Date)
    invoice_cny: Mapped[int] = mapped_column(BigInteger)
    equipment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    household: Mapped[Household] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    acceptance: Mapped[Acceptance | None] = relationship(back_populates="installation")


class InstallationEquipment(Base):
    """The current equipment record of an installation (one per installation; a new record replaces the old,
    both audited as ``installation.equipment_recorded``).

    ``record`` holds the datasheet and installation values of :data:`cleanheat.equipment.compliance.FIELDS`
    except ``technology`` (the installation's); acceptance checks it against the technical guide (附件2).
    """

    __tablename__ = "installation_equipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"), unique=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))


class Acceptance(Base):
    """Completion acceptance (验收) by the county housing bureau with departments and township."""

    __tablename__ = "acceptance"
    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"), unique=True)
    accepted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    inspectors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    heating_effect_reached: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(64))
    installation: Mapped[Installation] = relationship(back_populates="acceptance")


class FailedInspection(Base):
    """A completion inspection that failed (验收不合格): the installation stays unaccepted and unpaid.

    An :class:`Acceptance` row is a passed acceptance (at most one per installation); a failed
    inspection is recorded here instead, as many times as it happens, and a later passed acceptance
    may follow (盐政办发〔2022〕8号 四: acceptance needs the heating effect reached).
    """

    __tablename__ = "failed_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"), index=True)
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    inspectors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    heating_effect_reached: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """The one-time subsidy paid to a household (一次性发放全额补贴).

    Rows are never edited or deleted. A household has at most one *standing* payment: one without a
    :class:`PaymentReversal`. ``attempt`` numbers a household's payments (1 for the first; a payment
    after a reversal is the next), and ``(household_id, attempt)`` is unique, so two writers cannot
    both pay a household's n-th payment.
    """

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("central_cny >= 0 AND local_cny >= 0", name="non_negative"),
        CheckConstraint("total_cny = central_cny + local_cny", name="total"),
        CheckConstraint("attempt >= 1", name="attempt"),
        UniqueConstraint("household_id", "attempt"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    central_cny: Mapped[int] = mapped_column(BigInteger)
    local_cny: Mapped[int] = mapped_column(BigInteger)
    total_cny: Mapped[int] = mapped_column(BigInteger)
    household_share_cny: Mapped[int] = mapped_column(BigInteger)
    voucher_no: Mapped[str] = mapped_column(String(32), unique=True)
    paid_on: Mapped[dt.date] = mapped_column(Date, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    reasons_doc_id: Mapped[int] = mapped_column(ForeignKey("decision_doc.id"))
    trace_doc_id: Mapped[int] = mapped_column(ForeignKey("decision_doc.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reasons_doc: Mapped[DecisionDoc] = relationship(foreign_keys=[reasons_doc_id])
    trace_doc: Mapped[DecisionDoc] = relationship(foreign_keys=[trace_doc_id])


class PaymentReversal(Base):
    """The recovery (追回) of a paid subsidy: an audited entry beside the payment, which stays as it was.

    The fund ledger gets the negative ``recover`` entries; the household has no standing payment any more.
    """

    __tablename__ = "payment_reversal"
    __table_args__ = (
        CheckConstraint("central_cny >= 0 AND local_cny >= 0", name="non_negative"),
        CheckConstraint("total_cny = central_cny + local_cny", name="total"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"))
    central_cny: Mapped[int] = mapped_column(BigInteger)
    local_cny: Mapped[int] = mapped_column(BigInteger)
    total_cny: Mapped[int] = mapped_column(BigInteger)
    voucher_no: Mapped[str] = mapped_column(String(32), unique=True)
    reversed_on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    why: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DecisionDoc(Base):
    """A rules-engine output stored once by content (``reasons`` list or ``trace``) and linked from payments.

    27,000 payments share a few dozen distinct reason lists and traces; storing each once keeps a
    batch payment fast while every payment still points at the exact reasons and trace it was paid on.
    """

    __tablename__ = "decision_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[Any] = mapped_column(JSON)


class FundEnvelope(Base):
    """A source of money with its cap: ``central`` 94.5 M, ``county`` ≤ 48.6 M, ``household``."""

    __tablename__ = "fund_envelope"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), unique=True)
    cap_cny: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(128))


class FundLedgerEntry(Base):
    """One fund movement: ``commit`` (due on acceptance; outstanding until the installation is paid), ``pay``
    (positive) or ``recover`` (追回: negative, the reversal of a ``pay``; ``payment_id`` is the reversed payment)."""

    __tablename__ = "fund_ledger"
    __table_args__ = (Index("ix_fund_ledger_envelope_kind", "envelope_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("fund_envelope.id"))
    kind: Mapped[str] = mapped_column(String(8))
    amount_cny: Mapped[int] = mapped_column(BigInteger)
    installation_id: Mapped[int | None] = mapped_column(ForeignKey("installation.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    voucher_no: Mapped[str | None] = mapped_column(String(32))
    booked_on: Mapped[dt.date] = mapped_column(Date)


class Target(Base):
    """Households to convert in a township and year (附件1); 2021's are split in proportion."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("township_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    year: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    planned_in_plan: Mapped[bool] = mapped_column(Boolean, default=True)


class MonthlyReport(Base):
    """A township's monthly progress report (月报表), due before the 25th (八(三))."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("township_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    month: Mapped[str] = mapped_column(String(7))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)


# --------------------------------------------------------------------------------------------
# After-sales
# --------------------------------------------------------------------------------------------


class Ticket(Base):
    """An after-sales ticket or a complaint, with a staged workflow and a response-time limit."""

    __tablename__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installation.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[dt.datetime]
    respond_by: Mapped[dt.datetime]
    responded_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketEvent(Base):
    """One stage change of a ticket."""

    __tablename__ = "ticket_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


# --------------------------------------------------------------------------------------------
# Beijing projects
# --------------------------------------------------------------------------------------------


class BeijingProject(Base):
    """A Beijing heat-pump project with its inputs and the funding decision of the rules engine."""

    __tablename__ = "beijing_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    zone: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    heated_area_m2: Mapped[float] = mapped_column(Float)
    applied_on: Mapped[dt.date] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    eligible: Mapped[bool] = mapped_column(Boolean)
    support_ratio: Mapped[float] = mapped_column(Float)
    eligible_investment_cny: Mapped[int] = mapped_column(BigInteger)
    support_cny: Mapped[int] = mapped_column(BigInteger)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))


class BeijingApprovalStep(Base):
    """One approval step of a Beijing project (项目核准, 项目建议书, 资金申请报告)."""

    __tablename__ = "beijing_approval_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("beijing_project.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    authority: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)


class BeijingObligation(Base):
    """An obligation attached to a funded Beijing project (monitoring, bidding, reinjection…)."""

    __tablename__ = "beijing_obligation"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("beijing_project.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))


class BeijingZoneTarget(Base):
    """New heat-pump heated area targeted in a Beijing zone by a year (m²)."""

    __tablename__ = "beijing_zone_target"
    __table_args__ = (UniqueConstraint("zone", "by_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(32))
    by_year: Mapped[int] = mapped_column(Integer)
    target_m2: Mapped[float] = mapped_column(Float)


# --------------------------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------------------------


class AuditEvent(Base):
    """One entry of the append-only audit log, shaped like a CloudEvents 1.0 envelope.

    ``hash`` = SHA-256 of ``prev_hash`` and the canonical JSON of the entry; ``seq`` numbers
    the chain without gaps.
    """

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    source: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    why: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The head of the audit chain (one row): appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------------------------
# Users, sessions, login attempts (services/users.py)
# --------------------------------------------------------------------------------------------


class AppUser(Base):
    """A person (or office) who logs in to the web application, with one role.

    ``township`` is set for a township clerk (乡镇专员) only, ``enterprise_code`` for an enterprise
    user only. ``password_hash`` is an argon2id hash (PHC string); the password itself is never stored.
    A disabled user cannot log in and has no live session; rows are never deleted.
    """

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    township: Mapped[str | None] = mapped_column(String(32))
    enterprise_code: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class AuthSession(Base):
    """A server-side login session (``kind`` ``web``: the browser cookie; ``api``: a bearer token).

    Only the SHA-256 of the token is stored (``token_sha256``, hex); the token itself is handed to the
    client once. ``csrf_token`` is the session's anti-forgery token. A session is live until
    ``expires_at`` unless ``revoked_at`` is set (logout, password change, user disabled).
    """

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(Base):
    """One login attempt, successful or not, for the rate limit (per account name and per address).

    ``outcome`` is that of :class:`cleanheat.registry.services.users.LoginResult` (``ok``,
    ``bad_credentials``, ``disabled``, ``throttled``); ``ok`` is ``outcome == "ok"``.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_name_at", "name", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))
