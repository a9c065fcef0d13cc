"""Date arithmetic that SQLite and PostgreSQL spell differently, as SQLAlchemy constructs.

SQLite keeps dates as ISO text and has date()/julianday(); PostgreSQL has real DATE and
TIMESTAMP types. Each construct compiles to the right spelling for the connected backend,
so queries stay one piece of SQLAlchemy Core for both.
"""

from __future__ import annotations

from sqlalchemy import Date, DateTime, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_of(FunctionElement):
    """The calendar day of a timestamp."""

    type = Date()
    inherit_cache = True


class add_days(FunctionElement):
    """The calendar day of a timestamp plus a whole number of days."""

    type = Date()
    inherit_cache = True


class add_days_keep_time(FunctionElement):
    """A timestamp plus a whole number of days, keeping its time of day."""

    type = DateTime()
    inherit_cache = True


class days_between(FunctionElement):
    """Whole calendar days from the first timestamp's day to the second's."""

    type = Integer()
    inherit_cache = True


@compiles(day_of, "sqlite")
def _day_of_sqlite(element, compiler, **kw):
    return "date(%s)" % compiler.process(element.clauses, **kw)


@compiles(day_of, "postgresql")
def _day_of_pg(element, compiler, **kw):
    return "CAST(%s AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(add_days, "sqlite")
def _add_days_sqlite(element, compiler, **kw):
    moment, days = list(element.clauses)
    return "date(%s, (%s) || ' days')" % (compiler.process(moment, **kw), compiler.process(days, **kw))


@compiles(add_days, "postgresql")
def _add_days_pg(element, compiler, **kw):
    moment, days = list(element.clauses)
    return "(CAST(%s AS DATE) + CAST(%s AS INTEGER))" % (compiler.process(moment, **kw), compiler.process(days, **kw))


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return "CAST(julianday(date(%s)) - julianday(date(%s)) AS INTEGER)" % (
        compiler.process(end, **kw),
        compiler.process(start, **kw),
    )


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    return "(CAST(%s AS DATE) - CAST(%s AS DATE))" % (compiler.process(end, **kw), compiler.process(start, **kw))


@compiles(add_days_keep_time, "sqlite")
def _add_days_keep_time_sqlite(element, compiler, **kw):
    # "YYYY-MM-DD HH:MM:SS": compares as text with the stored "... HH:MM:SS.ffffff" (due
    # times carry whole seconds).
    moment, days = list(element.clauses)
    return "datetime(%s, (%s) || ' days')" % (compiler.process(moment, **kw), compiler.process(days, **kw))


@compiles(add_days_keep_time, "postgresql")
def _add_days_keep_time_pg(element, compiler, **kw):
    moment, days = list(element.clauses)
    return "(%s + make_interval(days => CAST(%s AS INTEGER)))" % (compiler.process(moment, **kw), compiler.process(days, **kw))
