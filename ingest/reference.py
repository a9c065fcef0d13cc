"""Checking a city's own reference lists before anything is written: units, departments,
lineage (the crosswalk between unit versions), procedures, officers, targets.

The same standard as the fact imports (ingest/__init__.py): the file is read by
`read_file`, every cell is checked by `validate` against the columns of reference.toml, and
what spans rows and the database is checked here (the `rules` hook): unknown parent codes,
links to units that do not exist, overlapping validity of one official code, cycles in the
tree, duplicate keys, weights outside 0..1 or summing over 1 for a former unit. Each problem
names the row, the column, the value and what is expected. No SQL: `Existing` is what the
database holds, read by data_access/reference.py, which also writes.

The rules also turn the file's codes into unit keys (domain.units.unit_key), so the write
is a plain upsert of the checked frame.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from domain import vocab
from domain.units import in_force, resolve_unit_codes, unit_key
from i18n.text import pick
from ingest.admin_units import REFORM_DATE
from ingest.checks import Checked, Options, Reference, validate
from ingest.mapping import ColumnSpec, Mapping, SourceSpec, normalise
from ingest.reading import RawTable

KINDS = ("units", "departments", "lineage", "procedures", "officers", "targets")
SPEC_PATH = Path(__file__).resolve().parent / "reference.toml"
UNIT_FIELDS = ["code", "gso_code", "name", "level", "parent_code", "lat", "lon", "area_km2", "valid_from", "valid_to"]
LINK_FIELDS = ["old_code", "new_code", "effective_date", "kind", "whole", "weight"]

# Words a city's list may use for a level (compared without diacritics).
LEVEL_WORDS = {
    vocab.CITY: ["city", "province", "tỉnh", "thành phố", "thành phố trực thuộc trung ương", "tỉnh/thành phố"],  # a city under a province: district
    vocab.DISTRICT: ["district", "quận", "huyện", "thị xã", "thành phố thuộc tỉnh", "thành phố thuộc thành phố", "quận/huyện"],
    vocab.WARD: ["ward", "commune", "phường", "xã", "thị trấn", "đặc khu", "phường/xã"],
    vocab.DEPARTMENT: ["department", "sở", "ban", "ngành", "sở, ban, ngành", "cơ quan"],
}
LINK_KINDS = {
    "merge": ["merge", "sáp nhập", "hợp nhất", "nhập"],
    "split": ["split", "chia tách", "tách", "một phần", "điều chỉnh một phần"],
    "rename": ["rename", "đổi tên", "giữ nguyên"],
}


@dataclass
class Existing:
    """What the database holds that a reference file may refer to or update."""

    units: pd.DataFrame  # UNIT_FIELDS
    links: pd.DataFrame  # LINK_FIELDS
    fields: set[str] = field(default_factory=set)
    officers: set[str] = field(default_factory=set)
    today: date = field(default_factory=date.today)


def load_specs(path: str | Path | None = None) -> dict[str, SourceSpec]:
    with Path(path or SPEC_PATH).open("rb") as handle:
        raw = tomllib.load(handle)
    specs = {}
    for kind in KINDS:
        columns = {
            name: ColumnSpec(name, tuple(c["headers"]), bool(c.get("required", False)), c.get("kind", "code"), c.get("max_length"))
            for name, c in raw[kind]["columns"].items()
        }
        specs[kind] = SourceSpec(kind, raw[kind].get("key", ""), columns)
    return specs


def check(kind: str, raw: RawTable, existing: Existing, mapping: Mapping, name: str, lang: str = "vi") -> Checked:
    """Every cell and every cross-row rule of a reference file; Checked.frame is ready to write."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    spec = load_specs()[kind]
    units = existing.units
    known = set(units["code"].astype(str)) | set(units["gso_code"].astype(str))
    reference = Reference(known, {}, set(existing.officers))
    rules = {
        "units": _unit_rules,
        "departments": _unit_rules,
        "lineage": _lineage_rules,
        "procedures": _procedure_rules,
        "officers": _officer_rules,
        "targets": _target_rules,
    }[kind]

    def hook(found, out, raw_table, problems, lang_):
        rules(kind, existing, found, out, raw_table, problems, lang_)

    return validate(spec, raw, reference, mapping, Options(today=existing.today), name, lang, rules=hook)


