"""AppTest runs of "Khâu nào chậm" (pages/analysis/steps.py) and the unit profile's step
section on the small demo; figures a user would check are recounted from dossier_steps with
plain SQL (not through the summary the page reads)."""

import sqlite3

from tests.test_pages_analysis import PROFILE, busiest_ward, latest_month, open_page

STEPS = "pages/analysis/steps.py"


def _frame_with(at, column):
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def test_steps_page_counts_the_finished_steps_and_lists_the_late_ones(demo_db_env):
    start, end = latest_month(demo_db_env)
    ward = busiest_ward(demo_db_env, start, end)
    at = open_page(STEPS, unit=ward, lang="en")
    with sqlite3.connect(demo_db_env.removeprefix("sqlite:///")) as db:
        finished = dict(
            db.execute(
                "select step, count(*) from dossier_steps where unit_code = ? and date(finished_at) between ? and ? group by step",
                (ward, start, end),
            ).fetchall()
        )
        late_now = db.execute(
            "select count(*) from dossier_steps where unit_code = ? and finished_at is null and due_at < datetime('now', 'localtime')", (ward,)
        ).fetchone()[0]
    per_step = _frame_with(at, "Steps finished").set_index("Step")
    assert per_step.loc["Appraisal", "Steps finished"] == f"{finished['tham_dinh']:,}"
    assert per_step.loc["Receipt", "Steps finished"] == f"{finished['tiep_nhan']:,}"
    if late_now:
        assert len(_frame_with(at, "Days late")) == late_now
    assert any("Which step is slow" in title.value for title in at.title)


def test_unit_profile_shows_which_step_is_slow(demo_db_env):
    start, end = latest_month(demo_db_env)
    ward = busiest_ward(demo_db_env, start, end)
    at = open_page(PROFILE, unit=ward, lang="en")
    assert any("Which step is slow" in header.value for header in at.subheader)
    assert "Steps finished" in {c for frame in at.dataframe for c in frame.value.columns}


def test_the_meeting_sees_the_reminders_sent(demo_db_url, tmp_path, monkeypatch):
    """A reminder recorded yesterday is listed on the meeting's commitments slide."""
    import shutil
    from datetime import datetime, timedelta
    from pathlib import Path

    from domain.access import SYSTEM
    from data_access.db import make_engine
    from data_access.reminders import send_reminder
    from data_access.steps import overdue_steps
    from tests.test_meeting_page import _last_slide, _open

    target = tmp_path / "demo.sqlite"
    shutil.copy(Path(demo_db_url.removeprefix("sqlite:///")), target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    engine = make_engine(url)
    step = overdue_steps(engine, datetime.now(), viewer=SYSTEM).iloc[0]

    class Outbox:  # the sender interface without a network: the SMTP round trip is tested elsewhere
        channel = "email"
        sent = []

        def send(self, recipient, subject, body):
            self.sent.append(recipient)

    send_reminder(engine, int(step["step_id"]), Outbox(), viewer=SYSTEM, now=datetime.now() - timedelta(days=1))
    engine.dispose()
    at = _open(_last_slide(_open(1)), lang="en")
    assert any("Reminders sent since" in e.label for e in at.expander)
    shown = [frame.value for frame in at.dataframe if "Dossier" in frame.value.columns and "Days late" in frame.value.columns]
    assert shown and step["dossier_code"] in shown[0]["Dossier"].tolist()


def test_demo_steps_cover_each_dossier_and_stick_on_late_open_ones(demo_db_url):
    """Read from the facts: the first step starts when the dossier was received, a finished
    dossier's last step ends when it finished, steps follow each other without overlap, and
    open overdue dossiers have a step still held, mostly a slow one."""
    with sqlite3.connect(demo_db_url.removeprefix("sqlite:///")) as db:
        dossiers_with_steps, finished = db.execute(
            "select count(distinct s.dossier_code), sum(d.status in (9, 10) and s.step_order = 1) from dossier_steps s join dossiers d on d.code = s.dossier_code"
        ).fetchone()
        assert dossiers_with_steps > 0.9 * db.execute("select count(*) from dossiers where status not in (3, 7, 8)").fetchone()[0]
        # First step at the received time; last step of a finished dossier at its finish time (to the second).
        off_start = db.execute(
            "select count(*) from dossier_steps s join dossiers d on d.code = s.dossier_code where s.step_order = 1 and abs(julianday(s.started_at) - julianday(d.received_at)) > 1.0 / 86400"
        ).fetchone()[0]
        off_end = db.execute(
            "select count(*) from dossiers d join (select dossier_code, max(finished_at) last from dossier_steps group by dossier_code) s on s.dossier_code = d.code "
            "where d.status in (9, 10) and abs(julianday(s.last) - julianday(d.finished_at)) > 1.0 / 86400"
        ).fetchone()[0]
        overlaps = db.execute(
            "select count(*) from dossier_steps a join dossier_steps b on a.dossier_code = b.dossier_code and b.step_order = a.step_order + 1 "
            "where a.finished_at is null or b.started_at < a.finished_at"
        ).fetchone()[0]
        held = dict(
            db.execute(
                "select s.step, count(*) from dossier_steps s join dossiers d on d.code = s.dossier_code "
                "where s.finished_at is null and d.status in (2, 4, 5, 6) and d.due_at < (select max(received_at) from dossiers) group by s.step"
            ).fetchall()
        )
    assert (off_start, off_end, overlaps) == (0, 0, 0)
    assert finished > 0
    # Overdue at the demo's end and still open: stuck in appraisal, signature or the other agency.
    assert held and set(held) <= {"tham_dinh", "ky_duyet", "lien_thong"}, held
