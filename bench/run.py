#!/usr/bin/env python3
"""The benchmark: the complaint pages at growing sizes, on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py --db sqlite --sizes 10000,100000,1000000
    .venv/bin/python bench/run.py --db postgresql --sizes 10000,100000,1000000
    .venv/bin/python bench/run.py --db sqlite,postgresql --sizes 2000,20000 --load

For each database: a fresh database (deploy, calendar import, seed-demo for the demo logins);
for each size: grow the data with ``flask seed-bench`` (the bench plugin, bench/plugin/, which the
application loads only with ``BENCH_MODE=1``: every command and server here runs with it, from the
repository root, see ``server_env``), serve it with gunicorn on 127.0.0.1 (4 workers, production
settings plus ``BENCH_MODE=1``), and measure every complaint page with
sequential requests after a warm-up (median, p95), a few concurrent client threads
(requests/s) and the ``X-SQL-Statements`` header; the render floor (``/benchfloor/list/``: the
list's first page in plain Flask + Jinja, bench/plugin/floor.py) beside the list pages and the
stock view; the bare SQL of the list page in this process (the floor); the Excel export against
a single-worker server (time, peak RSS of the worker); ``flask --app jobs remind --no-mail`` (wall
time: the scheduled jobs' application, as the timers run it).
``--load`` adds the locust scenario (bench/locustfile.py) for a county (30 users) and a province
(300 users).

PostgreSQL runs on a throwaway server: the script re-runs itself under
``scripts/pg-throwaway.sh``; and first of all under ``scripts/redis-throwaway.sh``, whose Redis the
servers share as their rate-limit store (production refuses memory:// with several workers). Results: ``bench/results/<db>-<size>.json`` (a run replaces the
earlier results of the same database) and ``bench/RESULTS.md``, regenerated from every JSON
file there. Every server started is stopped on exit; temporary files live in one temporary
directory, removed at the end (``--keep`` keeps it).
"""
import argparse
import csv
import datetime as dt
import http.cookiejar
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the application's packages, for the floor and the samples
BENCH_DIR = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
FLASK = [str(VENV_BIN / "flask"), "--app", "run"]
# The scheduled jobs' application (jobs.py: no views), as docs/deploy.md's timers run it.
FLASK_JOBS = [str(VENV_BIN / "flask"), "--app", "jobs"]
REMIND_COMMAND = "flask --app jobs remind --no-mail"  # as a result records it
GUNICORN = str(VENV_BIN / "gunicorn")
LOCUST = str(VENV_BIN / "locust")
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway.sh"
REDIS_THROWAWAY = ROOT / "scripts" / "redis-throwaway.sh"
DEFAULT_RESULTS = BENCH_DIR / "results"
DEFAULT_REPORT = BENCH_DIR / "RESULTS.md"
CHANGES_FILE = BENCH_DIR / "CHANGES.md"

PASSWORD = "Demo@12345"
LOGINS = {
    "DisciplineOffice": "demo_discipline",
    "BranchHead": "demo_branchhead",
    "Admin": "demo_admin",
    "CounterStaff": "demo_counter",
    "Leadership": "demo_leader",
}
SQL_HEADER = "X-SQL-Statements"
PAGE_SIZE = 25

# The targets the report marks PASS or FAIL.
MAX_STATEMENTS = 12
MAX_GROWTH = 1.5
MAX_STOCK_RATIO = 1.0
MAX_FLOOR_RATIO = 3.0  # our list page ÷ the render floor, at 1M (issue 22)
MAX_TODO_RATIO = 1.5  # the to-do page ÷ the list page of the same role and run, at 1M (issue 22)
MAX_SEARCH_RATIO = 2.0  # a phone, name or number search ÷ the plain list of the same role (issue 19)
MAX_ENCRYPTION_RATIO = 1.2  # list and case page with the identity encrypted ÷ in plain text (issue 24)
MAX_REMIND_SECONDS = 5.0  # `flask remind` over the bench's open cases (issue 22)
MAX_REPORT_SECONDS = 1.0
MAX_EXPORT_MB = 300

# The measured items: key and the label of its table row.
ITEMS = [
    ("list_discipline", "complaint list /complaints/list/ · DisciplineOffice"),
    ("list_branchhead", "complaint list /complaints/list/ · BranchHead"),
    ("stock_admin", "FAB stock ModelView /benchstock/list/ · Admin"),
    ("render_floor_discipline", "render floor /benchfloor/list/ (plain Flask + Jinja) · DisciplineOffice"),
    ("render_floor_branchhead", "render floor /benchfloor/list/ (plain Flask + Jinja) · BranchHead"),
    ("floor_discipline", "bare SQL of the list (count + page) · DisciplineOffice scope"),
    ("floor_branchhead", "bare SQL of the list (count + page) · BranchHead scope"),
    ("case_discipline", "case page /complaints/show/<id> · DisciplineOffice"),
    ("todo_discipline", "to-do /todo/ · DisciplineOffice"),
    ("todo_branchhead", "to-do /todo/ · BranchHead"),
    ("todo_api", "GET /api/v1/complaint/todo (25 rows) · DisciplineOffice"),
    ("api_list", "GET /api/v1/complaint/ (25 rows) · DisciplineOffice"),
    ("dashboard", "dashboard /reports/dashboard · DisciplineOffice"),
    ("summary_api", "GET /api/v1/report/summary · DisciplineOffice"),
    # Finding a case (app/data/search.py): the list's search box and filters, 25 rows a page.
    ("search_phone_discipline", "list search box: phone typed with spaces · DisciplineOffice"),
    ("search_phone_branchhead", "list search box: phone typed with spaces · BranchHead"),
    ("search_name_discipline", "list filter: complainant name, exact · DisciplineOffice"),
    ("search_number_discipline", "list search box: part of a case number (mmdd-NNNN) · DisciplineOffice"),
    ("search_text_discipline", "list search box: words of the facts · DisciplineOffice"),
    ("search_phone_api", "GET /api/v1/complaint/ phone filter · DisciplineOffice"),
    # Issue 24: the same cases served from a database whose identity is encrypted and from its
    # twin written back in plain text (IDENTITY_ENCRYPTION=0), in turns (measure_encryption).
    ("list_encrypted", "complaint list · identity encrypted · DisciplineOffice"),
    ("list_plain", "complaint list · identity in plain text (twin) · DisciplineOffice"),
    ("case_encrypted", "case page · identity encrypted · DisciplineOffice"),
    ("case_plain", "case page · identity in plain text (twin) · DisciplineOffice"),
    ("register_encrypted", "POST /api/v1/complaint/ (register) · identity encrypted"),
    ("register_plain", "POST /api/v1/complaint/ (register) · identity in plain text (twin)"),
]
# (encrypted item, its plain-text twin, the ratio's limit or None: reported without a target)
ENCRYPTION_COMPARED = (("list_encrypted", "list_plain", MAX_ENCRYPTION_RATIO),
                       ("case_encrypted", "case_plain", MAX_ENCRYPTION_RATIO),
                       ("register_encrypted", "register_plain", None))
ITEM_LABELS = dict(ITEMS)
SEARCH_TEXT = "叫号"  # words the bench's facts contain in a few per cent of the cases


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------------

class Processes:
    """Every child process group this run started; all of them are stopped on exit."""

    def __init__(self):
        self._groups = {}

    def add(self, process: subprocess.Popen) -> None:
        self._groups[process.pid] = process

    def stop(self, process: subprocess.Popen, grace: float = 30.0) -> None:
        if process.pid not in self._groups:
            return
        try:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            else:
                # The leader has gone; make sure nothing of its group is left behind.
                os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            self._groups.pop(process.pid, None)

    def stop_all(self) -> None:
        for process in list(self._groups.values()):
            self.stop(process, grace=10.0)


