"""Pydantic schemas of the registry, in the FastAPI template's ``Base / Create / Update / Public`` family.

The web application (a later issue) uses them as request and response bodies; the CLI and the
services work on the same field names (SPEC §7, docs/nomenclature.md). Money is integer CNY.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AcceptanceIn",
    "AuditEventPublic",
    "EnterpriseCreate",
    "EnterprisePublic",
    "EnterpriseTransition",
    "HouseholdBase",
    "HouseholdCreate",
    "HouseholdPublic",
    "HouseholdUpdate",
    "InstallationCreate",
    "InstallationPublic",
    "PayRequest",
    "PayResultPublic",
    "PaymentPublic",
    "TicketCreate",
    "TicketPublic",
]

Dwelling = Literal["brick", "cave", "other"]
EnterpriseState = Literal["submitted", "reviewed", "registered", "rejected", "suspended", "revoked"]


class _Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class HouseholdBase(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(pattern=r"^\d{17}[\dXx]$")
    phone: str = Field(min_length=7, max_length=32)
    address: str = Field(max_length=128)
    heated_area_m2: float = Field(gt=0)
    dwelling: Dwelling
    previously_subsidised: bool = False
    programme_year: int | None = None


class HouseholdCreate(HouseholdBase):
    """A household as it comes in (checked like a ledger row); the stored record reads out unchecked."""

    household_id: str = Field(min_length=1, max_length=32)
    township: str
    village: str

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str) -> str:
        """GB 11643 check digit and birth date (:func:`cleanheat.normalise.id_number`), as the ledger import."""
        from cleanheat.errors import InputError
        from cleanheat.normalise import id_number

        try:
            return id_number(value)
        except (InputError, ValueError) as exc:
            raise ValueError(str(exc)) from None

    @field_validator("programme_year")
    @classmethod
    def _programme_year(cls, value: int | None) -> int | None:
        """A year of the programme, from the dated parameter ``yanchi.programme.open`` (not a constant)."""
        from cleanheat.registry.services.places import programme_years

        years = programme_years()
        if value is not None and value not in years:
            raise ValueError(f"programme years are {years[0]}–{years[-1]}, got {value}")
        return value


class HouseholdUpdate(BaseModel):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    heated_area_m2: float | None = Field(default=None, gt=0)
    dwelling: Dwelling | None = None


class HouseholdPublic(HouseholdBase, _Orm):
    household_id: str
    merged_into_id: int | None = None


class EnterpriseCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    submitted_on: dt.date


class EnterpriseTransition(BaseModel):
    to: EnterpriseState
    effective_on: dt.date
    why: str = ""


class EnterprisePublic(_Orm):
    code: str
    name: str
    status: EnterpriseState


class InstallationCreate(BaseModel):
    household_id: str
    technology: str
    installed_on: dt.date
    invoice_cny: int = Field(ge=0)
    self_install: bool
    enterprise_code: str | None = None
    with_rooftop_pv: bool = False
    equipment: dict[str, Any] = Field(default_factory=dict)


class InstallationPublic(_Orm):
    id: int
    technology: str
    installed_on: dt.date
    invoice_cny: int
    self_install: bool
    with_rooftop_pv: bool
    equipment: dict[str, Any]


class AcceptanceIn(BaseModel):
    accepted_on: dt.date
    heating_effect_reached: bool = True
    inspectors: list[str] = Field(default_factory=lambda: ["县住建局", "乡镇"])


class PaymentPublic(BaseModel):
    household_id: str
    installation_id: int
    voucher_no: str
    paid_on: dt.date
    central_cny: int
    local_cny: int
    total_cny: int
    household_share_cny: int
    actor: str
    reasons: list[dict[str, Any]]
    trace: dict[str, Any]


class PayRequest(BaseModel):
    township: str | None = None
    paid_on: dt.date | None = None
    why: str = ""


class PayResultPublic(BaseModel):
    paid: int
    total_cny: int
    central_cny: int
    local_cny: int
    paid_on: str
    already_paid: int
    held_duplicates: int
    not_payable: int
    warnings: list[str]
    held_duplicate_details: list[dict[str, Any]]
    not_payable_details: list[dict[str, Any]]


class TicketCreate(BaseModel):
    household_id: str
    kind: Literal["complaint", "service"]
    category: Literal["quality", "service", "heating_effect", "not_in_use", "other"]
    description: str = ""


class TicketPublic(_Orm):
    id: int
    kind: str
    category: str
    stage: str
    opened_at: dt.datetime
    respond_by: dt.datetime
    responded_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool


class AuditEventPublic(BaseModel):
    """A CloudEvents 1.0 envelope with cleanheat's extension attributes."""

    specversion: str
    id: str
    source: str
    type: str
    subject: str
    time: str
    datacontenttype: str
    actor: str
    outcome: str
    why: str
    data: dict[str, Any]
    sequence: int
    prevhash: str
    hash: str
