"""EPW missing-value flags are missing values, not weather: 99.9 °C is no temperature.

Before issue #8 an EPW with 240 hours at dry bulb 99.9 read back as "max temp 99.9" without a word.
"""

from __future__ import annotations

import numpy as np
import pytest

from cleanheat.climate import read_epw
from cleanheat.climate.weather import MAX_FILLED_GAP_H
from cleanheat.errors import InputError
from tests.climate.test_epw import _write_epw


def _set_field(path, rows, column, value):
    """Overwrite one EPW column (0-based, after the 8 header lines) on the given data rows."""
    lines = path.read_text(encoding="ascii").splitlines()
    for r in rows:
        parts = lines[8 + r].split(",")
        parts[column] = value
        lines[8 + r] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


DRY_BULB, GHI = 6, 13


def test_240_hours_at_99_9_are_refused(tmp_path):
    path = _set_field(_write_epw(tmp_path / "gap.epw"), range(1000, 1240), DRY_BULB, "99.9")
    with pytest.raises(InputError, match=r"240 hours of temp_air are missing .* longest gap 240 h") as err:
        read_epw(path)
    assert err.value.field == "epw_path"


def test_scattered_missing_hours_are_refused_not_read_as_99_9(tmp_path):
    rows = [r for start in range(100, 8000, 800) for r in range(start, start + 24)]  # ten missing days
    path = _set_field(_write_epw(tmp_path / "days.epw"), rows, DRY_BULB, "99.9")
    with pytest.raises(InputError, match="longest gap 24 h"):
        read_epw(path)


def test_short_gaps_are_filled_linearly_and_reported(tmp_path):
    clean = read_epw(_write_epw(tmp_path / "clean.epw"))
    path = _set_field(_write_epw(tmp_path / "short.epw"), range(2000, 2000 + MAX_FILLED_GAP_H), DRY_BULB, "99.9")
    year = read_epw(path)
    assert year.temp_air_c.max() < 60  # never "max temp 99.9"
    # filled on the straight line between hour 1999 and hour 2006, by hand
    a, b = clean.temp_air_c[1999], clean.temp_air_c[2006]
    expected = a + (b - a) * np.arange(1, 7) / 7
    assert year.temp_air_c[2000:2006] == pytest.approx(expected)
    assert "filled 6 h of missing temp_air" in year.source and "filled 6 h" in year.site.source
    assert np.array_equal(np.delete(year.temp_air_c, range(2000, 2006)),
                          np.delete(clean.temp_air_c, range(2000, 2006)))


def test_missing_irradiance_flag_9999_is_missing(tmp_path):
    path = _set_field(_write_epw(tmp_path / "rad.epw"), range(4000, 4030), GHI, "9999")
    with pytest.raises(InputError, match="hours of ghi are missing"):
        read_epw(path)
    path = _set_field(_write_epw(tmp_path / "rad2.epw"), [4012], GHI, "9999")
    assert read_epw(path).ghi_w_m2.max() < 9999