PROCESSES = Processes()


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def run_command(args, env, log_path: Path, timeout: float = None) -> dict:
    """Run a command in its own process group; wall time and peak RSS (MB) of the command."""
    with open(log_path, "ab") as out:
        out.write(f"\n$ {' '.join(args)}\n".encode())
        out.flush()
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        PROCESSES.add(process)
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{' '.join(args)} took longer than {timeout} s")
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        finally:
            PROCESSES.stop(process)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:5])} … failed with exit code {process.returncode}; see {log_path}")
    # ru_maxrss is in kilobytes on Linux.
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the app on 127.0.0.1 with ``workers`` sync workers."""

    def __init__(self, env, workers: int, log_path: Path):
        self.env = env
        self.workers = workers
        self.log_path = log_path
        self.port = None
        self.process = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts: int = 3) -> "Server":
        for _ in range(attempts):
            self.port = free_port()
            out = open(self.log_path, "ab")
            try:
                self.process = subprocess.Popen(
                    [GUNICORN, "-c", "gunicorn.conf.py", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                     "app:create_app()"],
                    cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            finally:
                out.close()
            PROCESSES.add(self.process)
            state = self._wait_healthy()
            if state == "ok":
                return self
            PROCESSES.stop(self.process)
            if state != "exited":  # only a lost race for the port is worth another attempt
                raise RuntimeError(f"gunicorn on port {self.port}: {state}; see {self.log_path}")
        raise RuntimeError(f"gunicorn did not start; see {self.log_path}")

    def _wait_healthy(self, timeout: float = 120.0) -> str:
        """"ok", "exited", or why /health did not answer 200 in time."""
        deadline = time.monotonic() + timeout
        client = Client(self.base)
        last = "no answer from /health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return "exited"
            try:
                response = client.request("GET", "/health", timeout=5)
                if response.status == 200 and len(self.worker_pids()) >= self.workers:
                    return "ok"
                last = f"/health answers {response.status} {response.text()[:200]}"
                if response.status == 503 and '"pending"' in response.text():
                    # The database is not at the migrations' head: the code changed after deploy.
                    return last + " (database not at the migrations' head: did the code change during the run?)"
            except OSError:
                pass
            time.sleep(0.25)
        return last

    def worker_pids(self):
        """The worker processes (children of the gunicorn master)."""
        pid = self.process.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                return [int(value) for value in handle.read().split()]
        except OSError:
            children = []
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/stat") as handle:
                            fields = handle.read().rsplit(")", 1)[1].split()
                        if int(fields[1]) == pid:
                            children.append(int(entry))
                    except (OSError, IndexError, ValueError):
                        continue
            return children

    def stop(self) -> None:
        if self.process is not None:
            PROCESSES.stop(self.process)
            self.process = None


def proc_status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    raise KeyError(field)


def reset_peak_rss(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ≥ 4.0); False when not possible."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


# --- HTTP ------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def statements(self):
        value = self.headers.get(SQL_HEADER)
        return int(value) if value is not None and value.isdigit() else None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Client:
    """A minimal HTTP client: cookies, no proxies, redirects returned as they are."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar = None, token: str = None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.token = token
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def clone(self) -> "Client":
        """Same session (cookies copied) and token, own opener: one per client thread."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(cookie)
        return Client(self.base, jar, self.token)

    def request(self, method, path, form=None, body=None, timeout=900.0) -> Response:
        headers = {"User-Agent": "complaints-bench"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, raw, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, response_headers = error.code, error.read(), error.headers
        return Response(status, response_headers, raw, time.perf_counter() - started)


def web_login(base: str, username: str) -> Client:
    """A web session through the real login form (CSRF token included)."""
    client = Client(base)
    page = client.request("GET", "/login/").text()
    token = None
    for tag in re.findall(r"<input[^>]*>", page):
        if 'name="csrf_token"' in tag:
            token = re.search(r'value="([^"]+)"', tag).group(1)
    if token is None:
        raise RuntimeError("no CSRF token on /login/")
    answer = client.request("POST", "/login/", form={"username": username, "password": PASSWORD, "csrf_token": token})
    location = answer.headers.get("Location", "")
    if answer.status != 302 or "/login" in location:
        raise RuntimeError(f"web login of {username} failed (status {answer.status})")
    return client


def api_login(base: str, username: str) -> Client:
    """A client carrying a bearer token from the real API login."""
    client = Client(base)
    answer = client.request("POST", "/api/v1/security/login",
                            body={"username": username, "password": PASSWORD, "provider": "db", "refresh": False})
    if answer.status != 200:
        raise RuntimeError(f"API login of {username} failed (status {answer.status}): {answer.text()[:200]}")
    client.token = answer.json()["access_token"]
    return client


# --- statistics ------------------------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Sampler:
    """Sequential latencies, statement counts and statuses of one measured item."""

    def __init__(self, call):
        self.call = call
        self.prepare = getattr(call, "prepare", lambda: None)
        self.context = self.prepare()
        self.latencies, self.statements, self.statuses, self.errors = [], [], {}, 0

    def once(self, i: int, record: bool = True):
        started = time.perf_counter()
        status, count = self.call(i, self.context)
        if not record:
            return
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != 200:
            self.errors += 1
        if count is not None:
            self.statements.append(count)

    def result(self, threads: int, throughput_requests: int) -> dict:
        """The latency figures, then requests/s from ``threads`` client threads at once."""
        latencies, statements = self.latencies, self.statements
        result = {
            "requests": len(latencies),
            "median_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "min_ms": round(min(latencies), 2),
            "max_ms": round(max(latencies), 2),
            "statements_median": statistics.median(statements) if statements else None,
            "statements_max": max(statements) if statements else None,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }
        call = self.call
        if threads and throughput_requests:
            per_thread = max(1, throughput_requests // threads)
            contexts = [self.prepare() for _ in range(threads)]
            failures = []

            def worker(index):
                for j in range(per_thread):
                    status, _ = call(index * per_thread + j, contexts[index])
                    if status != 200:
                        failures.append(status)

            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(worker, range(threads)))
            wall = time.perf_counter() - started
            result.update(threads=threads, throughput_requests=per_thread * threads,
                          requests_per_s=round(per_thread * threads / wall, 2), throughput_errors=len(failures))
            result["errors"] += len(failures)
        if hasattr(call, "details"):
            result.update(call.details())
        return result


def measure(call, requests: int, warmup: int, threads: int, throughput_requests: int) -> dict:
    """``call(i, worker)`` → (status, statements or None); ``worker`` is a per-thread context
    made by ``call.prepare()`` when it has one. Sequential latencies, then requests/s."""
    sampler = Sampler(call)
    for i in range(warmup):
        sampler.once(i, record=False)
    for i in range(requests):
        sampler.once(i)
    return sampler.result(threads, throughput_requests)


def measure_in_turns(calls: dict, requests: int, warmup: int, threads: int, throughput_requests: int) -> dict:
    """``measure`` for items compared with each other (our list pages, the stock page and the
    render floors): one request of each per round, the order rotating, so that a slow spell of
    the shared machine weighs on all of them alike. Then each item's requests/s."""
    samplers = {key: Sampler(call) for key, call in calls.items()}
    keys = list(samplers)
    for i in range(warmup):
        for key in keys:
            samplers[key].once(i, record=False)
    for i in range(requests):
        turn = keys[i % len(keys):] + keys[:i % len(keys)]
        for key in turn:
            samplers[key].once(i)
    return {key: sampler.result(threads, throughput_requests) for key, sampler in samplers.items()}


class HttpCall:
    """GET ``paths[i % len(paths)]`` with a client cloned per thread."""

    def __init__(self, client: Client, paths):
        self.client = client
        self.paths = list(paths)
        self.worst = (None, None)  # (statements, path) of the request with the most statements

    def prepare(self):
        return self.client.clone()

    def __call__(self, i, client):
        path = self.paths[i % len(self.paths)]
        try:
            response = client.request("GET", path)
        except OSError:  # connection refused or reset, timeout: counted as an error
            return 599, None
        count = response.statements
        if count is not None and (self.worst[0] is None or count > self.worst[0]):
            self.worst = (count, path)
        return response.status, count

    def details(self):
        if len(self.paths) > 1 and self.worst[0] is not None:
            return {"worst_statements": self.worst[0], "worst_path": self.worst[1]}
        return {}


# --- the database, seen from this process ----------------------------------------------------

