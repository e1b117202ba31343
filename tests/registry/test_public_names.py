"""Keep ``__all__`` of the registry modules honest; nothing below ``registry`` imports SQLAlchemy."""

from __future__ import annotations

import importlib
import pathlib

import pytest

import cleanheat

MODULES = ["cleanheat.config", "cleanheat.registry.db", "cleanheat.registry.models", "cleanheat.registry.audit",
           "cleanheat.registry.schemas",
           *[f"cleanheat.registry.services.{m}" for m in ("assessments", "beijing", "demo", "enterprises",
                                                          "households", "installations", "ledger", "payments",
                                                          "places", "reports", "tickets")],
           "cleanheat.cli.registry"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.{public}"


def test_sqlalchemy_only_in_registry() -> None:
    root = pathlib.Path(cleanheat.__file__).parent
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("registry/", "web/", "cli/")):
            continue
        text = path.read_text(encoding="utf-8")
        assert "import sqlalchemy" not in text and "from sqlalchemy" not in text, rel


def test_schemas_read_the_services_output(tmp_path: pathlib.Path) -> None:
    import datetime as dt

    from cleanheat.registry import audit, db, schemas
    from cleanheat.registry.services import enterprises, households, payments

    from . import factories

    engine = db.open_database(f"sqlite:///{tmp_path / 's.sqlite3'}", create=True)
    try:
        with db.session_scope(engine) as s:
            factories.programme(s)
            iid = factories.accepted_installation(s, 1)
            payments.pay_installation(session=s, installation_id=iid, actor="财务", paid_on=dt.date(2022, 8, 1))
            h = schemas.HouseholdPublic.model_validate(households.get_household(session=s, household_id="YC-T-000001"))
            assert h.household_id == "YC-T-000001" and h.dwelling == "brick"
            e = schemas.EnterprisePublic.model_validate(enterprises.get_enterprise(session=s, code="ENT-A"))
            assert e.status == "registered"
            p = schemas.PaymentPublic.model_validate(payments.get_payment(session=s, household_id="YC-T-000001"))
            assert p.total_cny == 5300
            r = schemas.PayResultPublic.model_validate(payments.pay_accepted(session=s, actor="x").as_dict())
            assert r.paid == 0
            for ev in audit.log(s, limit=3):
                schemas.AuditEventPublic.model_validate(ev)
    finally:
        engine.dispose()
    with pytest.raises(ValueError):
        schemas.HouseholdCreate(household_id="x", township="t", village="v", name="n", id_number="123",
                                phone="1234567", address="a", heated_area_m2=60, dwelling="brick")
