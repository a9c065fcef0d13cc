import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from i18n.format import fmt_date, fmt_delta_pct_points, fmt_int, fmt_num, fmt_pct


def test_pct_both_languages():
    assert fmt_pct(0.9924, "vi") == "99,2%"
    assert fmt_pct(0.9924, "en") == "99.2%"
    assert fmt_pct(1, "vi", 0) == "100%"
    assert fmt_pct(0.98912, "vi", 2) == "98,91%"


def test_int_thousands():
    assert fmt_int(1230, "vi") == "1.230"
    assert fmt_int(1230, "en") == "1,230"
    assert fmt_int(381922, "vi") == "381.922"
    assert fmt_int(1234567, "en") == "1,234,567"
    assert fmt_int(np.int64(5), "vi") == "5"
    assert fmt_int(-1230, "vi") == "-1.230"
    assert fmt_int(2.5, "vi") == "3"


def test_num():
    assert fmt_num(1234.56, "vi", 1) == "1.234,6"
    assert fmt_num(1234.56, "en", 1) == "1,234.6"
    assert fmt_num(0.001, "vi", 3) == "0,001"
    assert fmt_num(-0.00001, "vi", 1) == "0,0"


def test_delta_points():
    assert fmt_delta_pct_points(0.012, "vi") == "+1,2 điểm phần trăm"
    assert fmt_delta_pct_points(0.012, "en") == "+1.2 pp"
    assert fmt_delta_pct_points(-0.005, "vi") == "-0,5 điểm phần trăm"
    assert fmt_delta_pct_points(0.0, "en") == "0.0 pp"


def test_date_both_languages():
    assert fmt_date(date(2026, 11, 22), "vi") == "22/11/2026"
    assert fmt_date(date(2026, 11, 22), "en") == "22/11/2026"
    assert fmt_date(datetime(2026, 1, 2, 13, 5), "vi") == "02/01/2026"
    assert fmt_date(pd.Timestamp("2026-03-04"), "en") == "04/03/2026"


def test_missing_is_dash():
    for f in (fmt_int, fmt_pct, fmt_delta_pct_points):
        assert f(None, "vi") == "—"
        assert f(float("nan"), "en") == "—"
        assert f(np.nan, "vi") == "—"
    assert fmt_num(None, "vi", 1) == "—"
    assert fmt_num(math.inf, "vi", 1) == "—"
    assert fmt_date(None) == "—"
    assert fmt_date(pd.NaT) == "—"
    assert fmt_int(pd.NA) == "—"


def test_fmt_datetime_day_first_with_minutes():
    from datetime import datetime

    from i18n.format import fmt_datetime

    assert fmt_datetime(datetime(2026, 11, 5, 9, 7, 30)) == "05/11/2026 09:07"
    assert fmt_datetime("2026-11-05T14:05:00") == "05/11/2026 14:05"
    assert fmt_datetime(None) == "—"