class Database:
    """The application's models over the bench database, in this process (no HTTP)."""

    def __init__(self, url: str, keys_file: str):
        import logging

        os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
        # FAB's start-up notes about unsupported filter types are noise here.
        logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
        from app import create_app

        self.url = url
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BENCH_MODE": False, "TESTING": False,
                               "IDENTITY_KEYS": None, "IDENTITY_KEYS_FILE": keys_file})

    def count(self) -> int:
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models.complaint import Complaint

        with self.app.app_context():
            try:
                return db.session.execute(select(func.count()).select_from(Complaint)).scalar()
            finally:
                db.session.remove()

    def checkpoint(self) -> None:
        """PostgreSQL: a CHECKPOINT, so its checkpointer does not write the seeding's pages out
        while the pages and commands are measured (SQLite: the seeding checkpoints its WAL)."""
        from sqlalchemy import text

        from app.extensions import db

        with self.app.app_context():
            if db.engine.dialect.name != "postgresql":
                return
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("CHECKPOINT"))

    def version(self) -> str:
        from sqlalchemy import text

        from app.extensions import db

        with self.app.app_context():
            try:
                if db.engine.dialect.name == "postgresql":
                    return db.session.execute(text("SHOW server_version")).scalar()
                return db.session.execute(text("select sqlite_version()")).scalar()
            finally:
                db.session.remove()

    def floor_statements(self, username: str):
        """(count statement, first-page statement) of the list page for ``username``, as the page
        runs them (``bench.plugin.floor.list_plan``: the same statements the render floor runs)."""
        from app.extensions import db
        from bench.plugin.floor import list_plan

        with self.app.app_context():
            try:
                count, _, page = list_plan(self.app.appbuilder.sm.find_user(username=username), db.session)
            finally:
                db.session.remove()
        return count, page

    def floor_call(self, username: str):
        from app.extensions import db

        count, page = self.floor_statements(username)
        app = self.app
        with app.app_context():
            engine = db.engine

        class FloorCall:
            """The count then the first page, on one pooled connection; the two parts timed apart."""

            def __init__(self):
                self.count_ms, self.page_ms = [], []

            def prepare(self):
                return None

            def __call__(self, i, context):
                # The page's rows hold the complainant identity, opened with the application's
                # keyring (issue 24): its context is pushed outside the timed part.
                with app.app_context(), engine.connect() as connection:
                    started = time.perf_counter()
                    connection.execute(count).scalar()
                    middle = time.perf_counter()
                    connection.execute(page).all()
                    ended = time.perf_counter()
                self.count_ms.append((middle - started) * 1000)
                self.page_ms.append((ended - middle) * 1000)
                return 200, 2

            def details(self):
                return {"count_median_ms": round(statistics.median(self.count_ms), 2),
                        "page_median_ms": round(statistics.median(self.page_ms), 2)}

        return FloorCall()

    def scoped_ids(self, username: str, sample: int, seed: int, status: str = None):
        """A reproducible sample of complaint ids ``username`` may see (optionally in ``status``)."""
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models.complaint import Complaint
        from app.security.scope import complaint_clause

        rng = random.Random(seed)
        with self.app.app_context():
            try:
                user = self.app.appbuilder.sm.find_user(username=username)
                clause = complaint_clause(user, Complaint)
                if status is not None:
                    clause = clause & (Complaint.status == status)
                low, high = db.session.execute(select(func.min(Complaint.id), func.max(Complaint.id)).where(clause)).one()
                if low is None:
                    return []
                found = set()
                for _ in range(20):
                    if len(found) >= sample:
                        break
                    candidates = {rng.randint(low, high) for _ in range(sample * 4)}
                    found.update(db.session.execute(
                        select(Complaint.id).where(clause, Complaint.id.in_(sorted(candidates)))
                    ).scalars())
                if len(found) < sample:  # a sparse scope: take what there is, in id order
                    found.update(db.session.execute(select(Complaint.id).where(clause).order_by(Complaint.id)
                                                    .limit(sample)).scalars())
                ids = sorted(found)
                rng.shuffle(ids)
                return ids[:sample]
            finally:
                db.session.remove()

    def search_samples(self, username: str, seed: int) -> dict:
        """What a clerk types to find one case of ``username``'s (a branch head's) whose identity it
        sees in full: its phone (a mobile number) typed with spaces, its complainant's name, and part
        of its case number (month, day and the day's counter). The numbers are encrypted (issue 24):
        cases with a number are read from the sampled offset on until one holds a mobile number."""
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models.complaint import Complaint
        from app.security.masking import identity_clause
        from app.security.scope import complaint_clause
        from app.services.complaints import actor_for

        with self.app.app_context():
            try:
                user = self.app.appbuilder.sm.find_user(username=username)
                clause = (complaint_clause(user, Complaint) & identity_clause(actor_for(user), Complaint)
                          & Complaint.phone_index.isnot(None))
                total = db.session.execute(select(func.count()).where(clause)).scalar()
                if not total:
                    return {}
                offset = random.Random(seed).randrange(total)
                rows = db.session.execute(select(Complaint.complainant_phone, Complaint.complainant_name,
                                                 Complaint.number).where(clause).order_by(Complaint.id)
                                          .offset(max(0, min(offset, total - 50))).limit(50)).all()
            finally:
                db.session.remove()
        mobile = [row for row in rows if len(row[0]) == 11 and row[0].isdigit()]
        if not mobile:
            return {}
        phone, name, number = mobile[0]
        return {"phone": f"{phone[:3]} {phone[3:7]} {phone[7:]}", "name": name,
                "number_part": number[6:], "text": SEARCH_TEXT}

    def search_plans(self, username: str, searches: dict) -> dict:
        """The query plans of each search's statements (count and page) as the list runs them:
        ``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL. ``searches``: item key →
        (column, filter index, value)."""
        from flask import g
        from sqlalchemy import event

        from app.data.interfaces import ComplaintInterface
        from app.extensions import db
        from app.security.filters import ComplaintScopeFilter

        plans = {}
        with self.app.test_request_context():
            try:
                g.user = self.app.appbuilder.sm.find_user(username=username)
                interface = ComplaintInterface()
                postgresql = db.engine.dialect.name == "postgresql"
                for key, (column, index, value) in searches.items():
                    filters = interface.get_filters([column])
                    filters.add_filter_index(column, index, [value])
                    joined = filters.get_joined_filters(
                        interface.get_filters().add_filter_list([["id", ComplaintScopeFilter, lambda: None]]))
                    seen = []

                    def capture(conn, cursor, statement, parameters, context, executemany, seen=seen):
                        if statement.lstrip().upper().startswith("SELECT"):
                            seen.append((statement, parameters))

                    event.listen(db.engine, "before_cursor_execute", capture)
                    try:
                        interface.query(joined, "received_at", "desc", page=0, page_size=PAGE_SIZE)
                    finally:
                        event.remove(db.engine, "before_cursor_execute", capture)
                    prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
                    with db.engine.connect() as connection:
                        plans[key] = [[" ".join(str(part) for part in row[-1:]) for row in
                                       connection.exec_driver_sql(prefix + statement, parameters).all()]
                                      for statement, parameters in seen[-2:]]  # the count and the page
            finally:
                db.session.remove()
        return plans

    def a_branch(self) -> int:
        """A branch (营业网点) complaints can be registered against."""
        from sqlalchemy import select

        from app.extensions import db
        from app.models import OrgUnit

        with self.app.app_context():
            try:
                return db.session.execute(select(OrgUnit.id).where(OrgUnit.kind == "branch", OrgUnit.active.is_(True))
                                          .order_by(OrgUnit.id).limit(1)).scalar()
            finally:
                db.session.remove()

    def unit_of(self, username: str):
        from app.extensions import db
        from app.security.scope import staff_of

        with self.app.app_context():
            try:
                staff = staff_of(self.app.appbuilder.sm.find_user(username=username))
                return staff.unit_id if staff else None
            finally:
                db.session.remove()

    def count_between(self, start: dt.date, end: dt.date) -> int:
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models.complaint import Complaint

        with self.app.app_context():
            try:
                return db.session.execute(
                    select(func.count()).select_from(Complaint).where(
                        Complaint.received_at >= dt.datetime.combine(start, dt.time.min),
                        Complaint.received_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
                ).scalar()
            finally:
                db.session.remove()

    def open_cases(self) -> int:
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models.complaint import Complaint
        from app.domain import states as s

        with self.app.app_context():
            try:
                return db.session.execute(select(func.count()).select_from(Complaint).where(
                    Complaint.status.in_(s.OPEN_STATUSES))).scalar()
            finally:
                db.session.remove()

    def close(self) -> None:
        from app.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- one database, one size ------------------------------------------------------------------

def export_periods(today: dt.date):
    """The last full calendar month before ``today``, and the twelve months ending with it."""
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    year_start = (month_start.replace(year=month_start.year - 1) + dt.timedelta(days=32)).replace(day=1)
    return (month_start, month_end), (year_start, month_end)


# Measured in turns (measure_in_turns): the pages the ours/stock and render-floor targets compare.
# Measured in turns: the pages whose medians are compared with each other (list, stock, render
# floor, to-do, the searches), so that a slow spell of the shared machine weighs on all alike.
COMPARED = ("list_discipline", "list_branchhead", "stock_admin", "render_floor_discipline", "render_floor_branchhead",
            "todo_discipline", "todo_branchhead", "search_phone_discipline", "search_phone_branchhead",
            "search_name_discipline", "search_number_discipline")
# (search item, the list item it is compared with)
SEARCH_COMPARED = (("search_phone_discipline", "list_discipline"), ("search_phone_branchhead", "list_branchhead"),
                   ("search_name_discipline", "list_discipline"), ("search_number_discipline", "list_discipline"))


def measure_pages(server: Server, database: Database, args, size_info: dict) -> dict:
    base = server.base
    sessions = {role: web_login(base, LOGINS[role]) for role in ("DisciplineOffice", "BranchHead", "Admin")}
    case_ids = database.scoped_ids(LOGINS["DisciplineOffice"], args.case_sample, seed=args.seed)
    size_info["case_sample"] = len(case_ids)
    plan = [
        ("list_discipline", lambda: HttpCall(sessions["DisciplineOffice"], ["/complaints/list/"])),
        ("list_branchhead", lambda: HttpCall(sessions["BranchHead"], ["/complaints/list/"])),
        ("stock_admin", lambda: HttpCall(sessions["Admin"], ["/benchstock/list/"])),
        ("render_floor_discipline", lambda: HttpCall(sessions["DisciplineOffice"], ["/benchfloor/list/"])),
        ("render_floor_branchhead", lambda: HttpCall(sessions["BranchHead"], ["/benchfloor/list/"])),
        ("floor_discipline", lambda: database.floor_call(LOGINS["DisciplineOffice"])),
        ("floor_branchhead", lambda: database.floor_call(LOGINS["BranchHead"])),
        ("case_discipline", lambda: HttpCall(sessions["DisciplineOffice"],
                                             [f"/complaints/show/{i}" for i in case_ids] or ["/complaints/show/1"])),
        ("todo_discipline", lambda: HttpCall(sessions["DisciplineOffice"], ["/todo/"])),
        ("todo_branchhead", lambda: HttpCall(sessions["BranchHead"], ["/todo/"])),
        ("todo_api", lambda: HttpCall(api_login(base, LOGINS["DisciplineOffice"]),
                                      [f"/api/v1/complaint/todo?page=1&page_size={PAGE_SIZE}"])),
        # A fresh token per item: at a million rows a run outlives the 15-minute token.
        ("api_list", lambda: HttpCall(api_login(base, LOGINS["DisciplineOffice"]),
                                      [f"/api/v1/complaint/?q=(page:0,page_size:{PAGE_SIZE})"])),
        ("dashboard", lambda: HttpCall(sessions["DisciplineOffice"], ["/reports/dashboard"])),
        ("summary_api", lambda: HttpCall(api_login(base, LOGINS["DisciplineOffice"]), ["/api/v1/report/summary"])),
        *search_plan(sessions, base, database, args, size_info),
    ]
    results = {}
    in_turns = {key: make for key, make in plan if key in COMPARED and (not args.only or key in args.only)}
    if in_turns:
        log(f"  {', '.join(in_turns)} (in turns)")
        results.update(measure_in_turns({key: make() for key, make in in_turns.items()}, args.requests,
                                        args.warmup, args.threads, args.throughput_requests))
    for key, make in plan:
        if key in in_turns or (args.only and key not in args.only):
            continue
        log(f"  {key}")
        results[key] = measure(make(), args.requests, args.warmup, args.threads, args.throughput_requests)
    return {key: results[key] for key, _ in plan if key in results}


def search_plan(sessions, base, database: Database, args, size_info: dict) -> list:
    """The search items of ``measure_pages``: what a clerk types to find a case that a branch
    head handles (so both roles may find it by phone), and the query plans of each search."""
    wanted = [key for key, _ in ITEMS if key.startswith("search_") and (not args.only or key in args.only)]
    if not wanted:
        return []
    samples = database.search_samples(LOGINS["BranchHead"], args.seed)
    if not samples:
        log("  no case with a phone number for the search items")
        return []
    size_info["search_samples"] = {key: value for key, value in samples.items() if key in ("number_part", "text")}
    box = "_flt_0_number"  # data/search.py: FilterKeyword, the first filter of the number column
    quote = urllib.parse.quote
    pages = {
        "search_phone_discipline": ("DisciplineOffice", f"{box}={quote(samples['phone'])}"),
        "search_phone_branchhead": ("BranchHead", f"{box}={quote(samples['phone'])}"),
        "search_name_discipline": ("DisciplineOffice", f"_flt_0_complainant_name={quote(samples['name'])}"),
        "search_number_discipline": ("DisciplineOffice", f"{box}={quote(samples['number_part'])}"),
        "search_text_discipline": ("DisciplineOffice", f"{box}={quote(samples['text'])}"),
    }
    size_info["search_plans"] = {
        "DisciplineOffice": database.search_plans(LOGINS["DisciplineOffice"], {
            "phone (box)": ("number", 0, samples["phone"]), "name, exact": ("complainant_name", 0, samples["name"]),
            "number part (box)": ("number", 0, samples["number_part"]), "text (box)": ("number", 0, samples["text"])}),
        "BranchHead": database.search_plans(LOGINS["BranchHead"], {"phone (box)": ("number", 0, samples["phone"])}),
    }
    rison = urllib.parse.quote(f"(filters:!((col:complainant_phone,opr:eq,value:'{samples['phone']}')),"
                               f"page:0,page_size:{PAGE_SIZE})")
    plan = [(key, (lambda role=role, query=query: HttpCall(sessions[role], [f"/complaints/list/?{query}"])))
            for key, (role, query) in pages.items()]
    plan.append(("search_phone_api", lambda: HttpCall(api_login(base, LOGINS["DisciplineOffice"]),
                                                      [f"/api/v1/complaint/?q={rison}"])))
    return [(key, make) for key, make in plan if key in wanted]


class RegisterCall:
    """POST a new complaint (``/api/v1/complaint/``) as the client's user: the register path,
    identity included, written under the server's encryption setting."""

    def __init__(self, client: Client, branch_id: int):
        self.client = client
        self.branch_id = branch_id

    def prepare(self):
        return self.client.clone()

    def __call__(self, i, client):
        body = {"channel": "phone", "branch_id": self.branch_id, "category": "fee", "facts": "多收手续费,要求退还。",
                "complainant_name": "压测客户", "complainant_phone": f"139{i:08d}",
                "complainant_id_number": "11010519491231002X", "complainant_address": "压测县人民路1号"}
        try:
            response = client.request("POST", "/api/v1/complaint/", body=body)
        except OSError:
            return 599, None
        return (200 if response.status == 201 else response.status), response.statements

    def details(self):
        return {}


def plain_twin(kind: str, url: str, workdir: Path) -> str:
    """A copy of the bench database (the same cases), for ``keys decrypt-existing`` to write back in
    plain text: SQLite a file copy (backup API), PostgreSQL ``CREATE DATABASE … TEMPLATE``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        path = workdir / "bench-plain.db"
        source, target = sqlite3.connect(make_url(url).database), sqlite3.connect(str(path))
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return f"sqlite:///{path}"
    parsed = make_url(url)
    twin = f"{parsed.database}_plain"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{twin}"'))
            connection.execute(text(f'CREATE DATABASE "{twin}" TEMPLATE "{parsed.database}"'))
    finally:
        admin.dispose()
    return parsed.set(database=twin).render_as_string(hide_password=False)


def drop_twin(kind: str, twin: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(twin)
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def measure_encryption(env, database: Database, args, workdir: Path, kind: str, url: str) -> dict:
    """Issue 24: the list page, the case page and a registration against the bench database (its
    identity encrypted) and against a twin whose identity ``keys decrypt-existing`` wrote back in
    plain text (served with ``IDENTITY_ENCRYPTION=0``), in turns. Both servers run with the same
    settings (PRODUCTION off, which refuses encryption off; nothing else depends on it at run time)."""
    case_ids = database.scoped_ids(LOGINS["DisciplineOffice"], args.case_sample, seed=args.seed)
    branch_id = database.a_branch()
    database.close()  # PostgreSQL copies a database nobody is connected to
    log("  encryption: plain-text twin (copy, then keys decrypt-existing)")
    twin = plain_twin(kind, url, workdir)
    try:
        plain_env = dict(env, DATABASE_URL=twin, IDENTITY_ENCRYPTION="0", PRODUCTION="0")
        encrypted_env = dict(env, PRODUCTION="0")
        decrypt = run_command([*FLASK, "keys", "decrypt-existing", "--batch", "5000"], plain_env,
                              workdir / "decrypt.log")
        servers = {"encrypted": Server(encrypted_env, args.workers, workdir / "gunicorn-encrypted.log").start()}
        try:
            servers["plain"] = Server(plain_env, args.workers, workdir / "gunicorn-plain.log").start()
            calls = {}
            for name, server in servers.items():
                session = web_login(server.base, LOGINS["DisciplineOffice"])
                calls[f"list_{name}"] = HttpCall(session, ["/complaints/list/"])
                calls[f"case_{name}"] = HttpCall(session, [f"/complaints/show/{i}" for i in case_ids]
                                                 or ["/complaints/show/1"])
                calls[f"register_{name}"] = RegisterCall(api_login(server.base, LOGINS["DisciplineOffice"]),
                                                         branch_id)
            order = [key for key, _ in ITEMS if key in calls]
            log(f"  {', '.join(order)} (in turns)")
            items = measure_in_turns({key: calls[key] for key in order}, args.requests, args.warmup, args.threads,
                                     args.throughput_requests)
        finally:
            for server in servers.values():
                server.stop()
    finally:
        drop_twin(kind, twin)
    return {"items": items, "decrypt_seconds": decrypt["seconds"]}


def measure_export(env, database: Database, args, workdir: Path) -> dict:
    """Month and year exports against a single-worker gunicorn: time and the worker's peak RSS."""
    today = dt.date.today()
    (m_start, m_end), (y_start, y_end) = export_periods(today)
    server = Server(env, 1, workdir / "gunicorn-export.log").start()
    try:
        worker = server.worker_pids()[0]
        client = web_login(server.base, LOGINS["DisciplineOffice"])
        # Warm the worker (imports, templates, caches) so the baseline is a serving worker's.
        client.request("GET", "/reports/dashboard")
        baseline = proc_status_mb(worker, "VmRSS")
        result = {"worker_rss_before_mb": baseline}
        for key, start, end, runs in (("export_month", m_start, m_end, args.export_runs),
                                      ("export_year", y_start, y_end, max(1, args.export_runs - 1))):
            rows = database.count_between(start, end)
            reset = reset_peak_rss(worker)
            seconds, sizes, statuses, statements = [], [], [], []
            path = f"/reports/export?start={start.isoformat()}&end={end.isoformat()}"
            log(f"  {key} {start}..{end} ({rows} complaints) × {runs}")
            for _ in range(runs):
                try:
                    response = client.request("GET", path, timeout=args.export_timeout)
                    statuses.append(response.status)
                    seconds.append(response.seconds)
                    sizes.append(len(response.body))
                    statements.append(response.statements)
                except OSError as error:  # the worker was killed (timeout) or the connection dropped
                    statuses.append(f"failed: {error.__class__.__name__}")
                    break
            alive = worker in server.worker_pids()
            result[key] = {
                "start": start.isoformat(), "end": end.isoformat(), "complaints": rows, "runs": len(seconds),
                "median_s": round(statistics.median(seconds), 3) if seconds else None,
                "max_s": round(max(seconds), 3) if seconds else None,
                "bytes": max(sizes) if sizes else None,
                "statuses": [str(status) for status in statuses],
                "errors": sum(1 for status in statuses if status != 200),
                "statements": statements[0] if statements else None,
                "peak_rss_mb": proc_status_mb(worker, "VmHWM") if alive else None,
                "peak_is_since_start": not reset,
                "worker_survived": alive,
            }
            if not alive:
                break
        return result
    finally:
        server.stop()


def measure_remind(env, database: Database, workdir: Path) -> dict:
    open_cases = database.open_cases()
    # What any `flask` command costs before it does anything: the application's start-up.
    startup = run_command([*FLASK_JOBS, "routes"], env, workdir / "startup.log")
    log(f"  remind --no-mail over {open_cases} open cases")
    usage = run_command([*FLASK_JOBS, "remind", "--no-mail"], env, workdir / "remind.log")
    output = (workdir / "remind.log").read_text(errors="replace").strip().splitlines()
    counts = {}
    for line in reversed(output):
        pairs = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if pairs and all(value.isdigit() for value in pairs.values()):
            counts = {key: int(value) for key, value in pairs.items()}
            break
    return {"open_cases": open_cases, "seconds": usage["seconds"], "peak_rss_mb": usage["peak_rss_mb"],
            "counts": counts, "startup_seconds": startup["seconds"],
            "command": REMIND_COMMAND}


def remind_command(remind: dict) -> str:
    """The command a result's remind figure measured: runs before session 8 ran `flask --app run
    remind` and recorded none."""
    return remind.get("command", "flask --app run remind --no-mail")


def run_load(servers, database: Database, args, workdir: Path, size: int, tag: str = "") -> dict:
    """The locust scenario for the county and the province; p95 and error rate per request.
    With more than one server the simulated users are spread over them in turn (``hosts``)."""
    if not Path(LOCUST).exists():
        raise RuntimeError("locust is not installed: .venv/bin/pip install -r requirements-bench.txt")
    (m_start, m_end), _ = export_periods(dt.date.today())
    config = {
        "password": PASSWORD,
        "logins": LOGINS,
        "case_ids": database.scoped_ids(LOGINS["DisciplineOffice"], 300, seed=args.seed + 1),
        "branch_case_ids": database.scoped_ids(LOGINS["BranchHead"], 300, seed=args.seed + 2),
        "registered_ids": database.scoped_ids(LOGINS["DisciplineOffice"], 500, seed=args.seed + 3, status="registered"),
        "counter_branch_id": database.unit_of(LOGINS["CounterStaff"]),
        "export_start": m_start.isoformat(),
        "export_end": m_end.isoformat(),
        "wait_min": args.load_wait[0],
        "wait_max": args.load_wait[1],
        "hosts": [server.base for server in servers] if len(servers) > 1 else [],
    }
    results = {}
    for profile in args.load:
        users, rate = LOAD_PROFILES[profile]
        prefix = workdir / f"locust-{size}-{profile}{tag}"
        outcome_path = Path(f"{prefix}-outcomes.json")
        config_path = workdir / f"locust-{size}-{profile}{tag}.json"
        config["outcomes_path"] = str(outcome_path)
        config_path.write_text(json.dumps(config))
        log(f"  load: {profile} ({users} users, {rate}/s, {args.load_time}, {len(servers)} server(s))")
        results[profile] = stage(f"load {profile}", lambda: locust_profile(
            servers[0], profile, config_path, outcome_path, prefix, users, rate, args, workdir, size))
        if len(servers) > 1:
            results[profile]["servers"] = len(servers)
            results[profile]["workers_per_server"] = servers[0].workers
    return results


def two_server_load(env, database: Database, args, workdir: Path, size: int) -> dict:
    """The same load spread over two gunicorn instances (own ports, half the workers each) over
    the one database and the one Redis: what a union adding an app server behind a load balancer
    runs (docs/deploy.md §6a)."""
    workers = max(1, args.workers // 2)
    env = dict(env, APP_SERVERS="2")  # config.shared_state_refusal: what production declares
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(Server(env, workers, workdir / f"gunicorn-{name}.log").start())
        return run_load(servers, database, args, workdir, size, tag="-two-servers")
    finally:
        for server in servers:
            server.stop()


def locust_profile(server, profile, config_path, outcome_path, prefix, users, rate, args, workdir, size):
    """One headless locust run; its per-request figures from locust's CSV."""
    env = {**os.environ, "BENCH_LOCUST_CONFIG": str(config_path)}
    command = [LOCUST, "-f", str(BENCH_DIR / "locustfile.py"), "--headless", "-u", str(users), "-r", str(rate),
               "-t", args.load_time, "--host", server.base, "--csv", str(prefix), "--only-summary",
               "--stop-timeout", "30", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    run_command(command, env, Path(f"{prefix}.log"),
                timeout=_seconds(args.load_time) + 300)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"]  # the locustfile's names carry the method already
            count = int(row["Request Count"])
            failures = int(row["Failure Count"])
            rows[name] = {
                "requests": count,
                "failures": failures,
                "error_rate": round(failures / count, 4) if count else 0.0,
                "median_ms": _number(row["Median Response Time"]),
                "p95_ms": _number(row["95%"]),
                "requests_per_s": round(float(row["Requests/s"]), 2),
            }
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as handle:
            failures = [{"request": f"{r['Method']} {r['Name']}", "error": r["Error"][:300],
                         "occurrences": int(r["Occurrences"])} for r in csv.DictReader(handle)]
    outcomes = json.loads(outcome_path.read_text()) if outcome_path.exists() else {}
    return {"users": users, "spawn_rate": rate, "duration": args.load_time,
            "requests": rows, "failures": failures, "outcomes": outcomes}


def _number(value):
    try:
        return round(float(value), 1)
    except (TypeError, ValueError):
        return None


def _seconds(duration: str) -> int:
    total = 0
    for amount, unit in re.findall(r"(\d+)\s*([hms]?)", duration):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1, "": 1}[unit]
    return total


LOAD_PROFILES = {"county": (30, 10), "province": (300, 30)}


# --- one database ----------------------------------------------------------------------------

def server_env(url: str, workdir: Path) -> dict:
    """Production settings (docs/deploy.md) on loopback, plus BENCH_MODE.

    The login rate limit counts per client address, and every bench client is 127.0.0.1: it is
    raised so the load test's logins are not refused (in production users come from many
    addresses). Nothing else differs from a production instance served over plain HTTP.
    """
    # Not PYTHONDONTWRITEBYTECODE either: a deployed service's interpreter keeps the application's
    # bytecode (`make install` writes it, docs/deploy.md step 3); without it every `flask` command
    # of the run compiled the modules it imports again (the jobs' start-up 1.6–2.2 → 2.4–2.7 s).
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "GUNICORN_")) and key not in ("TEST_DATABASE_URL", "PYTHONDONTWRITEBYTECODE")}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(32),
        # The complainant identity's keyring (issue 24), made for this run.
        IDENTITY_KEYS_FILE=bench_keyring(workdir),
        PRODUCTION="1",
        BENCH_MODE="1",
        AUTH_RATE_LIMIT="1000000 per 1 minute",
        RATELIMIT_STORAGE_URI=os.environ["TEST_REDIS_URL"],  # scripts/redis-throwaway.sh (main)
        RATELIMIT_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        UPLOAD_DIR=str(workdir / "attachments"),
        BACKUP_DIR=str(workdir / "backups"),
        ARCHIVE_DIR=str(workdir / "archive"),
        GUNICORN_LOG_LEVEL="warning",
        PYTHONUNBUFFERED="1",
    )
    return env


