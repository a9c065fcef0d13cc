"""The rating and dossier database: dimensions, facts and day/month summary tables.

SQLAlchemy Core, one definition for SQLite and PostgreSQL. The Alembic migrations in
`data_access/migrations/` create exactly these tables; a test checks they agree.
Summary tables hold counts, never rates: every rate is numerator / denominator at query
time, so any period and any group of units aggregates correctly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    bindparam,
    true,
)

from domain.vocab import BACKLOG_COUNTS  # noqa: F401 (a backlog_daily column list, imported from here too)
from domain.vocab import FINISHED_STATUSES

metadata = MetaData()

# --- dimensions -----------------------------------------------------------------------

units = Table(
    "units",
    metadata,
    # The unit key: one version of a unit. Codes are reused across reforms (the new Phường Sài
    # Gòn is 26740, which was Phường Bến Nghé), so the key is the GSO code while no other
    # version holds it, else "code@date" with a date the version was in force
    # (domain.units.unit_key). Facts keep the key of the version they were recorded against.
    Column("code", String(32), primary_key=True),
    # The official code as sources write it (departments "79.SXD"); the key when not given.
    Column("gso_code", String(32), nullable=False, default=lambda context: context.get_current_parameters()["code"]),
    Column("name", String(200), nullable=False),  # Vietnamese name with its type: "Phường Tân Định"
    Column("level", String(16), nullable=False),  # domain.vocab: city / district / ward / department
    Column("parent_code", String(32), ForeignKey("units.code"), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("area_km2", Float, nullable=True),  # official area, when known (crosswalk weights fall back on it)
    Column("valid_from", Date, nullable=True),  # null: since before the data
    Column("valid_to", Date, nullable=True),  # null: still in force
    Index("ix_units_parent", "parent_code"),
    Index("ix_units_gso_code", "gso_code"),
)

# The crosswalk between versions: each former unit to each unit it went into. Many-to-many:
# a former ward split between two new units has two links, each "part" (whole=False).
unit_lineage = Table(
    "unit_lineage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("old_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("new_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # merge / split / rename
    Column("whole", Boolean, nullable=False, server_default=true()),  # the whole former unit went into the new one
    Column("weight", Float, nullable=True),  # share of the former unit in this link (0..1); null unless known
    Index("ix_unit_lineage_old", "old_code"),
    Index("ix_unit_lineage_new", "new_code"),
)

fields = Table(
    "fields",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200), nullable=True),
)

procedures = Table(
    "procedures",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("field_code", String(32), ForeignKey("fields.code"), nullable=False),
    Column("legal_days", Integer, nullable=False),  # legal processing time, working days
    Column("level", String(16), nullable=True),  # which tier handles it: ward / district / department
)

officers = Table(
    "officers",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("title", String(100), nullable=True),
    Column("email", String(254), nullable=True),  # where reminders go (data_access/reminders.py)
    Index("ix_officers_unit", "unit_code"),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kpi_id", String(64), nullable=False),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=True),  # null: every unit
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("value", Float, nullable=False),
    Column("amber_margin", Float, nullable=True),  # within this below target is amber, not red
)

unit_boundaries = Table(
    "unit_boundaries",
    metadata,
    Column("unit_code", String(32), ForeignKey("units.code"), primary_key=True),
    Column("geojson", Text, nullable=False),  # simplified geometry, EPSG:4326
    Column("source", String(200), nullable=False),
    Column("approximate", Boolean, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

# --- facts ----------------------------------------------------------------------------

ratings = Table(
    "ratings",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source_key", String(64), nullable=False, unique=True),  # the rating system's own id
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("officer_code", String(32), ForeignKey("officers.code"), nullable=True),
    Column("dossier_code", String(64), nullable=True),
    Column("channel", String(16), nullable=False),  # domain.vocab.RATING_CHANNELS
    Column("level", SmallInteger, nullable=False),  # domain.vocab.RATING_LEVELS
    Column("rated_at", DateTime, nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_ratings_unit_time", "unit_code", "rated_at"),
    Index("ix_ratings_time", "rated_at"),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("procedure_code", String(32), ForeignKey("procedures.code"), nullable=False),
    Column("field_code", String(32), ForeignKey("fields.code"), nullable=False),
    Column("channel", SmallInteger, nullable=False),  # domain.vocab.DOSSIER_CHANNELS
    Column("received_at", DateTime, nullable=False),
    Column("accepted_late", Boolean, nullable=False, default=False),  # "chậm tiếp nhận" (online)
    Column("due_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("returned_at", DateTime, nullable=True),
    Column("status", SmallInteger, nullable=False),  # domain.vocab.DOSSIER_STATUSES
    Column("supplement_count", SmallInteger, nullable=False, default=0),
    Column("supplement_days", SmallInteger, nullable=False, default=0),
    Column("apology_issued_at", DateTime, nullable=True),
    Column("paid_online", Boolean, nullable=False, default=False),
    Column("digitised", Boolean, nullable=False, default=False),
    Column("officer_code", String(32), ForeignKey("officers.code"), nullable=True),
    Column("updated_at", DateTime, nullable=True),
    # When it left the process without a result (withdrawn 7, stopped 8): kept from the
    # import that first saw the change, so later exports do not rewrite past backlogs.
    Column("closed_at", DateTime, nullable=True),
    Index("ix_dossiers_unit_received", "unit_code", "received_at"),
    Index("ix_dossiers_received", "received_at"),
    Index("ix_dossiers_finished", "finished_at"),
    # A unit's dossiers finished in a period (the profile's lists), or after a day (overdue).
    Index("ix_dossiers_unit_finished", "unit_code", "finished_at"),
)

# Dossiers without a finished status: the open ones, and the few withdrawn, stopped or never
# accepted. The values are written into the SQL (not bound) so that a query with this very
# condition can use the partial index below (SQLite matches the index's WHERE by its text).
UNFINISHED = dossiers.c.status.not_in(bindparam("finished_statuses", FINISHED_STATUSES, expanding=True, literal_execute=True))
Index("ix_dossiers_unit_unfinished", dossiers.c.unit_code, sqlite_where=UNFINISHED, postgresql_where=UNFINISHED)

# One row per processing step of a dossier (the control slip, "phiếu kiểm soát quá trình
# giải quyết hồ sơ"): data_access/steps.py. unit_code is the dossier's unit (the scope);
# department is the office inside it, or another agency for inter-agency steps.
dossier_steps = Table(
    "dossier_steps",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("dossier_code", String(64), nullable=False),
    Column("step_order", SmallInteger, nullable=False),
    Column("step", String(32), nullable=False),  # domain/steps.toml code: tham_dinh, trinh_ky ...
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("department", String(200), nullable=True),
    Column("officer_code", String(32), ForeignKey("officers.code"), nullable=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),  # null: the step is still with the officer
    Column("due_at", DateTime, nullable=True),  # the unit's internal time for the step, if set
    Index("ux_dossier_steps_dossier_order", "dossier_code", "step_order", unique=True),
    Index("ix_dossier_steps_unit_finished", "unit_code", "finished_at"),
    Index("ix_dossier_steps_open", "finished_at", "due_at"),
)

# Finished steps per month, unit, procedure and step, by duration bucket (domain/steps.py
# BUCKET_HOURS): medians and 90th percentiles of any group of units and months come from
# the summed buckets, never from averaging percentiles.
step_monthly = Table(
    "step_monthly",
    metadata,
    Column("month", Date, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("procedure_code", String(32), primary_key=True),
    Column("step", String(32), primary_key=True),
    Column("bucket", SmallInteger, primary_key=True),
    Column("steps", BigInteger, nullable=False, default=0),
    Column("hours_sum", Float, nullable=False, default=0),
    Column("with_due", BigInteger, nullable=False, default=0),
    Column("over_due", BigInteger, nullable=False, default=0),
    Index("ix_step_monthly_unit", "unit_code", "month"),
    # Covering the whole-city reads (per step and month): 6x quicker on 6 M steps, no table lookups.
    Index("ix_step_monthly_month_step", "month", "step", "bucket", "steps", "hours_sum", "with_due", "over_due"),
)

# Reminders sent to the officer holding a late step: who reminded whom, when, for which
# dossier (data_access/reminders.py); the meeting page reads them.
step_reminders = Table(
    "step_reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("by", String(100), nullable=False),  # account username
    Column("by_name", String(200), nullable=True),
    Column("officer_code", String(32), ForeignKey("officers.code"), nullable=False),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("dossier_code", String(64), nullable=False),
    Column("step_id", BigInteger, nullable=False),
    Column("step", String(32), nullable=False),
    Column("days_late", Integer, nullable=False),
    Column("channel", String(16), nullable=False),  # "email"; other senders register their own
    Column("recipient", String(254), nullable=True),
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False),  # sent / failed
    Column("error", Text, nullable=True),
    Index("ix_step_reminders_unit_at", "unit_code", "at"),
)

# --- summaries: counts at day and month grain ------------------------------------------
# Columns every rating summary carries; the KPI catalog (metrics/kpis.py) reads these names.
RATING_COUNTS = ("ratings", "very_satisfied", "satisfied", "neutral", "dissatisfied")
# Dossier counts by the day they happen: received on the day, finished on the day.
DOSSIER_COUNTS = (
    "received",
    "received_online",
    "accepted_late",
    "finished",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "late_with_apology",  # late dossiers whose apology letter was issued by the due date
    "processing_days_sum",  # calendar days received -> finished less supplement waiting, summed
    "processing_workdays_sum",  # the same in working days (domain/workdays.py holidays)
    "paid_online",
    "digitised",
)


def _count_columns(names):
    return [Column(name, BigInteger, nullable=False, default=0) for name in names]


def _summary(name: str, period_column: str, keys: list[Column], counts) -> Table:
    return Table(
        name,
        metadata,
        Column(period_column, Date, primary_key=True),
        Column("unit_code", String(32), primary_key=True),
        *keys,
        *_count_columns(counts),
        Index(f"ix_{name}_unit", "unit_code", period_column),
    )


rating_daily = _summary("rating_daily", "day", [Column("channel", String(16), primary_key=True)], RATING_COUNTS)
rating_monthly = _summary("rating_monthly", "month", [Column("channel", String(16), primary_key=True)], RATING_COUNTS)
# Day x unit x channel: the split by field is kept at month grain (dossier_monthly); a cut
# of part of a month by field is counted from the facts (queries._dossier_counts). With the
# field the daily table had about one row per dossier, and writing it held imports to a
# third of their target (issue 14).
dossier_daily = _summary("dossier_daily", "day", [Column("channel", SmallInteger, primary_key=True)], DOSSIER_COUNTS)
dossier_monthly = _summary(
    "dossier_monthly",
    "month",
    [Column("field_code", String(32), primary_key=True), Column("channel", SmallInteger, primary_key=True)],
    DOSSIER_COUNTS,
)
backlog_daily = _summary("backlog_daily", "day", [], BACKLOG_COUNTS)

# Every day with the working days before it (domain/workdays.py): how SQL counts working
# days. Rewritten from the holiday file by each refresh (data_access/work_calendar.py).
work_calendar = Table(
    "work_calendar",
    metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("working_before", Integer, nullable=False),
)

# What each summary table was last refreshed up to, and when.
refresh_log = Table(
    "refresh_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_name", String(64), nullable=False),
    Column("from_day", Date, nullable=True),
    Column("to_day", Date, nullable=True),
    Column("refreshed_at", DateTime, nullable=False),
)

# --- meeting commitments (kết luận / nhiệm vụ giao ban) -----------------------------------
# A commitment is never deleted: a change of status writes a row to commitment_updates in
# the same transaction (data_access/commitments.py). Stored status: open / done / late /
# dropped, as the chair recorded it; an open item past its due date is *shown* as late
# (derived at read time, never written behind the chair's back).
commitments = Table(
    "commitments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),  # unit responsible
    Column("title", Text, nullable=False),  # what is to be done
    Column("owner", String(200), nullable=True),  # person or role answerable for it
    Column("kpi_id", String(64), nullable=True),  # metrics.kpis id it should move
    Column("target_value", Float, nullable=True),  # in the KPI's own units (a rate as 0..1)
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("meeting_date", Date, nullable=False),  # the meeting that made it
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("closed_at", DateTime, nullable=True),  # when it became done / dropped
    Column("updated_at", DateTime, nullable=True),
    Index("ix_commitments_unit", "unit_code"),
    Index("ix_commitments_status_due", "status", "due_date"),
)

commitment_updates = Table(
    "commitment_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment_id", Integer, ForeignKey("commitments.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("by", String(100), nullable=False),
    Column("old_status", String(16), nullable=True),  # null on the creation row
    Column("new_status", String(16), nullable=False),
    Column("old_due_date", Date, nullable=True),
    Column("new_due_date", Date, nullable=True),  # a new appointment when the due date moves
    Column("note", Text, nullable=True),
    Index("ix_commitment_updates_commitment", "commitment_id", "at"),
)

# --- audit: who imported or exported what, and when (data_access/ingest.py) ---------------
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),  # user name; "demo" until sign-in exists
    Column("action", String(16), nullable=False),  # "import" / "export"
    Column("what", Text, nullable=False),  # source, file name, rows
    Column("details", Text, nullable=True),  # JSON text
    Index("ix_audit_log_at", "at"),
)

# --- accounts: who may sign in, with which role and unit (data_access/accounts.py) -----------
# Passwords are stored only as argon2id hashes; an account signing in through the identity
# provider (OpenID Connect) has no password_hash and is matched by email.
accounts = Table(
    "accounts",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),  # domain.access.ROLES
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=True),  # district / department
    Column("email", String(254), nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_accounts_email", "email"),
)

# --- independent surveys: SIPAS, PAPI, PAR Index, Fatherland Front, the city's own ------------
# Published results, shown beside the device ratings and never mixed with them. A row covers
# a province ("VN" for the whole country) or, when the survey is that fine, one unit.
# Loaded by `python -m data_access.ingest surveys FILE`; one row per survey_key (upsert).
surveys = Table(
    "surveys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("survey_key", String(400), nullable=False, unique=True),  # source|period|area|unit|indicator|dimension
    Column("source", String(16), nullable=False),  # metrics.surveys.SOURCES: sipas / papi / par_index / mttq / city
    Column("period", String(32), nullable=False),  # a metrics.periods key: "2024", "2025-Q3"
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("province_code", String(8), nullable=False),  # GSO province code ("79"), or "VN"
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=True),  # a finer unit, when the survey is that fine
    Column("indicator", String(32), nullable=False),  # metrics.surveys.INDICATORS
    Column("dimension", String(200), nullable=True),  # PAPI dimension, SIPAS criterion...
    Column("value", Float, nullable=False),
    Column("scale", String(16), nullable=False),  # percent / score / rank / count
    Column("scale_max", Float, nullable=True),  # 10 for a PAPI score, 63 for a rank among provinces
    Column("sample_size", BigInteger, nullable=True),
    Column("method_note", Text, nullable=True),  # who asked whom, how; the published source cited
    Column("link", String(500), nullable=True),
    Index("ix_surveys_area", "province_code", "unit_code", "period_end"),
)

# --- sign-in throttling (data_access/sign_in_throttle.py) --------------------------------------
# One row per account name and per client address that failed to sign in recently; kept in
# the database so the limit holds across reloads, restarts and several app processes.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("key", String(200), primary_key=True),  # "account:NAME" or "address:IP"
    Column("failures", Integer, nullable=False),  # consecutive failures since the last success
    Column("last_failure_at", DateTime, nullable=False),
    Column("locked_until", DateTime, nullable=True),
)
