"""The database fixtures work for real: PostgreSQL server, both backends, Vietnamese text."""

from __future__ import annotations

import sqlalchemy as sa

from data_access.db import make_engine

NAME = "Phường Tân Định"


def test_postgres_server_answers(pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert "PostgreSQL" in conn.execute(sa.text("select version()")).scalar_one()
            assert conn.execute(sa.text("show server_encoding")).scalar_one() == "UTF8"
    finally:
        engine.dispose()


def test_each_pg_url_is_a_fresh_database(pg_server, pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar_one() == pg_url.rsplit("/", 1)[1]
            tables = conn.execute(sa.text("select count(*) from information_schema.tables where table_schema='public'"))
            assert tables.scalar_one() == 0
    finally:
        engine.dispose()


def test_vietnamese_text_round_trips(db_url):
    engine = make_engine(db_url)
    metadata = sa.MetaData()
    units = sa.Table("infra_units", metadata, sa.Column("code", sa.String(8), primary_key=True), sa.Column("name", sa.String(200)))
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(units.insert(), [{"code": "26734", "name": NAME}])
        with engine.connect() as conn:
            assert conn.execute(sa.select(units.c.name).where(units.c.name == NAME)).scalar_one() == NAME
    finally:
        engine.dispose()


def test_schema_creates_on_both_backends(db_url):
    from data_access.schema import metadata

    engine = make_engine(db_url)
    try:
        metadata.create_all(engine)
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_server_stops_and_comes_back(pg_server, pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar_one() == 1
        port = pg_server.port
        pg_server.stop()
        assert not pg_server.running
        pg_server.start()
        assert pg_server.port == port
        # pool_pre_ping in make_engine: the stale pooled connection is replaced quietly.
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 2")).scalar_one() == 2
    finally:
        engine.dispose()


def test_engine_fixture_is_migrated(engine):
    from data_access.migrate import current_revision, head_revision

    assert current_revision(engine) == head_revision()
    with engine.begin() as conn:
        conn.execute(sa.text("insert into units (code, gso_code, name, level) values (:c, :c, :n, 'ward')"), {"c": "26734", "n": NAME})
        assert conn.execute(sa.text("select name from units where code = '26734'")).scalar_one() == NAME
