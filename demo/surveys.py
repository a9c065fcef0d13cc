"""Published independent survey figures for the demo city (metrics/surveys.py)."""

from __future__ import annotations


import numpy as np
import pandas as pd
from sqlalchemy import select

from data_access import schema
from domain import vocab

PUBLISHED_SURVEYS = [
    dict(
        source="sipas",
        period="2024",
        province_code="VN",
        indicator="satisfaction",
        value=83.94,
        sample_size=36525,
        method_note="Bộ Nội vụ, SIPAS 2024: chỉ số hài lòng cả nước 83,94 %, 36.525 phiếu khảo sát.",
    ),
    dict(
        source="sipas",
        period="2024",
        province_code="01",
        indicator="satisfaction",
        value=86.50,
        method_note="Bộ Nội vụ, SIPAS 2024: Hà Nội 86,50 %, xếp thứ 11/63 tỉnh, thành phố.",
    ),
    dict(
        source="sipas",
        period="2024",
        province_code="01",
        indicator="satisfaction_rank",
        value=11,
        scale_max=63,
        method_note="Bộ Nội vụ, SIPAS 2024: Hà Nội xếp thứ 11/63.",
    ),
    dict(
        source="mttq",
        period="2019",
        province_code="79",
        indicator="satisfaction",
        value=80.0,
        sample_size=12459,
        method_note="Ủy ban MTTQ Việt Nam TP.HCM, năm 2019: 12.459 phiếu khảo sát độc lập, mức hài lòng công bố «từ 80 %» "
        "(mức sàn, không phải trung bình); cùng năm thiết bị tại đơn vị ghi nhận 99,24 % hài lòng.",
    ),
    dict(
        source="papi",
        period="2024",
        province_code="VN",
        indicator="respondents",
        value=18894,
        sample_size=18894,
        method_note="UNDP, CECODES, MTTQ: PAPI 2024 khảo sát 18.894 người dân trên cả nước.",
    ),
]


def demo_surveys(units: pd.DataFrame, seed: int = 42, years=(2023, 2024, 2025)) -> pd.DataFrame:
    """The published figures above, and a generated survey of the city and its districts by
    the city itself, each generated row saying so in its method note."""
    from metrics import periods, surveys

    rows = [dict(r) for r in PUBLISHED_SURVEYS]
    rng = np.random.default_rng([seed, 16])
    city = units[units["parent_code"].isna()]["code"].iloc[0]
    covered = [city] + list(units[(units["level"] == vocab.DISTRICT) & (units["parent_code"] == city)]["code"])
    for year in years:
        for code in covered:
            base = 78 + 2.2 * (year - years[0]) + rng.normal(0, 2.5 if code != city else 0.5)
            rows.append(
                dict(
                    source="city",
                    period=str(year),
                    province_code=city,
                    unit_code=code,
                    indicator="satisfaction",
                    value=round(float(np.clip(base, 60, 97)), 1),
                    sample_size=int(rng.integers(300, 1500)) if code != city else 9000,
                    method_note=f"{surveys.GENERATED_MARK}: không phải số liệu công bố, chỉ để minh họa cách hiển thị khảo sát cấp đơn vị.",
                )
            )
    frame = pd.DataFrame(rows)
    for column in ("unit_code", "dimension", "scale_max", "sample_size", "link"):
        if column not in frame:
            frame[column] = None
    frame = frame.astype(object).where(frame.notna(), None)
    frame["scale"] = [surveys.INDICATORS[i][2] for i in frame["indicator"]]
    parsed = [periods.parse_period(p) for p in frame["period"]]
    frame["period_start"] = [p.start for p in parsed]
    frame["period_end"] = [p.end for p in parsed]
    frame["survey_key"] = [
        surveys.survey_key(*v)
        for v in zip(frame["source"], frame["period"], frame["province_code"], frame["unit_code"], frame["indicator"], frame["dimension"])
    ]
    return frame


def write_demo_surveys(connection, seed: int = 42) -> int:
    """Insert the demo survey rows (into a database with units and no survey yet)."""
    unit_rows = pd.DataFrame(
        connection.execute(select(schema.units.c.code, schema.units.c.level, schema.units.c.parent_code)).all(), columns=["code", "level", "parent_code"]
    )
    records = demo_surveys(unit_rows, seed).to_dict("records")
    connection.execute(schema.surveys.insert(), records)
    return len(records)


# Months of dossiers that get processing steps in the demo (plus every open dossier): the
# default demo keeps its first start within budget; "city" has steps for every dossier.
