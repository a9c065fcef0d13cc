"""A tiny hand-made dataset whose figures are worked out by hand in the comments.

October 2026, two wards of Quận 1 (26734, 26737) and an empty district (761). Every
expected number in the tests comes from the reasoning written here, not from the code.
"""

from datetime import date, datetime

from sqlalchemy import insert

from data_access.schema import dossiers, fields, officers, procedures, ratings, targets, units

UNITS = [
    dict(code="79", name="Thành phố Hồ Chí Minh", level="city", parent_code=None),
    dict(code="760", name="Quận 1", level="district", parent_code="79"),
    dict(code="761", name="Quận 12", level="district", parent_code="79"),
    dict(code="26734", name="Phường Tân Định", level="ward", parent_code="760"),
    dict(code="26737", name="Phường Đa Kao", level="ward", parent_code="760"),
]
FIELDS = [dict(code="HT", name="Hộ tịch", name_en="Civil status"), dict(code="DD", name="Đất đai", name_en="Land")]
PROCEDURES = [
    dict(code="P1", name="Đăng ký khai sinh", field_code="HT", legal_days=3, level="ward"),
    dict(code="P2", name="Đăng ký biến động đất đai", field_code="DD", legal_days=10, level="ward"),
]
OFFICERS = [dict(code="O1", full_name="Nguyễn Thị Lan", unit_code="26734"), dict(code="O2", full_name="Trần Văn Minh", unit_code="26737")]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _rating(key, unit, channel, level, at, officer=None):
    return dict(source_key=key, unit_code=unit, officer_code=officer, channel=channel, level=level, rated_at=_ts(at), reason=None)


# October: 6 ratings: very satisfied 3, satisfied 1, neutral 1, dissatisfied 1 -> satisfaction 4/6.
# 26734 has 4 of them, 26737 has 2. One more (dissatisfied) on 30 September, outside October.
RATINGS = [
    _rating("R1", "26734", "kiosk", 1, "2026-10-05 09:00", "O1"),
    _rating("R2", "26734", "kiosk", 2, "2026-10-05 09:30", "O1"),
    _rating("R3", "26734", "kiosk", 4, "2026-10-05 10:00", "O1"),
    _rating("R4", "26734", "web", 3, "2026-10-06 20:00"),
    _rating("R5", "26737", "tablet", 1, "2026-10-20 14:00", "O2"),
    _rating("R6", "26737", "tablet", 1, "2026-10-20 15:00", "O2"),
    _rating("R0", "26734", "kiosk", 4, "2026-09-30 16:00", "O1"),
]


def _dossier(code, unit, procedure, field, channel, received, due, finished=None, status=10, supplements=0, supplement_days=0, apology=None):
    return dict(
        code=code,
        unit_code=unit,
        procedure_code=procedure,
        field_code=field,
        channel=channel,
        received_at=_ts(received),
        due_at=_ts(due),
        finished_at=_ts(finished) if finished else None,
        returned_at=None,
        status=status,
        supplement_count=supplements,
        supplement_days=supplement_days,
        apology_issued_at=_ts(apology) if apology else None,
        accepted_late=False,
        paid_online=False,
        digitised=False,
        officer_code=None,
    )


DOSSIERS = [
    # D1 finished 05/10, due 06/10: early. 4 days.
    _dossier("D1", "26734", "P1", "HT", 1, "2026-10-01 08:00", "2026-10-06 17:00", "2026-10-05 10:00"),
    # D2 online, finished on its due day: on time. 5 days.
    _dossier("D2", "26734", "P1", "HT", 2, "2026-10-01 08:00", "2026-10-06 17:00", "2026-10-06 15:00", status=9),
    # D3 finished 12/10, due 08/10: late, apology issued 07/10 (in time). 11 days.
    _dossier("D3", "26734", "P2", "DD", 1, "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-12 10:00", apology="2026-10-07 09:00"),
    # D4 due 08/10 but 5 days waiting for a supplement move it to 13/10: finished 12/10 is early. 11 days.
    _dossier("D4", "26734", "P2", "DD", 1, "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-12 10:00", supplements=1, supplement_days=5),
    # D5 two supplement requests: late whatever the dates (due 08/10 + 3 = 11/10, finished 09/10). 8 days.
    _dossier("D5", "26737", "P2", "DD", 1, "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-09 10:00", supplements=2, supplement_days=3),
    # D6 open, due 23/10: overdue at the end of October.
    _dossier("D6", "26737", "P1", "HT", 1, "2026-10-20 08:00", "2026-10-23 17:00", status=4),
    # D7 open, due 03/11: within time at the end of October.
    _dossier("D7", "26737", "P1", "HT", 1, "2026-10-28 08:00", "2026-11-03 17:00", status=2),
    # D8 withdrawn by the citizen: received, never open in the backlog, never finished.
    _dossier("D8", "26734", "P1", "HT", 1, "2026-10-02 08:00", "2026-10-07 17:00", status=7),
    # D9 received in September, finished 03/10 after its due day 02/10: late in October. 4 days.
    _dossier("D9", "26734", "P1", "HT", 1, "2026-09-29 08:00", "2026-10-02 17:00", "2026-10-03 10:00"),
]

TARGETS = [dict(kpi_id="on_time_rate", unit_code=None, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), value=0.98, amber_margin=0.01)]


def load(engine) -> None:
    with engine.begin() as connection:
        for table, rows in (
            (units, UNITS),
            (fields, FIELDS),
            (procedures, PROCEDURES),
            (officers, OFFICERS),
            (ratings, RATINGS),
            (dossiers, DOSSIERS),
            (targets, TARGETS),
        ):
            connection.execute(insert(table), rows)


def database(url: str, today: date | None = None):
    """A new database at `url`, migrated, holding this dataset and its summaries (refreshed
    as of `today`, default the real today); its engine, for the caller to dispose."""
    from data_access import refresh
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    load(engine)
    refresh.refresh_summaries(engine, today=today)
    return engine