# --- helpers -------------------------------------------------------------------------------------
def _dates(values) -> list:
    """datetime64 cells (NaT when empty) -> date or None."""
    if values is None:
        return []
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]


def _none(n: int) -> list:
    return [None] * n


def _cells(out: dict, name: str, n: int) -> list:
    """A checked column as a list, None for empty cells (text columns hold NaN there)."""
    if name not in out:
        return _none(n)
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in pd.Series(out[name]).tolist()]


def _words(table: dict[str, list[str]]) -> dict[str, str]:
    return {normalise(word): code for code, words in table.items() for word in [code, *words]}


def _flagged(problems, header: str | None, n: int) -> np.ndarray:
    if header is None:
        return np.zeros(n, dtype=bool)
    return problems.by_column.get(header, np.zeros(n, dtype=bool))


def _add(problems, n: int, rows: dict[int, str], header: str) -> None:
    """Report problems on some rows (position -> what is expected)."""
    if not rows:
        return
    mask = np.zeros(n, dtype=bool)
    expected = np.full(n, "", dtype=object)
    for position, text in rows.items():
        mask[position] = True
        expected[position] = text
    problems.add(mask, header, expected)


def _day(value) -> str:
    return "…" if value is None else value.strftime("%d/%m/%Y")


def _first_rows(keys: list, raw: RawTable) -> dict[int, int]:
    """For each row whose key an earlier row has, the earlier row's number in the file."""
    seen: dict = {}
    duplicates = {}
    for position, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            duplicates[position] = int(raw.row_numbers[seen[key]])
        else:
            seen[key] = position
    return duplicates


def _percent_or_share(
    raw: RawTable, header: str | None, numbers: pd.Series | None, n: int, as_rate: np.ndarray | None = None, from_: float = float("inf")
) -> np.ndarray:
    """Numbers as shares: "35 %" is 0.35; with `as_rate`, a number above 1 (from `from_` on) is a percentage too."""
    if header is None or numbers is None:
        return np.full(n, np.nan)
    values = np.array(pd.to_numeric(numbers, errors="coerce"), dtype=float)
    percent = np.array(raw.frame[header].fillna("").str.contains("%", regex=False), dtype=bool)
    if as_rate is not None:
        percent |= as_rate & ((values > 1) | (values >= from_))
    return np.where(percent, values / 100, values)


def _versions(units: pd.DataFrame) -> pd.DataFrame:
    return units[["code", "gso_code", "valid_from", "valid_to"]]


def _resolve(values: list, days: list, versions: pd.DataFrame) -> tuple[list, list]:
    """Codes to unit keys on each day: (keys or None, whether an official code had no version in force)."""
    if not len(values):
        return [], []
    keys, not_in_force = resolve_unit_codes(pd.Series(values, dtype=object), pd.Series(days, dtype=object), versions)
    return keys.tolist(), not_in_force.tolist()


