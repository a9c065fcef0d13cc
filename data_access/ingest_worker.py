"""The Data page's checks and imports, run in a child process with memory and time limits.

An uploaded file is read by a separate Python process, at a lower CPU priority, with its
address space capped (RLIMIT_AS) and a deadline: a file that needs more memory than allowed
fails in that process alone (MemoryError, or killed), and one that takes too long is
stopped, while every other user's pages keep their own process, memory and CPU share. The
app keeps only what the page shows (a summary, the first problems and rejected rows), never
the file's full table.

    run_job(job, on_progress) -> {"summary": CheckSummary} | {"result": ImportResult, ...}
                                 | {"rejected": message} | {"failed": message}

Limits: DASHBOARD_IMPORT_MEMORY_MB (default 3072), DASHBOARD_IMPORT_SECONDS (default 1800).
The child runs `python -m data_access.ingest_worker JOB_DIR`; progress comes back on its
standard output, one line per step.
"""

from __future__ import annotations

import os
import pickle
import resource
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from i18n.format import fmt_int, fmt_num
from i18n.text import pick

MEMORY_ENV, SECONDS_ENV = "DASHBOARD_IMPORT_MEMORY_MB", "DASHBOARD_IMPORT_SECONDS"
DEFAULT_MEMORY_MB, DEFAULT_SECONDS = 3072, 1800
NICE = 10  # below the app's pages
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CheckSummary:
    """What the Data page shows of a check: no full table."""

    name: str
    ok: bool
    message: str
    mapping: dict
    ignored: list
    encoding_note: str
    rows: int
    problems: pd.DataFrame
    problem_count: int
    rejected_rows: pd.DataFrame
    rejected_count: int
    warnings: pd.DataFrame  # rows imported as they are but worth a look (first 200)


def memory_mb() -> int:
    return int(os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_MB)


def time_limit() -> float:
    return float(os.environ.get(SECONDS_ENV) or DEFAULT_SECONDS)


def _limit_self(memory: int) -> None:
    """In the child, first thing (not as preexec_fn: the app's server has threads)."""
    limit = memory * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(NICE)


def run_job(job: dict, on_progress: Callable[[float, str], None] | None = None, *, memory: int | None = None, seconds: float | None = None) -> dict:
    """Run one job in a limited child process. job: url, source (a fact source or a reference
    list kind), path, name, lang, three_level, actor, write (False: check only)."""
    memory, seconds = memory or memory_mb(), seconds or time_limit()
    lang = job.get("lang", "vi")
    with tempfile.TemporaryDirectory(prefix="ingest-job-") as folder:
        (Path(folder) / "job.pickle").write_bytes(pickle.dumps(job))
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OPENBLAS_NUM_THREADS": "1"}
        stderr_path = Path(folder) / "stderr.txt"
        with stderr_path.open("w") as stderr:  # a file, not a pipe: a chatty child can never block
            child = subprocess.Popen(
                [sys.executable, "-m", "data_access.ingest_worker", folder, str(memory)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            while child.poll() is None and time.monotonic() < deadline:
                if selector.select(timeout=0.5):
                    line = child.stdout.readline()
                    if line.startswith("PROGRESS ") and on_progress:
                        fraction, _, message = line[9:].rstrip("\n").partition(" ")
                        on_progress(float(fraction), message)
        if child.poll() is None:
            child.kill()
            child.wait()
            return {
                "failed": pick(
                    lang,
                    f"Quá thời gian cho phép ({fmt_num(seconds, 'vi', 0)} giây): đã dừng, không có gì được ghi. Hãy tách tệp thành nhiều tệp nhỏ hơn hoặc dùng lệnh python -m data_access.ingest.",
                    f"Took longer than allowed ({seconds:,.0f} s): stopped, nothing was written. Split the file into smaller ones or use python -m data_access.ingest.",
                )
            }
        child.stdout.read()
        errors = stderr_path.read_text(errors="replace")
        result = Path(folder) / "result.pickle"
        if child.returncode == 0 and result.exists():
            return pickle.loads(result.read_bytes())
        if child.returncode < 0 or any(
            word in errors for word in ("MemoryError", "bad_alloc", "Cannot allocate", "ArrowException", "out of memory", "failed to map segment")
        ):
            return {
                "failed": pick(
                    lang,
                    f"Tệp cần nhiều bộ nhớ hơn mức cho phép ({fmt_int(memory, 'vi')} MB): đã dừng, không có gì được ghi. Hãy tách tệp thành nhiều tệp nhỏ hơn.",
                    f"The file needs more memory than allowed ({memory:,} MB): stopped, nothing was written. Split it into smaller files.",
                )
            }
        last = (errors.strip().splitlines() or ["?"])[-1][:300]
        return {
            "failed": pick(
                lang,
                f"Không kiểm tra/nhập được tệp, không có gì được ghi. Chi tiết: {last}",
                f"Could not check or import the file; nothing was written. Details: {last}",
            )
        }


def _summary(checked) -> CheckSummary:
    return CheckSummary(
        checked.name,
        checked.ok,
        checked.message,
        dict(checked.mapping),
        list(checked.ignored),
        checked.raw.encoding_note,
        checked.rows,
        checked.problems,
        checked.problem_count,
        checked.rejected_rows,
        checked.rejected_count,
        checked.warnings.head(200),
    )


def _work(job: dict) -> dict:
    from sqlalchemy.exc import DBAPIError

    from data_access import ingest
    from data_access.db import make_engine
    from ingest import FileRejected, Options

    def progress(fraction: float, message: str) -> None:
        print(f"PROGRESS {fraction:.3f} {' '.join(message.splitlines())[:200]}", flush=True)

    from data_access import reference

    engine = make_engine(job["url"])
    try:
        options = Options(three_level=bool(job.get("three_level")))
        lang = job.get("lang", "vi")
        listed = job["source"] in reference.KINDS  # a city's own reference list
        if listed:
            checked = reference.check(engine, job["source"], job["path"], job["name"], lang=lang)
        else:
            checked = ingest.check(engine, job["source"], job["path"], job["name"], options=options, lang=lang, progress=progress)
        if not job.get("write") or not checked.ok:
            return {"summary": _summary(checked)}
        try:
            if listed:
                return {"result": reference.write(engine, checked, job["actor"], lang=lang)}
            return {"result": ingest.write(engine, checked, job["actor"], lang=lang, progress=progress)}
        except DBAPIError as error:
            return {"db_error": str(error.orig or error).splitlines()[0], "locked": "database is locked" in str(error.orig or error)}
    except FileRejected as error:
        return {"rejected": str(error)}
    finally:
        engine.dispose()


def main(folder: str, memory: int) -> int:
    _limit_self(memory)
    job = pickle.loads((Path(folder) / "job.pickle").read_bytes())
    outcome = _work(job)
    (Path(folder) / "result.pickle").write_bytes(pickle.dumps(outcome))
    return 0


if __name__ == "__main__":
    from data_access import ingest_worker  # the results' classes under their importable names

    raise SystemExit(ingest_worker.main(sys.argv[1], int(sys.argv[2])))
