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
        finished = dict(db.execute(
            "select step, count(*) from dossier_steps where unit_code = ? and date(finished_at) between ? and ? group by step",
            (ward, start, end),
        ).fetchall())
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

    from data_access.access import SYSTEM
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