# --- units and departments ---------------------------------------------------------------------------
def _unit_rules(kind, existing: Existing, found, out, raw: RawTable, problems, lang) -> None:
    n = len(raw.frame)
    units = existing.units
    gso = _cells(out, "gso_code", n)
    names = _cells(out, "name", n)
    start, end = _dates(out.get("valid_from", [None] * n)), _dates(out.get("valid_to", [None] * n))
    if not len(start):
        start = _none(n)
    if not len(end):
        end = _none(n)

    # Levels: a departments list is departments.
    if kind == "departments":
        levels = [vocab.DEPARTMENT] * n
    else:
        words = _words(LEVEL_WORDS)
        level_text = _cells(out, "level", n)
        levels = [words.get(normalise(v)) if v else None for v in level_text]
        bad = {
            i: pick(
                lang,
                "cấp: Tỉnh/Thành phố, Quận/Huyện, Phường/Xã/Đặc khu, Sở/Ban/Ngành (hoặc city, district, ward, department)",
                "a level: city, district, ward (phường/xã/đặc khu), department (sở/ban/ngành)",
            )
            for i, v in enumerate(level_text)
            if v and levels[i] is None
        }
        _add(problems, n, bad, found["level"])

    header_from = found.get("valid_from", found["gso_code"])
    header_to = found.get("valid_to", found["gso_code"])
    _add(
        problems,
        n,
        {
            i: pick(lang, f"ngày hết hiệu lực không trước ngày hiệu lực ({_day(start[i])})", f"an end not before the start ({_day(start[i])})")
            for i in range(n)
            if start[i] and end[i] and end[i] < start[i]
        },
        header_to,
    )

    # One row per version: (official code, valid from) is the source's own key.
    dup = _first_rows([(g, start[i]) if g else None for i, g in enumerate(gso)], raw)
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"một đơn vị chưa có ở dòng trên (cùng mã, cùng ngày hiệu lực); đã có ở dòng {r}",
                f"a unit not given by an earlier row (same code, same start); already on row {r}",
            )
            for i, r in dup.items()
        },
        found["gso_code"],
    )

    # Each row updates a stored version or adds one: with a start, the version of that code
    # with that start; without one, the version in force on its end (none: today), whose
    # stored start it keeps. So a plain list of today's units updates today's units, never the
    # former ones that carried the same codes.
    stored = {}
    for row in units.itertuples():
        stored.setdefault((str(row.gso_code), None if pd.isna(row.valid_from) else row.valid_from), row.code)
    undated = [i for i in range(n) if gso[i] and start[i] is None]
    in_force_now, _late = _resolve([gso[i] for i in undated], [end[i] or existing.today for i in undated], _versions(units))
    current = dict(zip(undated, in_force_now))
    stored_start = dict(zip(units["code"].astype(str), units["valid_from"]))
    taken = set(units["code"].astype(str))
    keys: list = []
    updates: list[bool] = []
    for i in range(n):
        match = (current.get(i) or stored.get((gso[i], None))) if start[i] is None else stored.get((gso[i], start[i]))
        if match is not None and gso[i]:
            keys.append(match)
            updates.append(True)
            if start[i] is None:
                kept_start = stored_start.get(match)
                start[i] = None if kept_start is None or pd.isna(kept_start) else kept_start
            continue
        updates.append(False)
        if not gso[i] or i in dup:
            keys.append(None)
            continue
        try:
            key = unit_key(gso[i], start[i], end[i], taken)
        except ValueError:
            key = None
            _add(
                problems,
                n,
                {
                    i: pick(
                        lang,
                        "ngày hiệu lực hoặc hết hiệu lực để phân biệt với phiên bản khác cùng mã",
                        "a start or end date telling it apart from another version of the same code",
                    )
                },
                header_from,
            )
        if key is not None:
            taken.add(key)
        keys.append(key)
    dup_versions = _first_rows([k if u else None for k, u in zip(keys, updates)], raw)
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"một đơn vị chưa có ở dòng trên (cùng phiên bản {keys[i]}); đã có ở dòng {r}",
                f"a unit not given by an earlier row (same version {keys[i]}); already on row {r}",
            )
            for i, r in dup_versions.items()
            if i not in dup
        },
        found["gso_code"],
    )

    # The versions after the import: stored ones not updated, and the file's.
    updated = {k for k, u in zip(keys, updates) if u}
    kept = units[~units["code"].isin(updated)]
    mine = pd.DataFrame({"code": keys, "gso_code": gso, "valid_from": start, "valid_to": end, "level": levels, "name": names})
    ok_rows = mine[mine["code"].notna()]
    combined = pd.concat(
        [kept[["code", "gso_code", "valid_from", "valid_to", "level", "name", "parent_code"]], ok_rows.assign(parent_code=None)], ignore_index=True
    )

    # Overlapping validity of one official code.
    overlaps = {}
    never, always = date.min, date.max
    for _code, part in combined.groupby(combined["gso_code"].astype(str)):
        if len(part) < 2:
            continue
        spans = sorted(((never if pd.isna(a) else a), (always if pd.isna(b) else b), k) for a, b, k in zip(part["valid_from"], part["valid_to"], part["code"]))
        reach, holder = spans[0][1], spans[0][2]  # the latest end so far, and whose
        for start_, end_, key in spans[1:]:
            if start_ <= reach:
                overlaps[key], overlaps[holder] = holder, key
            if end_ > reach:
                reach, holder = end_, key
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"hiệu lực không chồng lên phiên bản khác của mã {gso[i]} ({overlaps[k]})",
                f"a validity not overlapping another version of code {gso[i]} ({overlaps[k]})",
            )
            for i, k in enumerate(keys)
            if k in overlaps
        },
        header_from,
    )

    # Parents: a code (the version in force when the unit starts) or a key; departments sit
    # under the city when no parent is given.
    parent_values = _cells(out, "parent_code", n)
    days = [start[i] or end[i] or existing.today for i in range(n)]
    if kind == "departments":
        roots = combined[combined["parent_code"].isna() & (combined["level"] == vocab.CITY)]
        roots = roots[in_force(roots, existing.today)] if len(roots) else roots
        root = str(roots["code"].iloc[0]) if len(roots) == 1 else None
        missing = {
            i: pick(
                lang,
                "mã đơn vị cấp trên (cơ sở dữ liệu có không đúng một thành phố đang có hiệu lực)",
                "a parent code (the database has not exactly one city in force)",
            )
            for i in range(n)
            if not parent_values[i] and root is None
        }
        _add(problems, n, missing, found.get("parent_code", found["gso_code"]))
        parent_values = [p or root for p in parent_values]
    versions = _versions(combined)
    parents, late = _resolve(parent_values, days, versions)
    header_parent = found.get("parent_code", found["gso_code"])
    already = _flagged(problems, header_parent, n)
    unknown = {}
    for i, value in enumerate(parent_values):
        if not value or already[i]:
            continue
        if late[i]:
            unknown[i] = pick(
                lang,
                f"một đơn vị cấp trên có hiệu lực ngày {_day(days[i])} (ngày hiệu lực của dòng)",
                f"a parent in force on {_day(days[i])} (the row's start)",
            )
        elif parents[i] is None:
            unknown[i] = pick(lang, "mã đơn vị cấp trên có trong tệp hoặc trong cơ sở dữ liệu", "a parent code in the file or in the database")
    _add(problems, n, unknown, header_parent)
    parents = [p if value else None for p, value in zip(parents, parent_values)]

    # No cycle: walking up from each unit never comes back to it.
    parent_of = {str(c): (None if pd.isna(p) else str(p)) for c, p in zip(kept["code"], kept["parent_code"])}
    for k, p in zip(keys, parents):
        if k is not None:
            parent_of[k] = p
    cycles = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        seen, at = {k}, parent_of.get(k)
        while at is not None:
            if at in seen:
                if at == k:
                    cycles[i] = pick(
                        lang,
                        f"một đơn vị cấp trên không nằm dưới chính đơn vị này (vòng lặp qua {parents[i]})",
                        f"a parent that is not below the unit itself (a cycle through {parents[i]})",
                    )
                break
            seen.add(at)
            at = parent_of.get(at)
    _add(problems, n, cycles, header_parent)

    # Successors: the units it went into on the day after its end.
    successor_values = _cells(out, "successors", n)
    successor_keys: list = []
    bad_successor = {}
    header_successor = found.get("successors", found["gso_code"])
    for i, text in enumerate(successor_values):
        codes = [c for c in re.split(r"[;,\s]+", text or "") if c]
        if not codes:
            successor_keys.append(None)
            continue
        if end[i] is None:
            bad_successor[i] = pick(lang, "ngày hết hiệu lực (cột Hiệu lực đến) khi có đơn vị kế thừa", "an end date (valid_to) when successors are given")
            successor_keys.append(None)
            continue
        after = end[i] + timedelta(days=1)
        found_keys, late_s = _resolve(codes, [after] * len(codes), versions)
        missing = [c for c, k, lt in zip(codes, found_keys, late_s) if k is None]
        if missing:
            bad_successor[i] = pick(
                lang,
                f"đơn vị kế thừa có hiệu lực ngày {_day(after)} (không có: {', '.join(missing)})",
                f"successor units in force on {_day(after)} (not found: {', '.join(missing)})",
            )
            successor_keys.append(None)
            continue
        successor_keys.append(";".join(found_keys))
    _add(problems, n, bad_successor, header_successor)

    # Columns the file does not have are not written: an update keeps what is stored.
    out["code"] = pd.Series(keys, dtype=object)
    out["level"] = pd.Series(levels, dtype=object)
    if "parent_code" in found or kind == "departments":
        out["parent_code"] = pd.Series(parents, dtype=object)
    out["successors"] = pd.Series(successor_keys, dtype=object)
    out["valid_from"] = pd.Series(start, dtype=object)
    if "valid_to" in found:
        out["valid_to"] = pd.Series(end, dtype=object)
    if "area_km2" in out:
        area = pd.to_numeric(out["area_km2"], errors="coerce")
        _add(problems, n, {i: pick(lang, "diện tích dương (km²)", "a positive area (km²)") for i in np.flatnonzero((area <= 0).to_numpy())}, found["area_km2"])


