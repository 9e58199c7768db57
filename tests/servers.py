"""Real app servers for the tests that need them (deploy, two servers behind a load balancer):
production settings over a database URL, a free port, gunicorn started and waited for on
/health, stopped and its log kept."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_identity_keys() -> str:
    """A new identity keyring's text (``IDENTITY_KEYS``: entries separated by ``;``)."""
    from app.crypto import Keyring

    return ";".join(line for line in Keyring.generate().text().splitlines() if not line.startswith("#"))


def production_env(database_url: str, tmp_path, **extra) -> dict:
    """The environment of a production instance (docs/deploy.md) over ``database_url`` on loopback."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TEST_DATABASE_URL", "FLASK_APP") and not key.startswith("GUNICORN_")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        # The complainant identity's keys (issue 24): a new keyring, as a server is given one.
        IDENTITY_KEYS=new_identity_keys(),
        PRODUCTION="1",
        UPLOAD_DIR=str(tmp_path / "attachments"),
        BACKUP_DIR=str(tmp_path / "backups"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask(env, *args, timeout=600):
    """``flask --app run <args>`` in the repository with ``env``; the completed process."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def get(url: str, timeout=10):
    """(status, body, headers) of a GET without proxies; HTTP errors are answers too."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


class Gunicorn:
    """gunicorn (``gunicorn.conf.py``, as production) on 127.0.0.1:<free port> with ``env``;
    ``start()`` waits for /health and every worker."""

    def __init__(self, env, log_path: Path, workers=2):
        self.env, self.log_path, self.workers = env, Path(log_path), workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = ["-c", "gunicorn.conf.py", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "app:create_app()"]
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self, timeout=180):
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", *self.args], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if get(self.base + "/health", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError(f"gunicorn did not answer /health:\n{self.log()[-3000:]}")
        # Every worker has booted (none crashed and was replaced) before the test goes on.
        while time.monotonic() < deadline and self.log().count("Booting worker") < self.workers:
            time.sleep(0.3)
        return self

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        return self.process.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
