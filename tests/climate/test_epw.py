"""EPW reader on a synthetic file written in the test (no shared data read here)."""

import numpy as np
import pytest

from cleanheat.climate import add_site_from_epw, get_site, load_typical_year, read_epw
from cleanheat.errors import InputError

HEADER = [
    "LOCATION,TESTTOWN,-,CHN,Synthetic,999990,38.00,106.50,8.0,1200.0",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,synthetic file for tests",
    "COMMENTS 2,",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]


def _write_epw(path, leap=False):
    import datetime as dt

    rows = []
    start = dt.datetime(2000 if leap else 2001, 1, 1)
    n = 8784 if leap else 8760
    for k in range(n):
        t = start + dt.timedelta(hours=k)
        doy = t.timetuple().tm_yday
        temp = 8.0 - 14.0 * np.cos(2 * np.pi * (doy - 15) / 365) + 5.0 * np.sin(2 * np.pi * (t.hour - 9) / 24)
        sun = max(0.0, np.sin(np.pi * (t.hour - 6) / 12)) if 6 <= t.hour <= 18 else 0.0
        ghi = 600.0 * sun
        fields = [t.year, t.month, t.day, t.hour + 1, 60, "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9",
                  f"{temp:.1f}", "-10.0", 50, 90000, 0, 1415, 250, f"{ghi:.0f}", f"{0.5 * ghi:.0f}",
                  f"{0.5 * ghi:.0f}", 0, 0, 0, 0, 0, 2.0, 5, 5, 20.0, 77777, 9, 999999999, 5, 0.1, 0, 88,
                  0.2, 0.0, 1.0]
        rows.append(",".join(str(f) for f in fields))
    path.write_text("\n".join(HEADER + rows) + "\n", encoding="ascii")
    return path


@pytest.fixture(scope="module")
def epw_file(tmp_path_factory):
    return _write_epw(tmp_path_factory.mktemp("epw") / "TESTTOWN.epw")


def test_read_epw_takes_location_and_values(epw_file):
    year = read_epw(epw_file)
    assert year.site.name == "testtown"
    assert (year.site.latitude_deg, year.site.longitude_deg, year.site.elevation_m) == (38.0, 106.5, 1200.0)
    assert year.site.tz == "Etc/GMT-8"
    assert year.time[0].year == 2023 and len(year.time) == 8760
    assert year.temp_air_c.shape == (8760,) and year.temp_air_c.dtype == np.float64
    # EPW hour 1 (00:00–01:00) is labelled 00:00: the first value is the file's first row
    t0 = 8.0 - 14.0 * np.cos(2 * np.pi * (1 - 15) / 365) + 5.0 * np.sin(2 * np.pi * (0 - 9) / 24)
    assert year.temp_air_c[0] == pytest.approx(round(t0, 1))
    assert year.site.normals is not None
    assert np.isfinite(year.site.design_temp_c)


def test_leap_year_file_drops_29_february(tmp_path):
    year = read_epw(_write_epw(tmp_path / "leap.epw", leap=True))
    assert len(year.temp_air_c) == 8760
    # 1 March 00:00 follows 28 February 23:00
    assert year.temp_air_c[59 * 24] == pytest.approx(
        round(8.0 - 14.0 * np.cos(2 * np.pi * (61 - 15) / 365) + 5.0 * np.sin(2 * np.pi * (0 - 9) / 24), 1)
    )


def test_site_from_epw_uses_the_file(epw_file):
    site = add_site_from_epw(epw_file, name="epw town", design_temp_c=-14.0,
                             heating_season_start=(11, 15), heating_season_end=(3, 15))
    assert get_site("EPW Town") is site and site.epw_path is not None
    year = load_typical_year("epw town", seed=5)
    assert year.site is site and year.source.startswith("EPW file")
    assert year.heating_season_mask().sum() == 121 * 24
    assert np.array_equal(year.temp_air_c, read_epw(epw_file).temp_air_c)


def test_missing_or_bad_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_epw(tmp_path / "nope.epw")
    bad = tmp_path / "bad.epw"
    bad.write_text("not an epw\n")
    with pytest.raises(InputError, match="bad.epw"):
        read_epw(bad)