# --- lineage ---------------------------------------------------------------------------------------------


def _weight(value: float, lang: str) -> str:
    """A sum of weights, four significant digits, with the reader's decimal mark (1,25 / 1.25)."""
    text = f"{value:.4g}"
    return text.replace(".", ",") if lang == "vi" else text


def _lineage_rules(kind, existing: Existing, found, out, raw: RawTable, problems, lang) -> None:
    n = len(raw.frame)
    versions = _versions(existing.units)
    days = _dates(out["effective_date"]) if "effective_date" in out else _none(n)
    days = [d or REFORM_DATE for d in days]
    old_values, new_values = _cells(out, "old_code", n), _cells(out, "new_code", n)
    olds, old_late = _resolve(old_values, [d - timedelta(days=1) for d in days], versions)
    news, new_late = _resolve(new_values, days, versions)
    for values, keys, late, header, when, what_vi, what_en in (
        (old_values, olds, old_late, found["old_code"], [d - timedelta(days=1) for d in days], "cũ", "former"),
        (new_values, news, new_late, found["new_code"], days, "mới", "new"),
    ):
        already = _flagged(problems, header, n)
        _add(
            problems,
            n,
            {
                i: (
                    pick(lang, f"một đơn vị {what_vi} có hiệu lực ngày {_day(when[i])}", f"a {what_en} unit in force on {_day(when[i])}")
                    if late[i]
                    else pick(
                        lang,
                        f"mã đơn vị {what_vi} có trong cơ sở dữ liệu (nạp danh sách đơn vị trước)",
                        f"a {what_en} unit code known to the database (import the units first)",
                    )
                )
                for i, v in enumerate(values)
                if v and keys[i] is None and not already[i]
            },
            header,
        )
    _add(
        problems,
        n,
        {i: pick(lang, "đơn vị mới khác đơn vị cũ", "a new unit other than the former one") for i in range(n) if olds[i] and olds[i] == news[i]},
        found["new_code"],
    )

    weights = _percent_or_share(raw, found.get("weight"), out.get("weight"), n)
    header_weight = found.get("weight", found["old_code"])
    _add(
        problems,
        n,
        {
            i: pick(lang, "tỷ trọng từ 0 đến 1 (0,35 hoặc 35 %)", "a weight from 0 to 1 (0.35 or 35 %)")
            for i in range(n)
            if not np.isnan(weights[i]) and not 0 <= weights[i] <= 1
        },
        header_weight,
    )
    given_whole = raw.frame[found["whole"]].fillna("").str.strip().ne("").to_numpy() if "whole" in found else np.zeros(n, dtype=bool)
    wholes = [bool(out["whole"].iat[i]) if given_whole[i] else (np.isnan(weights[i]) or weights[i] == 1) for i in range(n)]
    _add(
        problems,
        n,
        {
            i: pick(
                lang, "toàn bộ chỉ khi tỷ trọng là 1 (để trống cột Toàn bộ nếu chỉ một phần)", "whole only with a weight of 1 (leave whole empty for a part)"
            )
            for i in range(n)
            if wholes[i] and not np.isnan(weights[i]) and weights[i] < 1
        },
        found.get("whole", header_weight),
    )

    kinds_text = _cells(out, "kind", n)
    words = _words(LINK_KINDS)
    kinds = [words.get(normalise(t)) if t else ("merge" if wholes[i] else "split") for i, t in enumerate(kinds_text)]
    _add(
        problems,
        n,
        {i: pick(lang, "sáp nhập (merge), chia tách (split) hoặc đổi tên (rename)", "merge, split or rename") for i in range(n) if kinds[i] is None},
        found.get("kind", header_weight),
    )

    dup = _first_rows([(olds[i], news[i], days[i]) if olds[i] and news[i] else None for i in range(n)], raw)
    _add(
        problems,
        n,
        {
            i: pick(lang, f"một liên kết chưa có ở dòng trên; đã có ở dòng {r}", f"a link not given by an earlier row; already on row {r}")
            for i, r in dup.items()
        },
        found["new_code"],
    )

    # A former unit's weights sum to at most 1: the file's and its stored links' not in the file.
    mine = {(olds[i], news[i], days[i]) for i in range(n)}
    total: dict[str, float] = {}
    for link in existing.links.itertuples():
        eff = link.effective_date if isinstance(link.effective_date, date) else pd.Timestamp(link.effective_date).date()
        if (link.old_code, link.new_code, eff) not in mine and not pd.isna(link.weight):
            total[link.old_code] = total.get(link.old_code, 0.0) + float(link.weight)
    for i in range(n):
        if olds[i] and not np.isnan(weights[i]) and i not in dup:
            total[olds[i]] = total.get(olds[i], 0.0) + weights[i]
    out_of_range = _flagged(problems, header_weight, n)
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"tỷ trọng của đơn vị cũ {olds[i]} cộng lại không quá 1 (đang là {_weight(total[olds[i]], 'vi')})",
                f"weights of former unit {olds[i]} summing to at most 1 (now {_weight(total[olds[i]], 'en')})",
            )
            for i in range(n)
            if olds[i] and total.get(olds[i], 0) > 1 + 1e-9 and not np.isnan(weights[i]) and not out_of_range[i]
        },
        header_weight,
    )

    out["old_code"] = pd.Series(olds, dtype=object)
    out["new_code"] = pd.Series(news, dtype=object)
    out["effective_date"] = pd.Series(days, dtype=object)
    out["whole"] = pd.Series(wholes, dtype=bool)
    out["weight"] = pd.Series(weights, dtype=float)
    out["kind"] = pd.Series(kinds, dtype=object)


