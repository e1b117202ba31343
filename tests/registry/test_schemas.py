"""The web API's household input schema checks what the ledger import checks: the GB 11643 check digit and
birth date of the identity number, and a programme year read from the dated parameters."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cleanheat.registry.schemas import HouseholdCreate

GOOD = {"name": "张军", "id_number": "11010519491231002X", "phone": "13630889253", "address": "红井子村1号",
        "heated_area_m2": 92.9, "dwelling": "brick", "household_id": "YC-2022-000001",
        "township": "花马池镇", "village": "红井子村"}


def test_a_valid_identity_number_and_programme_year_pass() -> None:
    assert HouseholdCreate(**GOOD, programme_year=2022).id_number == "11010519491231002X"


@pytest.mark.parametrize("bad", ["110105194912310021", "110105194913310027", "999999999999999999"])
def test_a_wrong_check_digit_or_birth_date_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="id_number"):
        HouseholdCreate(**{**GOOD, "id_number": bad})


def test_a_year_outside_the_programme_is_refused() -> None:
    with pytest.raises(ValidationError, match="programme years are 2021–2023"):
        HouseholdCreate(**GOOD, programme_year=2024)