def bench_keyring(workdir: Path) -> str:
    """A new identity keyring for this run's databases, in ``workdir`` (removed with it)."""
    from app.crypto import Keyring, write_keyring_file

    path = workdir / "identity_keys"
    if not path.exists():
        write_keyring_file(str(path), Keyring.generate())
    return str(path)


def seed_bench_available(env, workdir: Path) -> bool:
    try:
        run_command([*FLASK, "seed-bench", "--help"], env, workdir / "seed.log", timeout=120)
        return True
    except RuntimeError:
        return False


def stage(name: str, call):
    """Run one stage; a failure is recorded in the results (and printed), not fatal to the run."""
    try:
        return call()
    except (RuntimeError, OSError, TimeoutError, KeyError, IndexError, ValueError) as error:
        log(f"  {name} failed: {error}")
        return {"error": f"{error.__class__.__name__}: {error}"}


def bench_database(kind: str, url: str, args, workdir: Path) -> list:
    keys_file = bench_keyring(workdir)
    env = server_env(url, workdir)
    setup_log = workdir / "setup.log"
    log(f"{kind}: fresh database (deploy, calendar import, seed-demo)")
    setup = {}
    for name, command in (("deploy", ["deploy"]), ("calendar_import", ["calendar", "import"]),
                          ("seed_demo", ["seed-demo"])):
        setup[name] = run_command([*FLASK, *command], env, setup_log)["seconds"]
    database = Database(url, keys_file)
    written = []
    try:
        db_version = database.version()
        has_seed = seed_bench_available(env, workdir)
        for size in args.sizes:
            current = database.count()
            delta = size - current
            growth = None
            if delta > 0:
                if not has_seed:
                    raise RuntimeError("`flask --app run seed-bench` is not available (bench/plugin/, BENCH_MODE=1): "
                                       f"cannot grow the data to {size}")
                log(f"{kind}: seed-bench --complaints {delta} ({current} → {size})")
                growth = run_command([*FLASK, "seed-bench", "--complaints", str(delta)], env,
                                     workdir / "seed.log")
                # The seeding leaves gigabytes of written pages for PostgreSQL's checkpointer and the
                # kernel to write out; written here, so the measured requests and commands do not
                # queue behind that write-back.
                started = time.perf_counter()
                database.checkpoint()
                os.sync()
                growth["sync_seconds"] = round(time.perf_counter() - started, 2)
                log(f"{kind}: seeding's writes flushed in {growth['sync_seconds']} s")
            actual = database.count()
            log(f"{kind}: {actual} complaints")
            size_info = {}
            result = {
                "db": kind, "db_version": db_version, "size": size, "complaints": actual,
                "started": dt.datetime.now().isoformat(timespec="seconds"),
                "machine": machine(), "setup_seconds": setup, "seed": growth,
                "settings": {"workers": args.workers, "requests": args.requests, "warmup": args.warmup,
                             "threads": args.threads, "throughput_requests": args.throughput_requests,
                             "export_runs": args.export_runs, "seed": args.seed},
                "size_info": size_info,
                "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
            }
            server = Server(env, args.workers, workdir / "gunicorn.log").start()
            try:
                result["items"] = measure_pages(server, database, args, size_info)
                if args.load:
                    result["load"] = stage("load", lambda: run_load([server], database, args, workdir, size))
            finally:
                server.stop()
            if args.load:
                result["load_two_servers"] = stage("two-server load", lambda: two_server_load(
                    env, database, args, workdir, size))
            if not args.only or any(key in args.only for key, _, _ in ENCRYPTION_COMPARED) or "encryption" in args.only:
                encryption = stage("encryption", lambda: measure_encryption(env, database, args, workdir, kind, url))
                result["items"].update(encryption.pop("items", {}))
                result["encryption"] = encryption
            if not args.only or "export" in args.only:
                result["export"] = stage("export", lambda: measure_export(env, database, args, workdir))
            if not args.only or "remind" in args.only:
                result["remind"] = stage("remind", lambda: measure_remind(env, database, workdir))
            result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
            path = args.results / f"{kind}-{size}.json"
            path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            path.chmod(0o644)  # under scripts/pg-throwaway.sh the umask is 077
            written.append(path)
            print(size_table(result), flush=True)
    finally:
        database.close()
    return written


