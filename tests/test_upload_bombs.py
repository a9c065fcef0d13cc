"""Uploads that cannot take the server down: an .xlsx is checked for what it unpacks to
before any XML is read, rows and cells are bounded, broken XML is a clear refusal, and the
Data page reads every upload in a child process with memory and time limits."""

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data_access import ingest_worker
from ingest import FileRejected, load_mapping, read_file
from tests import hostile_files
from tests.support.app_server import REPO_ROOT


def _run_measured(args: list[str], tmp_path) -> tuple[int, str, float, int]:
    """Exit code, output, seconds and peak resident memory (MB) of one command, measured by
    /usr/bin/time (a child forked from this test process would count its memory too)."""
    if not Path("/usr/bin/time").exists():
        pytest.skip("/usr/bin/time (Debian package time) is needed to measure the peak memory")
    report = tmp_path / "time.txt"
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-o", str(report), "-f", "%M", *args], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    seconds = time.perf_counter() - started
    return done.returncode, done.stdout, seconds, int(report.read_text().split()[-1]) // 1024


def test_a_1_mb_xlsx_holding_a_1_gib_cell_is_refused_at_once(tmp_path, sqlite_url):
    path = hostile_files.huge_cell(tmp_path / "bom.xlsx")
    assert path.stat().st_size < 2 * 1024 * 1024  # what the upload limit sees
    code, output, seconds, peak_mb = _run_measured(
        [sys.executable, "-m", "data_access.ingest", "ratings", str(path), "--check", "--url", sqlite_url, "--lang", "en"], tmp_path
    )
    assert code == 1, output
    assert "unpacks to" in output or "compressed" in output
    assert "Traceback" not in output
    assert seconds < 10 and peak_mb < 400, (seconds, peak_mb)  # it used to take 5.2 GB and crash


def test_rows_beyond_the_limit_are_refused_while_reading(tmp_path):
    mapping = load_mapping()
    small = dataclasses.replace(mapping, limits=dataclasses.replace(mapping.limits, max_xlsx_rows=1_000))
    path = hostile_files.many_rows(tmp_path / "rows.xlsx", 5_000)
    with pytest.raises(FileRejected, match="has 5,001 rows, more than 1,000"):  # the header and 5,000
        read_file(str(path), "rows.xlsx", small, "en")
    assert len(read_file(str(path), "rows.xlsx", mapping, "en").frame) == 5_000  # within the default limit


def test_broken_xml_is_a_clear_refusal_in_the_cli(tmp_path, sqlite_url):
    path = hostile_files.broken_xml(tmp_path / "broken.xlsx")
    with pytest.raises(FileRejected, match="nội dung bị hỏng"):
        read_file(str(path), "broken.xlsx", load_mapping(), "vi")
    done = subprocess.run(
        [sys.executable, "-m", "data_access.ingest", "ratings", str(path), "--check", "--url", sqlite_url, "--lang", "en"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "content is broken" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def _job(tmp_path, sqlite_url) -> dict:
    path = tmp_path / "ratings.csv"
    path.write_text("Mã đánh giá,Mã đơn vị\nA1,26734\n", encoding="utf-8")
    return dict(url=sqlite_url, source="ratings", path=str(path), name="ratings.csv", lang="en", actor="t", write=False)


def test_the_worker_is_held_to_its_memory_and_time(tmp_path, sqlite_url):
    started = time.perf_counter()
    out = ingest_worker.run_job(_job(tmp_path, sqlite_url), memory=120)  # not even pandas fits in 120 MB
    assert "more memory than allowed (120 MB)" in out["failed"]
    out = ingest_worker.run_job(_job(tmp_path, sqlite_url), seconds=0.2)
    assert "longer than allowed" in out["failed"]
    assert time.perf_counter() - started < 30


def test_the_data_page_reads_uploads_in_the_limited_worker(demo_db_env, monkeypatch):
    """With the worker's memory set too low, the page says so: the file was read in the
    child process, not in the server's (whose memory is far above 120 MB)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(ingest_worker.MEMORY_ENV, "120")
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/admin/data.py").run()
    at.file_uploader(key="ingest_file").set_value(("r.csv", "Mã đánh giá,Mã đơn vị\nA1,26734\n".encode(), "text/csv")).run()
    at.button(key="ingest_check").click().run()
    assert not at.exception
    assert any("more memory than allowed" in e.value or "nhiều bộ nhớ hơn" in e.value for e in at.error), [e.value for e in at.error]
