"""Shared helpers for the geo tests (no tests here): a SQLite database holding units."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from data_access.db import make_engine
from data_access.schema import metadata, units
from geo.generated import legacy_units, units_2025

SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo"
REAL_2025 = SHARED_GEO / "hcmc_wards_2025.geojson"
REAL_2025_MISSING = f"real boundary file {REAL_2025} is absent (see ../shared/geo/README.md)"


def unit_rows(frame: pd.DataFrame) -> list[dict]:
    rows = []
    for r in frame.itertuples(index=False):
        rows.append(
            {
                "code": str(r.code),
                "name": r.name,
                "level": r.level,
                "parent_code": None if pd.isna(r.parent_code) else str(r.parent_code),
                "lat": float(r.lat),
                "lon": float(r.lon),
            }
        )
    return rows


def engine_with_units(tmp_path, layout: str = "legacy"):
    """A SQLite engine with the schema and the HCMC units: legacy (city, 22 districts,
    273 wards) or 2025 (city and 168 wards)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'geo_test.sqlite'}")
    metadata.create_all(engine)
    if layout == "legacy":
        frame = legacy_units("79")
    else:
        city = legacy_units("79").query("level == 'city'")
        frame = pd.concat([city, units_2025("79")], ignore_index=True)
    with engine.begin() as conn:
        conn.execute(insert(units), unit_rows(frame))
    return engine


def load_layout(engine, province: str = "79", *, former: bool = True) -> None:
    """Write a province's units (current and, with `former`, former ones) and its crosswalk,
    as `ingest.admin_units.province_layout` gives them, into a database with the schema."""
    from data_access.schema import unit_lineage
    from ingest.admin_units import province_layout

    layout = province_layout(province)
    frame = layout.units if former else layout.units[layout.units["valid_to"].isna()]
    rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]
    links = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in layout.lineage.to_dict("records")] if former else []
    with engine.begin() as conn:
        conn.execute(insert(units), rows)
        if links:
            conn.execute(insert(unit_lineage), links)


def engine_with_layout(tmp_path, province: str = "79", *, former: bool = True):
    """A SQLite engine with the schema and a province's units of both layouts (ingest.admin_units)."""
    engine = make_engine(f"sqlite:///{tmp_path / f'layout_{province}.sqlite'}")
    metadata.create_all(engine)
    load_layout(engine, province, former=former)
    return engine


def two_era_database(path, province: str = "79", seed: int = 12) -> str:
    """A migrated SQLite database (URL) with a province's units of both layouts and its
    crosswalk, and a few ratings: October 2026 at every current unit, April-June 2024 at
    every former ward. No boundary is stored: the map must find its own. Figures are
    random; tests compare what the page shows with the ratings table read here directly."""
    import numpy as np
    from datetime import datetime, timedelta

    from data_access import refresh
    from data_access.migrate import upgrade
    from data_access.schema import ratings

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        load_layout(engine, province)
        from ingest.admin_units import province_layout

        layout = province_layout(province).units
        rng = np.random.default_rng(seed)
        current = layout[layout["valid_from"].notna() & (layout["level"] == "ward")]["code"].tolist()
        former = layout[layout["valid_to"].notna() & (layout["level"] == "ward")]["code"].tolist()
        rows = []
        for codes, start, days in ((current, datetime(2026, 10, 1, 8), 30), (former, datetime(2024, 4, 1, 8), 90)):
            for code in codes:
                for i in range(int(rng.integers(3, 12))):
                    rows.append(
                        {
                            "source_key": f"{code}-{start:%Y}-{i}",
                            "unit_code": code,
                            "channel": "kiosk",
                            "level": int(rng.choice([1, 1, 1, 2, 3, 4])),
                            "rated_at": start + timedelta(days=int(rng.integers(0, days)), minutes=i),
                        }
                    )
        # The data end on 31 October 2026, so October is the latest whole month.
        rows.append({"source_key": "last-day", "unit_code": current[0], "channel": "kiosk", "level": 1, "rated_at": datetime(2026, 10, 31, 16)})
        with engine.begin() as conn:
            conn.execute(insert(ratings), rows)
        refresh.refresh_summaries(engine)
    finally:
        engine.dispose()
    return url
