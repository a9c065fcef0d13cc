"""The simulation's parameters (sizes, weak wards and incidents, time units) and its records.

Catalogue figures (calendar, calibration, procedures, names) are data: catalogue.toml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from domain.errors import UserFacingError


# Dossiers over the whole range, by size; the default demo's volume is set per month since
# the reform instead (PER_MONTH_SINCE_REFORM: about the city's real scale; HCMC resolved
# 1,304,371 dossiers in Q3 2025, 434,790 a month), with a thinner history before it
# (HISTORY_SCALE of the daily volume) and fewer ratings than dossiers since the reform
# (RATINGS_PER_DOSSIER; HCMC's kiosks and tablets recorded 381,922 ratings in 2019).
SIZES = {"small": 20_000, "default": 4_300_000, "city": 10_000_000}
PER_MONTH_SINCE_REFORM = {"default": 255_000}
HISTORY_SCALE = {"default": 1 / 50}  # volume per day before July 2025 relative to after (else 1)
RATINGS_PER_DOSSIER = {"default": 0.12}  # ratings per dossier from July 2025 (else about 1)
SAT_MULT_SINCE_REFORM = 10.0  # weak wards' and incidents' satisfaction multipliers since the reform, times
LATE_MULT_SINCE_REFORM = 1.25  # late dossiers since the reform relative to before (HCMC Q3 2025: 96.63 % on time)
MONTH_FLOOR = 0.9  # since the reform, no month below this share of the era's mean month
FORMER, CURRENT = "former", "current"  # the eras: before 1 July 2025, and since
DEFAULT_START = date(2021, 1, 1)
CITY_CODE, CITY_NAME = "79", "Thành phố Hồ Chí Minh"
MAX_CHUNK_DOSSIERS = 250_000

# Weak wards and incidents.
N_WEAK_WARDS, N_INCIDENTS = 5, 5
WEAK_SAT_MULT, INCIDENT_SAT_MULT, LATE_SAT_MULT, MULTI_SUPPLEMENT_SAT_MULT = 3.5, 8.0, 3.0, 2.0
WEAK_LATE_MULT, WEAK_LATE_FLOOR, INCIDENT_LATE_FLOOR = 4.0, 0.03, 0.15
REMOTE_DAMPING = 0.35
STUCK_SHARE = 0.12  # of late dossiers: stuck for weeks or months

US_PER_MIN = 60_000_000
US_PER_HOUR = 60 * US_PER_MIN
WEEKMASK_DUE = "1111100"  # legal working days: Monday-Friday
WEEKMASK_WORK = "1111110"  # counters also open on Saturday mornings


class DemoDataError(UserFacingError, RuntimeError):
    """The demo data cannot be written (e.g. the database already holds units)."""

    vi = "Không tạo được dữ liệu mẫu."
    en = "The demo data cannot be written."


@dataclass(frozen=True)
class Anomaly:
    """A planted, true difference the dashboard should find."""

    unit_code: str
    unit_name: str
    kind: str  # "weak_ward" (all months) | "satisfaction_drop" | "timeliness_drop" | "both"
    months: tuple[date, ...]  # first day of each affected month

    @property
    def affects_satisfaction(self) -> bool:
        return self.kind in ("weak_ward", "satisfaction_drop", "both")

    @property
    def affects_timeliness(self) -> bool:
        return self.kind in ("weak_ward", "timeliness_drop", "both")


# Officer code prefix by unit level.
LEVEL_PREFIX = {"ward": "X", "district": "H", "department": "T"}