# --- procedures, officers, targets ------------------------------------------------------------------------
def _procedure_rules(kind, existing: Existing, found, out, raw: RawTable, problems, lang) -> None:
    n = len(raw.frame)
    fields = _cells(out, "field_code", n)
    field_names = _cells(out, "field_name", n)
    named = {f for f, name in zip(fields, field_names) if f and name}
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                "mã lĩnh vực có trong cơ sở dữ liệu, hoặc tên lĩnh vực ở cột Tên lĩnh vực để thêm lĩnh vực mới",
                "a field code known to the database, or the field's name in the field name column to add it",
            )
            for i, f in enumerate(fields)
            if f and f not in existing.fields and f not in named
        },
        found["field_code"],
    )
    words = _words(LEVEL_WORDS)
    levels_text = _cells(out, "level", n)
    levels = [words.get(normalise(t)) if t else None for t in levels_text]
    _add(
        problems,
        n,
        {
            i: pick(lang, "cấp thực hiện: Phường/Xã, Quận/Huyện, Sở/Ban/Ngành hoặc Tỉnh/Thành phố", "a level: ward, district, department or city")
            for i, t in enumerate(levels_text)
            if t and levels[i] is None
        },
        found.get("level", found["code"]),
    )
    out["level"] = pd.Series(levels, dtype=object)
    out["field_name"] = pd.Series(field_names, dtype=object)


