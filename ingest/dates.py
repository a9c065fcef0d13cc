"""Dates and times in the accepted formats (DATE_FORMATS_TEXT), vectorised with pyarrow:
strict formats first, the general pattern only for what they leave."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


# --- value parsing -----------------------------------------------------------------------------
_DMY = (
    r"^(?:(?P<h1>\d{1,2}):(?P<n1>\d{1,2})(?::(?P<s1>\d{1,2}))?\s+)?(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
    r"(?:[ T]+(?P<h2>\d{1,2}):(?P<n2>\d{1,2})(?::(?P<s2>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?)?$"
)
_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]+(?P<h>\d{1,2}):(?P<n>\d{1,2})(?::(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?)?$"
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
DATE_FORMATS_TEXT = "dd/mm/yyyy [HH:MM[:SS]], HH:MM dd/mm/yyyy, yyyy-mm-dd [HH:MM[:SS]] (ISO), Excel"


def _ints(struct: pa.StructArray, index: int) -> np.ndarray:
    values = pc.struct_field(struct, [index])
    values = pc.if_else(pc.equal(values, ""), "0", values)
    return pc.cast(pc.fill_null(values, "0"), pa.int64()).to_numpy(zero_copy_only=False)


def _fraction_us(struct: pa.StructArray, index: int) -> np.ndarray:
    values = pc.fill_null(pc.struct_field(struct, [index]), "")
    padded = pc.utf8_rpad(values, 6, "0")
    return pc.cast(pc.utf8_slice_codeunits(padded, 0, 6), pa.int64()).to_numpy(zero_copy_only=False)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (proleptic Gregorian), vectorised (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    table = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31])
    return table[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)


# Canonical forms that exports usually use: parsed by Arrow's strptime and accepted only when
# the text has exactly the format's digits and every field parsed equals them (Arrow rolls
# 31/02 over to 03/03, and second 60 to the next minute, and takes " 1/5/2026" for 01/05).
FAST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_FORMAT_FIELDS = {"%d": (2, pc.day), "%m": (2, pc.month), "%Y": (4, pc.year), "%H": (2, pc.hour), "%M": (2, pc.minute), "%S": (2, pc.second)}


def _reads_back(text: pa.Array, parsed: pa.Array, fmt: str) -> np.ndarray:
    """Whether each parsed value is exactly its text in `fmt` (ten times quicker than
    comparing with strftime's output, the slowest step of a large import)."""
    pattern, fields, position = "", [], 0
    for token in re.findall(r"%.|[^%]", fmt):
        if token in _FORMAT_FIELDS:
            width, field_of = _FORMAT_FIELDS[token]
            pattern += rf"\d{{{width}}}"
            fields.append((position, width, field_of))
            position += width
        else:
            pattern += re.escape(token)
            position += 1
    ok = pc.and_(pc.match_substring_regex(text, f"^{pattern}$"), pc.is_valid(parsed))
    for start, width, field_of in fields:
        digits = pc.cast(pc.if_else(ok, pc.utf8_slice_codeunits(text, start, start + width), "0"), pa.int64())
        ok = pc.and_(ok, pc.fill_null(pc.equal(field_of(parsed), digits), False))
    return ok.to_numpy(zero_copy_only=False)


def parse_datetimes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[us] array with NaT for empty or bad cells, mask of bad non-empty cells).

    Accepts dd/mm/yyyy [HH:MM[:SS[.ffffff]]] (also with - or . between date parts, or the
    time first: "08:30 05/10/2026"), ISO yyyy-mm-dd[ HH:MM[:SS[.ffffff]]], and Excel serial
    day numbers (1900 date system). Never mm/dd/yyyy. Impossible dates (31/02) are bad.
    """
    array = pa.array(values, type=pa.string(), from_pandas=True)  # no copy for pandas' Arrow strings
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = pc.fill_null(pc.utf8_trim_whitespace(array), "")
    n = len(array)
    empty = pc.equal(array, "").to_numpy(zero_copy_only=False)
    micros = np.zeros(n, dtype=np.int64)
    good = np.zeros(n, dtype=bool)
    pending = np.flatnonzero(~empty)
    for fmt in FAST_FORMATS:
        if not len(pending):
            break
        text = array.take(pa.array(pending))
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        same = _reads_back(text, parsed, fmt)
        if same.any():
            hit = pending[same]
            micros[hit] = pc.cast(pc.cast(parsed.filter(pa.array(same)), pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False)
            good[hit] = True
            pending = pending[~same]
    if len(pending):
        slow_micros, slow_good = _parse_slow(array.take(pa.array(pending)))
        micros[pending] = slow_micros
        good[pending] = slow_good
    result = micros.astype("datetime64[us]")
    result[~good] = np.datetime64("NaT")
    return result, ~good & ~empty


def _parse_slow(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Every accepted form, component by component: (microseconds since 1970, valid)."""
    n = len(array)
    empty = pc.equal(array, "").to_numpy(zero_copy_only=False)
    year = np.full(n, -1, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    hour = np.zeros(n, dtype=np.int64)
    minute = np.zeros(n, dtype=np.int64)
    second = np.zeros(n, dtype=np.int64)
    micro = np.zeros(n, dtype=np.int64)

    dmy = pc.extract_regex(array, _DMY)
    ok = dmy.is_valid().to_numpy(zero_copy_only=False)
    if ok.any():
        h1, n1, s1 = _ints(dmy, 0), _ints(dmy, 1), _ints(dmy, 2)
        h2, n2, s2 = _ints(dmy, 6), _ints(dmy, 7), _ints(dmy, 8)
        day[ok], month[ok], year[ok] = _ints(dmy, 3)[ok], _ints(dmy, 4)[ok], _ints(dmy, 5)[ok]
        hour[ok], minute[ok], second[ok] = (h1 + h2)[ok], (n1 + n2)[ok], (s1 + s2)[ok]
        micro[ok] = _fraction_us(dmy, 9)[ok]
    rest = ~ok & ~empty
    if rest.any():
        iso = pc.extract_regex(array, _ISO)
        ok2 = iso.is_valid().to_numpy(zero_copy_only=False) & rest
        if ok2.any():
            year[ok2], month[ok2], day[ok2] = _ints(iso, 0)[ok2], _ints(iso, 1)[ok2], _ints(iso, 2)[ok2]
            hour[ok2], minute[ok2], second[ok2] = _ints(iso, 3)[ok2], _ints(iso, 4)[ok2], _ints(iso, 5)[ok2]
            micro[ok2] = _fraction_us(iso, 6)[ok2]
            ok = ok | ok2
    serial_mask = np.zeros(n, dtype=bool)
    serial_us = np.zeros(n, dtype=np.int64)
    rest = ~ok & ~empty
    if rest.any():
        is_serial = pc.match_substring_regex(array, _SERIAL).to_numpy(zero_copy_only=False) & rest
        if is_serial.any():
            numbers = pc.cast(array.filter(pa.array(is_serial)), pa.float64()).to_numpy(zero_copy_only=False)
            good = (numbers >= 1) & (numbers < 2958466)
            idx = np.flatnonzero(is_serial)[good]
            # Excel's day 0 is 1899-12-30 once its fictitious 29/02/1900 is accounted for.
            serial_us[idx] = np.round((numbers[good] - 25569.0) * 86_400_000_000).astype(np.int64)
            serial_mask[idx] = True
    valid_parts = ok & (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month)) & (hour <= 23) & (minute <= 59) & (second <= 59)
    micros = _days_from_civil(year, month, day) * 86_400_000_000 + hour * 3_600_000_000 + minute * 60_000_000 + second * 1_000_000 + micro
    micros = np.where(serial_mask, serial_us, micros)
    return micros, valid_parts | serial_mask
