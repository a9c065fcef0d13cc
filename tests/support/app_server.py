"""Run any Streamlit script as a real server on 127.0.0.1 and a free port.

    with StreamlitServer(script_path, env={"DASHBOARD_DATABASE_URL": url}) as server:
        server.url        # "http://127.0.0.1:PORT"
        server.log_tail() # what the server printed (stdout and stderr)

The server runs in its own process group (`start_new_session`), and `stop()` ends the
whole group. Its output goes to a log file, never a pipe, so it can never block.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


class StreamlitServerError(RuntimeError):
    pass


class StreamlitServer:
    def __init__(
        self,
        script: str | os.PathLike,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        extra_args: list[str] | tuple[str, ...] = (),
        startup_timeout: float = 60,
        address: str = "127.0.0.1",
    ):
        self.script = Path(script).resolve()
        self.env = dict(env or {})
        # Streamlit reads .streamlit/config.toml from the working directory.
        self.cwd = Path(cwd) if cwd else self.script.parent
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.address = address  # another loopback address (127.0.0.2) stands in for a network one
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def _command(self) -> list[str]:
        # The dashboard starts through its launcher, as scripts/run.sh does; other scripts plainly.
        launcher = ["scripts/serve.py"] if self.script == REPO_ROOT / "app.py" else ["-m", "streamlit", "run", str(self.script)]
        return [
            sys.executable,
            *[str(REPO_ROOT / part) if part.endswith(".py") else part for part in launcher],
            "--server.headless",
            "true",
            "--server.address",
            self.address,
            "--server.port",
            str(self.port),
            "--browser.gatherUsageStats",
            "false",
            "--server.showEmailPrompt",
            "false",
            "--server.fileWatcherType",
            "none",
            "--server.runOnSave",
            "false",
            *self.extra_args,
        ]

    def start(self) -> StreamlitServer:
        # A free port can be taken between the check and the bind: try a few.
        for _attempt in range(3):
            self.port = free_port()
            env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
            env.setdefault("PYTHONPATH", str(REPO_ROOT))
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self._command(),
                    cwd=self.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                self._wait_healthy()
                return self
            except StreamlitServerError:
                log = self.log_tail()
                self.stop()
                if "already in use" not in log:
                    raise
        raise StreamlitServerError(f"Streamlit never found a free port.\n{self.log_tail()}")

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StreamlitServerError(
                    f"streamlit run {self.script.name} exited with code {self.process.returncode} before it was healthy. Its output:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.25)
        raise StreamlitServerError(
            f"streamlit run {self.script.name} not healthy on {self.url} after {self.startup_timeout:.0f}s ({last}). Its output:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def dashboard_server(database_url: str) -> StreamlitServer:
    """The dashboard (app.py) on the database at `database_url`, not yet started; use it in a `with`."""
    return StreamlitServer(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": database_url}, cwd=REPO_ROOT)