# --- machine and report ----------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gib = None
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    gunicorn_version = subprocess.run([GUNICORN, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": ram_gib, "kernel": platform.release(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "gunicorn": gunicorn_version,
    }


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def statements_cell(item, where=False):
    if item.get("statements_median") is None:
        return "—"
    low, high = item["statements_median"], item["statements_max"]
    if low == high:
        return f"{fmt(low, 0)}"
    worst = item.get("worst_path")
    if where and worst and item.get("worst_statements", 0) >= high:
        return f"{fmt(low, 0)} (max {item['worst_statements']}: `{worst}`)"
    return f"{fmt(low, 0)} (max {high})"


def size_table(result: dict) -> str:
    """The plain-text table printed after each size."""
    lines = [f"\n{result['db']} {result['db_version']} · {result['complaints']:,} complaints",
             f"{'item':<62} {'median ms':>10} {'p95 ms':>9} {'req/s':>8} {'SQL':>10} {'errors':>6}"]
    for key, item in result.get("items", {}).items():
        lines.append(f"{ITEM_LABELS[key]:<62} {fmt(item['median_ms']):>10} {fmt(item['p95_ms']):>9} "
                     f"{fmt(item.get('requests_per_s')):>8} {statements_cell(item):>10} {item['errors']:>6}")
    export = result.get("export") or {}
    for key in ("export_month", "export_year"):
        e = export.get(key)
        if e:
            label = f"Excel export {e['start']}..{e['end']} ({e['complaints']:,} cases), 1 worker"
            median = None if e["median_s"] is None else e["median_s"] * 1000
            worst = None if e["max_s"] is None else e["max_s"] * 1000
            lines.append(f"{label:<62} {fmt(median):>10} {fmt(worst):>9} {'':>8} {fmt(e['statements']):>10} "
                         f"{e['errors']:>6}   peak RSS {fmt(e['peak_rss_mb'])} MB")
    if export.get("error"):
        lines.append(f"Excel export: {export['error']}")
    remind = result.get("remind")
    if remind and "seconds" in remind:
        label = f"{remind_command(remind)} ({remind['open_cases']:,} open cases)"
        lines.append(f"{label:<62} {fmt(remind['seconds'] * 1000):>10}   peak RSS {fmt(remind['peak_rss_mb'])} MB")
    elif remind:
        lines.append(f"flask remind: {remind.get('error')}")
    for profile, load in loads(result):
        if "error" in load:
            lines.append(f"load {profile}: {load['error']}")
            continue
        total = load["requests"].get("Aggregated", {})
        lines.append(f"load {profile} ({load['users']} users): {fmt(total.get('requests'))} requests, "
                     f"p95 {fmt(total.get('p95_ms'))} ms, errors {fmt(total.get('failures'))} "
                     f"({fmt((total.get('error_rate') or 0) * 100, 2)} %)")
    for what, measured in floor_multiples(result):
        lines.append(f"{what}: {measured}")
    for row in targets(result, None):
        lines.append(f"target: {row[0]} — {row[1]} → {row[2]}")
    for role, searches in ((result.get("size_info") or {}).get("search_plans") or {}).items():
        for search, statements in searches.items():
            lines.append(f"plan {role}, {search}: " + " · then · ".join("; ".join(step) for step in statements))
    return "\n".join(lines)


def verdict(ok):
    return "—" if ok is None else ("PASS" if ok else "FAIL")


def floor_multiples(result: dict):
    """(what, measured) rows: our list page and the stock ModelView as multiples of the render
    floor, per role (medians of the same run, measured in turns)."""
    items = result.get("items", {})
    rows = []
    for role in ("discipline", "branchhead"):
        floor = items.get(f"render_floor_{role}")
        if not floor or not floor["median_ms"]:
            continue
        for key, what in ((f"list_{role}", "list page"), ("stock_admin", "stock ModelView")):
            if key in items:
                rows.append((f"{what} ÷ render floor ({role})",
                             f"{items[key]['median_ms'] / floor['median_ms']:.2f}× "
                             f"({fmt(items[key]['median_ms'])} / {fmt(floor['median_ms'])} ms)"))
    return rows


def targets(result: dict, smallest: dict):
    """(target, measured, verdict) rows for one result; ``smallest`` is the same database's
    smallest size, for the growth target."""
    rows = []
    items = result.get("items", {})
    for key in ("list_discipline", "list_branchhead", "case_discipline"):
        item = items.get(key)
        if item and item.get("statements_max") is not None:
            rows.append((f"{ITEM_LABELS[key].split(' · ')[0].split(' /')[0]} ({key.split('_')[1]}) statements ≤ {MAX_STATEMENTS}",
                         f"max {item['statements_max']} (median {fmt(item['statements_median'], 0)})",
                         verdict(item["statements_max"] <= MAX_STATEMENTS)))
    stock = items.get("stock_admin")
    for key in ("list_discipline", "list_branchhead"):
        if stock and key in items:
            ratio = items[key]["median_ms"] / stock["median_ms"]
            rows.append((f"ours/stock median ratio ({key.split('_')[1]}) ≤ {MAX_STOCK_RATIO}",
                         f"{ratio:.2f} ({fmt(items[key]['median_ms'])} / {fmt(stock['median_ms'])} ms)",
                         verdict(ratio <= MAX_STOCK_RATIO)))
    def ratio_row(target, ours, base, limit):
        """(target, measured, verdict) for ``ours`` ÷ ``base`` (medians) at most ``limit``; both
        measured without errors."""
        if not ours or not base or not base["median_ms"]:
            return
        ratio = ours["median_ms"] / base["median_ms"]
        rows.append((target, f"{ratio:.2f}× ({fmt(ours['median_ms'])} / {fmt(base['median_ms'])} ms)",
                     verdict(ratio <= limit and ours["errors"] == 0 and base["errors"] == 0)))

    for role in ("discipline", "branchhead"):
        ratio_row(f"our list page ≤ {MAX_FLOOR_RATIO:g}× the render floor ({role}; target at 1M)",
                  items.get(f"list_{role}"), items.get(f"render_floor_{role}"), MAX_FLOOR_RATIO)
    for role in ("discipline", "branchhead"):
        ratio_row(f"to-do ≤ {MAX_TODO_RATIO:g}× the list page ({role}; target at 1M)",
                  items.get(f"todo_{role}"), items.get(f"list_{role}"), MAX_TODO_RATIO)
    for key, listing in SEARCH_COMPARED:
        ratio_row(f"{ITEM_LABELS[key]} ≤ {MAX_SEARCH_RATIO:g}× the plain list", items.get(key), items.get(listing),
                  MAX_SEARCH_RATIO)
    for encrypted, plain, limit in ENCRYPTION_COMPARED:
        if limit is not None:
            ratio_row(f"{ITEM_LABELS[encrypted].split(' · ')[0]} with identity encrypted ≤ {limit:g}× in plain text "
                      f"(target at 1M)", items.get(encrypted), items.get(plain), limit)
        elif items.get(encrypted) and items.get(plain) and items[plain]["median_ms"]:
            ratio = items[encrypted]["median_ms"] / items[plain]["median_ms"]
            rows.append((f"{ITEM_LABELS[encrypted].split(' · ')[0]} with identity encrypted ÷ in plain text (no target)",
                         f"{ratio:.2f}× ({fmt(items[encrypted]['median_ms'])} / {fmt(items[plain]['median_ms'])} ms)",
                         verdict(None)))
    for key in ("dashboard", "summary_api"):
        if key in items:
            seconds = items[key]["p95_ms"] / 1000
            rows.append((f"{key} p95 < {MAX_REPORT_SECONDS:g} s (target at 1M)", f"{seconds:.3f} s",
                         verdict(seconds < MAX_REPORT_SECONDS and items[key]["errors"] == 0)))
    year = (result.get("export") or {}).get("export_year")
    if year:
        peak = year.get("peak_rss_mb")
        rows.append((f"year export peak RSS < {MAX_EXPORT_MB} MB",
                     f"{fmt(peak)} MB ({year['complaints']:,} cases, {fmt(year['median_s'], 1)} s)",
                     verdict(peak is not None and peak < MAX_EXPORT_MB and year["errors"] == 0)))
    remind = result.get("remind")
    if remind and remind.get("seconds") is not None:
        rows.append((f"`flask remind` ≤ {MAX_REMIND_SECONDS:g} s, start-up included (target at 1M)",
                     f"{remind['seconds']:.2f} s over {remind['open_cases']:,} open cases",
                     verdict(remind["seconds"] <= MAX_REMIND_SECONDS)))
    if smallest is not None and smallest is not result:
        for key in ("list_discipline", "list_branchhead", "todo_discipline", "todo_branchhead"):
            if key in items and key in smallest.get("items", {}):
                growth = items[key]["median_ms"] / smallest["items"][key]["median_ms"]
                rows.append((f"{key.split('_')[0].replace('todo', 'to-do')} median at {result['complaints']:,} ≤ "
                             f"{MAX_GROWTH}× at {smallest['complaints']:,} ({key.split('_')[1]})", f"{growth:.2f}×",
                             verdict(growth <= MAX_GROWTH)))
    for profile, load in loads(result):
        total = load.get("requests", {}).get("Aggregated", {})
        rows.append((f"load {profile}: zero errors", f"{total.get('failures', 0)} of {total.get('requests', 0)}",
                     verdict(total.get("failures", 1) == 0 and total.get("requests", 0) > 0)))
    return rows


def loads(result: dict):
    """(profile, load result) pairs, one app server then two; a failed load stage appears as
    profile "all"."""
    pairs = []
    for key, suffix in (("load", ""), ("load_two_servers", ", two app servers")):
        load = result.get(key) or {}
        if "error" in load and isinstance(load["error"], str):
            pairs.append((f"all{suffix}", load))
        else:
            pairs += [(f"{profile}{suffix}", value) for profile, value in load.items()]
    return pairs


def load_results(directory: Path):
    results = []
    for path in sorted(directory.glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            log(f"skipping unreadable {path}")
    order = {"sqlite": 0, "postgresql": 1}
    return sorted(results, key=lambda r: (order.get(r["db"], 9), r["complaints"]))


def write_report(directory: Path, report: Path) -> None:
    results = load_results(directory)
    if not results:
        return
    first = results[0]["machine"]
    out = ["# Performance benchmark (issues 9, 19 and 22)", "",
           "Generated by `bench/run.py` from `bench/results/*.json`; do not edit by hand "
           "(changes made to reach the targets: `bench/CHANGES.md`, included below when present).", "",
           "## Machine", "",
           f"- {first['nproc']} CPUs ({first['cpu']}), {first['ram_gib']} GiB RAM, Linux {first['kernel']}",
           f"- Python {first['python']}, SQLite {first['sqlite']}, {first['gunicorn']}"]
    versions = sorted({f"{r['db']} {r['db_version']}" for r in results})
    out.append(f"- Databases: {', '.join(versions)}")
    out += ["- PostgreSQL is the throwaway server of `scripts/pg-throwaway.sh` (tuned for tests: `fsync=off`, "
            "`synchronous_commit=off`, `shared_buffers=128MB`); SQLite is a file in WAL mode.",
            "- Client, gunicorn and database share the machine's cores.", "",
            "## Reproduce", "",
            "```sh",
            "make install catalogs",
            ".venv/bin/pip install -r requirements-bench.txt      # only for --load (locust)",
            ".venv/bin/python bench/run.py --db sqlite --sizes 10000,100000,1000000 --load",
            ".venv/bin/python bench/run.py --db postgresql --sizes 10000,100000,1000000 --load",
            "```", "",
            "## Method", "",
            "- Fresh database per run: `flask deploy` (with `BENCH_MODE=1`, which also grants Admin the bench-only "
            "stock view), `flask calendar import`, `flask seed-demo` (the demo logins); each size grows the data "
            "with `flask seed-bench --complaints <delta>`.",
            "- gunicorn with `gunicorn.conf.py`, 4 sync workers on 127.0.0.1, `PRODUCTION=1`, a random "
            "`SECRET_KEY`, `BENCH_MODE=1`; the login rate limit is raised because every client is 127.0.0.1.",
            "- Latency: sequential requests after a warm-up, one logged-in client; median and p95 (nearest rank). "
            "The pages whose medians are compared (the two list pages, the stock page, the two render floors, "
            "the two to-do pages and the phone, name and number searches) are measured in turns (one request "
            "of each per round, the order rotating), so that a slow spell of the shared machine weighs on all "
            "of them alike. "
            "req/s: the same request from several client threads at once. SQL: the `X-SQL-Statements` header "
            "(statements the request sent; median, and max when it differs).",
            "- Stock: Flask-AppBuilder's `ModelView` over `complaint` (plain `SQLAInterface`, no scope, same "
            "columns, page size and order) as Admin. Floor: the list page's count and first page as the page "
            "runs them (the kept total or the scope's count; a large scope's page walked in the list's order among each way's first cases), "
            "same columns via joins, same order, run with SQLAlchemy Core from the bench process "
            "(`bench/plugin/floor.py`). Render floor: `/benchfloor/list/`, a plain Flask view (bench mode only) "
            "that runs those two statements for the logged-in user and renders the same 25 rows, columns, masks "
            "and a layout of the same weight (CSS/JS, navbar with the user's menu, quick filters, search box, "
            "pager) with plain Jinja; our list page and the stock page are reported as multiples of it.",
            "- Export: `/reports/export` of the last full month and of the twelve months ending with it, as "
            "DisciplineOffice, against a single-worker gunicorn; peak RSS is the worker's `VmHWM` "
            "(reset before each kind of export).",
            "- `flask remind --no-mail`: wall time (the whole command, the application's start-up included) and "
            "peak RSS. Since session 8 on the scheduled jobs' application (`flask --app jobs`, `jobs.py`, as "
            "docs/deploy.md's timer runs it), before on `--app run`: each figure names its command.",
            "- Load (`--load`): locust's county and province profiles against the measured server, then the same "
            "profiles spread over two gunicorn instances (own ports, half the workers each, `APP_SERVERS=2`) "
            "over the one database and the one Redis; each simulated user is given one of the two in turn, "
            "the role's session and token, made on one, are used on both.",
            "- Targets: statements on the max; the growth, stock, render-floor, to-do and search ratios on the "
            "median; dashboard and summary on the p95; the targets marked \"at 1M\" are shown at every size "
            "but set for a million complaints.", ""]
    out += ["## Targets at a glance", "", "| database | complaints | PASS | FAIL | failed targets |", "|---|---:|---:|---:|---|"]
    for kind in ("sqlite", "postgresql"):
        rows = [r for r in results if r["db"] == kind]
        for result in rows:
            verdicts = targets(result, rows[0])
            failed = [row[0] for row in verdicts if row[2] == "FAIL"]
            out.append(f"| {kind} | {result['complaints']:,} | {sum(1 for row in verdicts if row[2] == 'PASS')} | "
                       f"{len(failed)} | {'; '.join(failed) or '—'} |")
    out.append("")
    for kind in ("sqlite", "postgresql"):
        rows = [r for r in results if r["db"] == kind]
        if not rows:
            continue
        smallest = rows[0]
        out += [f"## {kind}", ""]
        for result in rows:
            out += [f"### {result['complaints']:,} complaints ({kind} {result['db_version']}, "
                    f"{result['started']})", ""]
            if result.get("load_average_at_start"):
                out += [f"Load average of the machine when this size started: "
                        f"{' / '.join(str(v) for v in result['load_average_at_start'])} (1 / 5 / 15 min).", ""]
            seed = result.get("seed")
            if seed:
                out += [f"Data grown by `seed-bench` in {seed['seconds']:.0f} s.", ""]
            out += ["| measured | median ms | p95 ms | req/s | SQL statements | errors |",
                    "|---|---:|---:|---:|---:|---:|"]
            for key, item in result.get("items", {}).items():
                label = ITEM_LABELS[key]
                if "count_median_ms" in item:
                    label += f" (count {fmt(item['count_median_ms'], 2)} ms + page {fmt(item['page_median_ms'], 2)} ms)"
                out.append(f"| {label} | {fmt(item['median_ms'])} | {fmt(item['p95_ms'])} | "
                           f"{fmt(item.get('requests_per_s'))} | {statements_cell(item, where=True)} | {item['errors']} |")
            multiples = floor_multiples(result)
            if multiples:
                out += ["", "Multiples of the render floor (medians, measured in turns):", ""]
                out += [f"- {what}: {measured}" for what, measured in multiples]
            plans = (result.get("size_info") or {}).get("search_plans")
            if plans:
                out += ["", "Query plans of the searches (count, then the first page of 25):", ""]
                for role, searches in plans.items():
                    for search, statements in searches.items():
                        steps = " · then · ".join("; ".join(lines) for lines in statements)
                        out.append(f"- {role}, {search}: `{steps}`")
            export = result.get("export") or {}
            if export.get("export_month") or export.get("export_year"):
                out += ["", "| export (single worker) | period | cases | median s | max s | size | SQL | peak RSS MB | errors |",
                        "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
                for key in ("export_month", "export_year"):
                    if key in export:
                        e = export[key]
                        out.append(f"| {key.replace('_', ' ')} | {e['start']} – {e['end']} | {e['complaints']:,} | "
                                   f"{fmt(e['median_s'], 2)} | {fmt(e['max_s'], 2)} | "
                                   f"{fmt(round((e['bytes'] or 0) / 1024))} KiB | {fmt(e['statements'])} | "
                                   f"{fmt(e['peak_rss_mb'])} | {e['errors']} |")
                out.append(f"\nWorker RSS before the exports: {fmt(export.get('worker_rss_before_mb'))} MB.")
            if export.get("error"):
                out += ["", f"Excel export: not measured ({export['error']})."]
            remind = result.get("remind")
            if remind and remind.get("error"):
                out += ["", f"`flask remind`: not measured ({remind['error']})."]
            elif remind:
                counts = ", ".join(f"{k}={v}" for k, v in remind["counts"].items())
                command = remind_command(remind)
                out += ["", f"`{command}` over {remind['open_cases']:,} open cases: "
                            f"{remind['seconds']:.2f} s (of which about {remind.get('startup_seconds', 0):.1f} s is "
                            f"the application's start-up, `{command.replace('remind --no-mail', 'routes')}`), peak RSS "
                            f"{fmt(remind['peak_rss_mb'])} MB ({counts})."]
            for profile, load in loads(result):
                if "error" in load:
                    out += ["", f"Load, {profile}: not measured ({load['error']})."]
                    continue
                servers = (f"; spread over {load['servers']} gunicorn instances of {load['workers_per_server']} "
                           f"workers each (one database, one Redis)" if load.get("servers") else "")
                out += ["", f"Load, {profile}: {load['users']} users (spawn {load['spawn_rate']}/s), "
                            f"{load['duration']}; think time {_think_time(load)}{servers}.", "",
                        "| request | requests | failures | error rate | median ms | p95 ms | req/s |",
                        "|---|---:|---:|---:|---:|---:|---:|"]
                for name, row in load["requests"].items():
                    out.append(f"| {name} | {row['requests']:,} | {row['failures']} | "
                               f"{row['error_rate'] * 100:.2f} % | {fmt(row['median_ms'])} | {fmt(row['p95_ms'])} | "
                               f"{fmt(row['requests_per_s'])} |")
                if load.get("outcomes"):
                    out.append("\nOutcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(load["outcomes"].items())
                                                          if not isinstance(v, (dict, list))) + ".")
                    per_server = load["outcomes"].get("per_server")
                    if per_server:
                        out.append("Requests answered per server (port): " + ", ".join(
                            f"{port}: {count:,}" for port, count in sorted(per_server.items())) + ".")
                for failure in load.get("failures", [])[:10]:
                    out.append(f"- failure: {failure['request']}: {failure['error']} × {failure['occurrences']}")
            out += ["", "| target | measured | verdict |", "|---|---|---|"]
            for row in targets(result, smallest):
                out.append(f"| {row[0]} | {row[1]} | {row[2]} |")
            out.append("")
    if CHANGES_FILE.exists():
        out += ["## What was changed to reach the targets", "", CHANGES_FILE.read_text().strip(), ""]
    report.write_text("\n".join(out).rstrip() + "\n")
    report.chmod(0o644)
    log(f"wrote {report}")


def _think_time(load):
    outcomes = load.get("outcomes") or {}
    wait = outcomes.get("wait_seconds")
    if isinstance(wait, list) and len(wait) == 2:
        return f"{wait[0]}–{wait[1]} s per user between tasks"
    return "see bench/locustfile.py"


# --- main ------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or both comma-separated")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="complaint counts, ascending")
    parser.add_argument("--requests", type=int, default=30, help="sequential measured requests per item")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests before each item")
    parser.add_argument("--threads", type=int, default=4, help="client threads for requests/s")
    parser.add_argument("--throughput-requests", type=int, default=40, help="requests per item for requests/s")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the measured server")
    parser.add_argument("--case-sample", type=int, default=50, help="case pages: how many different ids")
    parser.add_argument("--export-runs", type=int, default=3, help="month exports (year: one fewer, at least 1)")
    parser.add_argument("--export-timeout", type=float, default=900.0, help="client timeout of one export (s)")
    parser.add_argument("--load", nargs="?", const="county,province", default="",
                        help="also run the locust scenario: county, province or both (default both)")
    parser.add_argument("--load-time", default="60s", help="duration of each load run (locust -t)")
    parser.add_argument("--load-wait", default="5,30", help="think time between a user's tasks, min,max seconds")
    parser.add_argument("--only", default="", help="measure only these items (comma-separated keys; "
                                                   "'export', 'remind' for those)")
    parser.add_argument("--seed", type=int, default=9, help="random seed of the id samples")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="directory of the JSON results")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="the Markdown report to regenerate")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    parser.add_argument("--report-only", action="store_true", help="only regenerate the report from the results")
    args = parser.parse_args(argv)
    args.dbs = [kind.strip() for kind in args.db.split(",") if kind.strip()]
    unknown = set(args.dbs) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database: {', '.join(sorted(unknown))}")
    args.sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip())
    args.load = [profile.strip() for profile in args.load.split(",") if profile.strip()]
    if set(args.load) - set(LOAD_PROFILES):
        parser.error(f"--load: choose from {', '.join(LOAD_PROFILES)}")
    low, high = (float(value) for value in args.load_wait.split(","))
    args.load_wait = (low, high)
    args.only = {key.strip() for key in args.only.split(",") if key.strip()}
    args.results = args.results.resolve()
    args.report = args.report.resolve()
    return args


