"""Several app processes behind HAProxy: `bash scripts/run.sh --workers N` runs this.

    python scripts/cluster.py --workers 2 [--address 127.0.0.1] [--port 8501] [streamlit options]

Starts N app processes (scripts/serve.py, each on 127.0.0.1 and a free port of its own) and
HAProxy (Debian package haproxy) in front of them on ADDRESS:PORT, with the configuration of
deploy/haproxy.cfg.template:
- sticky sessions: the proxy's cookie DASHBOARD_SERVER sends a browser back to the process that
  holds its Streamlit session (its websocket, its uploads); a new browser goes to the process
  with the fewest connections;
- a process that stops is taken out within about six seconds (health check /_stcore/health;
  meanwhile a connection it refuses is sent to another one)
  and its browsers reconnect to another one: Streamlit's frontend reconnects by itself, the new
  process reruns the page from its link and says so (ui/reconnect.py);
- HAProxy appends the browser's address to X-Forwarded-For (`option forwardfor`) and the
  processes trust that header from 127.0.0.1 (DASHBOARD_TRUSTED_PROXIES), so the sign-in
  throttle counts each browser's address, not one address for everybody;
- the database is the only state the processes share (accounts, the sign-in throttle,
  commitments, audit); sign-in cookies and tickets are signed with one secret
  (DASHBOARD_SESSION_SECRET, made here when unset) and Streamlit's own cookies with another
  derived from it, so any process accepts them.
This script watches the processes: one that exits is started again (after --restart-delay s);
Ctrl+C or SIGTERM stops them all and the proxy.

With no sign-in configured the dashboard is the single-user demo: the proxy then listens on a
loopback address only (exit code 2 otherwise), as scripts/serve.py does for one process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
SERVER_LINE = "    server w{n} 127.0.0.1:{port} check inter 2s fall 3 rise 2 cookie w{n}"
sys.path.insert(0, str(ROOT / "scripts"))

import serve  # noqa: E402 - scripts/serve.py: the demo-mode decision and the single process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def haproxy_config(address: str, port: int, worker_ports: list[int]) -> str:
    servers = "\n".join(SERVER_LINE.format(n=n, port=p) for n, p in enumerate(worker_ports, start=1))
    return TEMPLATE.read_text(encoding="utf-8").replace("{bind}", f"{address}:{port}").replace("{servers}", servers)


def trusted_proxies(configured: str | None) -> str:
    """The app processes' DASHBOARD_TRUSTED_PROXIES: the operator's list (if any) and 127.0.0.1."""
    entries = [entry.strip() for entry in (configured or "").split(",") if entry.strip()]
    return ",".join(["127.0.0.1", *[entry for entry in entries if entry != "127.0.0.1"]])


class Cluster:
    def __init__(self, workers: int, address: str, port: int, extra: list[str], log_dir: Path, restart_delay: float = 2.0):
        self.address, self.port, self.extra, self.log_dir, self.restart_delay = address, port, extra, log_dir, restart_delay
        self.ports = [free_port() for _ in range(workers)]
        self.processes: list[subprocess.Popen | None] = [None] * workers
        self.proxy: subprocess.Popen | None = None
        self.stopping = False
        secret = os.environ.get("DASHBOARD_SESSION_SECRET") or secrets.token_hex(32)
        self.env = {
            **os.environ,
            "DASHBOARD_SESSION_SECRET": secret,
            # Streamlit's XSRF and sign-in cookies, valid on every process.
            "STREAMLIT_SERVER_COOKIE_SECRET": hashlib.sha256(f"streamlit|{secret}".encode()).hexdigest(),
            # Every browser reaches the processes from HAProxy on 127.0.0.1: its X-Forwarded-For
            # gives the browser's address (a proxy in front of HAProxy: add it to the variable).
            "DASHBOARD_TRUSTED_PROXIES": trusted_proxies(os.environ.get("DASHBOARD_TRUSTED_PROXIES")),
        }

    def start_worker(self, index: int) -> subprocess.Popen:
        log = (self.log_dir / f"worker{index + 1}.log").open("ab")
        command = [
            sys.executable,
            str(ROOT / "scripts" / "serve.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.ports[index]),
            "--server.headless",
            "true",
            "--server.showEmailPrompt",
            "false",
            "--browser.gatherUsageStats",
            "false",
            *self.extra,
        ]
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[index] = process
        return process

    def start(self) -> None:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise SystemExit("HAProxy is not installed: apt-get install -y haproxy (Debian package)")
        for index in range(len(self.ports)):
            self.start_worker(index)
        config = self.log_dir / "haproxy.cfg"
        config.write_text(haproxy_config(self.address, self.port, self.ports), encoding="utf-8")
        log = (self.log_dir / "haproxy.log").open("ab")
        self.proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def watch_once(self) -> None:
        """Start again any worker that exited; fail if the proxy did."""
        if self.proxy is not None and self.proxy.poll() is not None:
            raise SystemExit(f"HAProxy stopped (exit code {self.proxy.returncode}); see {self.log_dir / 'haproxy.log'}")
        for index, process in enumerate(self.processes):
            if process is not None and process.poll() is not None and not self.stopping:
                print(f"app process {index + 1} (port {self.ports[index]}) exited with {process.returncode}; starting it again", file=sys.stderr, flush=True)
                time.sleep(self.restart_delay)
                self.start_worker(index)

    def stop(self) -> None:
        self.stopping = True
        for process in [self.proxy, *self.processes]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [self.proxy, *self.processes]:
            if process is not None:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="app processes (default 2; one per CPU core is a good start)")
    parser.add_argument("--address", default=os.environ.get("DASHBOARD_ADDRESS", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DASHBOARD_PORT", "8501")))
    parser.add_argument("--log-dir", type=Path, default=None, help="the processes' logs and haproxy.cfg (default: a temporary folder)")
    parser.add_argument("--restart-delay", type=float, default=2.0)
    args, extra = parser.parse_known_args(argv)
    if not 1 <= args.workers <= 32:
        parser.error("--workers must be between 1 and 32")
    demo = not (serve.oidc_configured() or serve.accounts_configured())
    if demo and not serve.is_loopback(args.address):
        print(
            f"Refused: no sign-in is configured, so the dashboard runs as a single-user demo and listens on a loopback "
            f"address only, not on {args.address!r}. Create an account first: python -m data_access.accounts add USERNAME --role admin",
            file=sys.stderr,
        )
        return serve.EXIT_REFUSED
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="dashboard_cluster_"))
    log_dir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(args.workers, args.address, args.port, extra, log_dir, args.restart_delay)
    signal.signal(signal.SIGTERM, _interrupt)
    cluster.start()
    print(
        f"dashboard on http://{args.address}:{args.port} - HAProxy in front of {args.workers} app processes "
        f"(127.0.0.1 ports {', '.join(map(str, cluster.ports))}); logs in {log_dir}",
        file=sys.stderr,
        flush=True,
    )
    try:
        while True:
            cluster.watch_once()
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
