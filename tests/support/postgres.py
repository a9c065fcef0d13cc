"""A real, throwaway PostgreSQL server for tests (Debian's server binaries).

    server = PostgresServer.find()        # None when no server binaries are installed
    server.start()                        # initdb in a temp dir, start on 127.0.0.1:free port
    url = server.create_database()        # postgresql+psycopg://postgres@127.0.0.1:PORT/NAME
    server.drop_database(name)
    server.stop(); server.start()         # the same cluster again, same port (restart tests)
    server.cleanup()                      # stop and remove the data directory

`initdb` and `postgres` refuse to run as root: as root, every server command runs as the
`postgres` user through `runuser -u postgres --`, on a directory owned by that user.
Local TCP connections use trust authentication (user `postgres`, no password).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.support import free_port

PG_ROOT = Path("/usr/lib/postgresql")


def find_bin_dir() -> Path | None:
    """The newest `/usr/lib/postgresql/<N>/bin` that has initdb, pg_ctl and postgres."""
    candidates = []
    if PG_ROOT.is_dir():
        for child in PG_ROOT.iterdir():
            bin_dir = child / "bin"
            if all((bin_dir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
                match = re.match(r"(\d+)", child.name)
                candidates.append((int(match.group(1)) if match else 0, bin_dir))
    return max(candidates)[1] if candidates else None


class PostgresError(RuntimeError):
    pass


class PostgresServer:
    def __init__(self, bin_dir: Path, base_dir: Path | None = None, port: int | None = None):
        self.bin_dir = Path(bin_dir)
        self.base_dir = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "server.log"
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = "postgres"
        self.running = False
        self._as_postgres = os.geteuid() == 0
        self._initialised = False
        atexit.register(self.cleanup)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def find(cls) -> PostgresServer | None:
        bin_dir = find_bin_dir()
        return cls(bin_dir) if bin_dir else None

    @property
    def version(self) -> str:
        return self.bin_dir.parent.name

    # --- running server commands --------------------------------------------------------
    def _cmd(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, tool: str, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        result = subprocess.run(
            self._cmd(tool, *args),
            cwd=self.base_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise PostgresError(
                f"{tool} {' '.join(args)} failed with exit code {result.returncode}:\n{result.stdout}\n{result.stderr}\n--- server log ---\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # --- life cycle ---------------------------------------------------------------------
    def _initdb(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            pg = pwd.getpwnam("postgres")
            os.chown(self.base_dir, pg.pw_uid, pg.pw_gid)
            # The postgres user must reach the directory through its parents (/tmp is fine).
        os.chmod(self.base_dir, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._initialised = True

    def start(self, timeout: float = 60) -> None:
        """Start the server (initdb the first time); return once it accepts connections."""
        if self.running:
            return
        if not self._initialised:
            self._initdb()
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.data_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=128MB",
            ]
        )
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            str(int(timeout)),
            timeout=timeout + 30,
        )
        self.running = True
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=3) as conn:
                    conn.execute("select 1")
                return
            except Exception as error:  # noqa: BLE001 - retry until the deadline
                last_error = error
                time.sleep(0.2)
        raise PostgresError(f"PostgreSQL on port {self.port} not ready after {timeout}s: {last_error}\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (keeps the data); `start()` brings it back on the same port."""
        if not self.running:
            return
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", timeout=90)
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the server if it runs and remove its directory. Safe to call twice."""
        try:
            if self.running or (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30", timeout=60, check=False)
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
        self.running = False
        shutil.rmtree(self.base_dir, ignore_errors=True)

    # --- databases ----------------------------------------------------------------------
    def dsn(self, dbname: str) -> str:
        """A libpq connection string (for psycopg.connect)."""
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def url(self, dbname: str) -> str:
        """A SQLAlchemy URL (for data_access.db.make_engine)."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database; returns its name."""
        import psycopg
        from psycopg import sql

        name = name or f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        if not self.running:
            return
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