def run_postgres_child(argv, args) -> int:
    """Run this script for PostgreSQL under scripts/pg-throwaway.sh (a server of its own)."""
    child = [str(PG_THROWAWAY), sys.executable, str(Path(__file__).resolve()), *argv, "--db", "postgresql",
             "--results", str(args.results), "--report", str(args.report)]
    if args.workdir is not None:
        child += ["--workdir", str(args.workdir.resolve())]
    env = {**os.environ, "BENCH_PG_CHILD": "1", "PYTHON": sys.executable}
    process = subprocess.Popen(child, cwd=ROOT, env=env, start_new_session=True)
    PROCESSES.add(process)
    try:
        return process.wait()
    finally:
        # The throwaway script stops its server on SIGTERM; give it time to do so.
        PROCESSES.stop(process, grace=60.0)


def run_under_redis(argv) -> int:
    """Run this script under scripts/redis-throwaway.sh: the measured servers share its Redis as
    their rate-limit store, as production with several workers must (issue 22)."""
    env = {**os.environ, "PYTHON": sys.executable}
    process = subprocess.Popen([str(REDIS_THROWAWAY), sys.executable, str(Path(__file__).resolve()), *argv],
                               cwd=ROOT, env=env, start_new_session=True)
    PROCESSES.add(process)
    try:
        return process.wait()
    finally:
        PROCESSES.stop(process, grace=30.0)