def _officer_rules(kind, existing: Existing, found, out, raw: RawTable, problems, lang) -> None:
    n = len(raw.frame)
    header = found["unit_code"]
    values = _cells(out, "unit_code", n)
    keys, late = _resolve(values, [existing.today] * n, _versions(existing.units))
    already = _flagged(problems, header, n)
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"một đơn vị đang có hiệu lực (hoặc khóa đơn vị đúng, ví dụ {v}@2025-06-30, cho đơn vị cũ)",
                f"a unit in force today (or the exact unit key, e.g. {v}@2025-06-30, for a former unit)",
            )
            for i, v in enumerate(values)
            if v and late[i] and not already[i]
        },
        header,
    )
    if "email" in out:
        emails = _cells(out, "email", n)
        _add(
            problems,
            n,
            {
                i: pick(lang, "một địa chỉ email (ten@co-quan.gov.vn)", "an e-mail address (name@agency.gov.vn)")
                for i, e in enumerate(emails)
                if e and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e)
            },
            found["email"],
        )
    out["unit_code"] = pd.Series(keys, dtype=object)


def _target_rules(kind, existing: Existing, found, out, raw: RawTable, problems, lang) -> None:
    from metrics.kpis import KPIS

    n = len(raw.frame)
    kpis = _cells(out, "kpi_id", n)
    _add(
        problems,
        n,
        {i: pick(lang, "mã chỉ tiêu: " + ", ".join(sorted(KPIS)), "a KPI id: " + ", ".join(sorted(KPIS))) for i, k in enumerate(kpis) if k and k not in KPIS},
        found["kpi_id"],
    )
    start, end = _dates(out["valid_from"]), (_dates(out["valid_to"]) if "valid_to" in out else _none(n))
    _add(
        problems,
        n,
        {
            i: pick(lang, f"ngày hết hiệu lực không trước ngày hiệu lực ({_day(start[i])})", f"an end not before the start ({_day(start[i])})")
            for i in range(n)
            if start[i] and end[i] and end[i] < start[i]
        },
        found.get("valid_to", found["valid_from"]),
    )
    rate = np.asarray([k in KPIS and KPIS[k].kind == "rate" for k in kpis], dtype=bool)
    values = _percent_or_share(raw, found["value"], out["value"], n, rate)
    _add(
        problems,
        n,
        {
            i: pick(lang, "một tỷ lệ từ 0 đến 1 hoặc phần trăm (0,96 hoặc 96 %)", "a rate from 0 to 1 or a percentage (0.96 or 96 %)")
            for i in range(n)
            if rate[i] and not np.isnan(values[i]) and not 0 <= values[i] <= 1
        },
        found["value"],
    )
    margins = _percent_or_share(raw, found.get("amber_margin"), out.get("amber_margin"), n, rate, from_=1)  # a margin of 1 is a point
    _add(
        problems,
        n,
        {i: pick(lang, "biên độ từ 0 trở lên", "a margin of 0 or more") for i in range(n) if not np.isnan(margins[i]) and margins[i] < 0},
        found.get("amber_margin", found["value"]),
    )
    unit_values = _cells(out, "unit_code", n)
    keys, late = _resolve(unit_values, [d or existing.today for d in start], _versions(existing.units))
    header_unit = found.get("unit_code", found["kpi_id"])
    already = _flagged(problems, header_unit, n)
    _add(
        problems,
        n,
        {
            i: pick(lang, f"một đơn vị có hiệu lực ngày {_day(start[i])}", f"a unit in force on {_day(start[i])}")
            for i, v in enumerate(unit_values)
            if v and late[i] and not already[i]
        },
        header_unit,
    )
    keys = [k if v else None for k, v in zip(keys, unit_values)]
    dup = _first_rows([(kpis[i], keys[i], start[i]) for i in range(n)], raw)
    _add(
        problems,
        n,
        {
            i: pick(
                lang,
                f"một chỉ tiêu chưa có ở dòng trên (cùng chỉ tiêu, đơn vị, ngày hiệu lực); đã có ở dòng {r}",
                f"a target not given by an earlier row (same KPI, unit, start); already on row {r}",
            )
            for i, r in dup.items()
        },
        found["kpi_id"],
    )
    out["unit_code"] = pd.Series(keys, dtype=object)
    out["valid_from"] = pd.Series(start, dtype=object)
    out["valid_to"] = pd.Series(end, dtype=object)
    out["value"] = pd.Series(values, dtype=float)
    out["amber_margin"] = pd.Series(margins, dtype=float)