def strip_db_argument(argv):
    out, skip = [], False
    for value in argv:
        if skip:
            skip = False
            continue
        if value == "--db":
            skip = True
            continue
        if value.startswith("--db="):
            continue
        out.append(value)
    return out


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    args.results.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        write_report(args.results, args.report)
        return 0
    if not os.environ.get("TEST_REDIS_URL"):
        return run_under_redis(argv)
    status = 0
    try:
        for kind in args.dbs:
            if kind == "postgresql" and os.environ.get("BENCH_PG_CHILD") != "1":
                status = run_postgres_child(strip_db_argument(argv), args) or status
                continue
            if kind == "postgresql":
                url = os.environ.get("TEST_DATABASE_URL")
                if not url:
                    raise RuntimeError("TEST_DATABASE_URL is not set (run through scripts/pg-throwaway.sh)")
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-", dir=args.workdir))
            try:
                if kind == "sqlite":
                    url = f"sqlite:///{workdir / 'bench.db'}"
                for old in args.results.glob(f"{kind}-*.json"):
                    old.unlink()
                bench_database(kind, url, args, workdir)
            finally:
                PROCESSES.stop_all()
                if args.keep:
                    log(f"kept {workdir}")
                else:
                    shutil.rmtree(workdir, ignore_errors=True)
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    finally:
        PROCESSES.stop_all()
    write_report(args.results, args.report)
    return status


if __name__ == "__main__":
    sys.exit(main())
