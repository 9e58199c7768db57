"""Issue 22: two app servers behind a load balancer, one database, one Redis.

Two gunicorn instances (``gunicorn.conf.py``, two workers each, their own ports) serve one
deployed database with the demo data and share the throwaway Redis of
``scripts/redis-throwaway.sh`` (``TEST_REDIS_URL``) as the login rate limit's store; one test
client plays the load balancer, sending each request to either server. Shown:

- a brute force spread over both servers (and their four workers) is limited as one;
- a logout on one server ends the session and the API token on the other (session epochs are in
  the database, not in a process);
- 20 parallel ``accept`` transitions of one case, split over both servers, succeed exactly once
  (the others answer 409), and the timeline records one acceptance;
- 20 parallel registrations split over both servers get 20 different case numbers of the day,
  consecutive (the per-day counter is a database row);
- the kept report months (``reports/monthly.py``), written by both servers at once, equal a
  recount from the cases afterwards;
- the per-account lockout counts failures on either server: locked on one, locked on both;
- without a shared store, production refuses to start with more than one worker.

``make test`` and ``make test-postgres`` run under ``scripts/redis-throwaway.sh``; run by hand
without it, the Redis tests are skipped (and fail under CI, which must never skip them).
"""
import os
import re
import secrets
import threading

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.servers import Gunicorn, flask, production_env

REDIS_URL = os.environ.get("TEST_REDIS_URL")
if not REDIS_URL and os.environ.get("CI"):
    raise RuntimeError("TEST_REDIS_URL is not set: CI runs the suite under scripts/redis-throwaway.sh")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="no Redis: run under scripts/redis-throwaway.sh")

DEMO_PASSWORD = "Demo@12345"  # the demo logins of `flask seed-demo` (README), not a secret
LIMIT = 5
LOCKOUT = 3  # failures of one account from one address before it is locked (below LIMIT)


def _csrf(session, base):
    page = session.get(base + "/login/", timeout=10).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _web_login(session, base, username, password, address):
    token = _csrf(session, base)
    return session.post(base + "/login/", data={"username": username, "password": password, "csrf_token": token},
                        headers={"X-Forwarded-For": address}, allow_redirects=False, timeout=10)


def _api_token(base, username, address):
    response = requests.post(base + "/api/v1/security/login", timeout=10, headers={"X-Forwarded-For": address},
                             json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def servers(empty_database, tmp_path):
    env = production_env(
        empty_database, tmp_path,
        RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=f"two-servers-{secrets.token_hex(4)}",
        AUTH_RATE_LIMIT=f"{LIMIT} per 1 minute", APP_SERVERS="2", LOGIN_LOCKOUT_MAX_FAILURES=str(LOCKOUT),
        TRUSTED_PROXY_COUNT="1",  # the test client is the load balancer: X-Forwarded-For is the client
    )
    for step in (("deploy",), ("seed-demo",)):
        done = flask(env, *step)
        assert done.returncode == 0, done.stderr[-3000:]
    first = Gunicorn(env, tmp_path / "first.log", workers=2)
    second = Gunicorn(env, tmp_path / "second.log", workers=2)
    try:
        first.start()
        second.start()
        yield first, second, empty_database
    finally:
        first.stop()
        second.stop()
    for server in (first, second):
        for problem in ("Traceback", "Worker failed to boot", "Exception in worker", "WORKER TIMEOUT"):
            assert problem not in server.log(), server.log()[-3000:]


def _at_once(count, call):
    """``call(n)`` for n in 0…count−1, each in its own thread, released together; their answers."""
    answers, barrier = [], threading.Barrier(count)

    def run(n):
        barrier.wait()
        answers.append(call(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return answers


def _kept_months(connection):
    """The kept report rows (month, branch, figures), in a stable order."""
    rows = connection.execute(text("SELECT * FROM complaint_month")).mappings().all()
    columns = sorted(key for key in (rows[0].keys() if rows else []) if key not in ("id", "updated_at"))
    return sorted(tuple(str(row[key]) for key in columns) for row in rows)


@needs_redis
@pytest.mark.slow
def test_two_servers_share_limits_sessions_and_the_database(servers):
    first, second, database_url = servers
    bases = [first.base, second.base]

    # A logout on one server ends the web session and the API token on the other.
    browser = requests.Session()
    assert _web_login(browser, first.base, "demo_discipline", DEMO_PASSWORD, "10.1.0.1").status_code == 302
    assert browser.get(second.base + "/users/userinfo/", allow_redirects=False, timeout=10).status_code == 200
    token = _api_token(second.base, "demo_discipline", "10.1.0.1")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(first.base + "/api/v1/complaint/", headers=bearer, timeout=10).status_code == 200
    page = browser.get(first.base + "/logout/", timeout=10).text
    logout_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert browser.post(first.base + "/logout/", data={"csrf_token": logout_token}, allow_redirects=False,
                        timeout=10).status_code == 302
    after = browser.get(second.base + "/users/userinfo/", allow_redirects=False, timeout=10)
    assert after.status_code == 302 and "/login/" in after.headers["Location"]
    assert requests.get(second.base + "/api/v1/complaint/", headers=bearer, timeout=10).status_code == 401

    # 20 parallel acceptances of one registered case, split over both servers: exactly one wins.
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            case_id = connection.execute(text(
                "SELECT id FROM complaint WHERE status = 'registered' ORDER BY id LIMIT 1")).scalar_one()
        tokens = [_api_token(base, "demo_discipline", "10.1.0.2") for base in bases]

        def accept(n):
            response = requests.post(
                f"{bases[n % 2]}/api/v1/complaint/{case_id}/transitions/accept", timeout=60,
                headers={"Authorization": f"Bearer {tokens[n % 2]}"}, json={"level": "branch"})
            return (response.status_code, response.text[:200]) if response.status_code not in (200, 409) else response.status_code

        answers = _at_once(20, accept)
        assert sorted(answers) == [200] + [409] * 19, answers
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT status FROM complaint WHERE id = :id"), {"id": case_id}).scalar_one() == "processing"
            assert connection.execute(text(
                "SELECT count(*) FROM complaint_event WHERE complaint_id = :id AND name = 'accept'"),
                {"id": case_id}).scalar_one() == 1

        # Parallel registrations over both servers: distinct, consecutive numbers of the day; and the
        # report months both servers kept meanwhile equal a recount from the cases.
        with engine.connect() as connection:
            branch_id = connection.execute(text(
                "SELECT staff.unit_id FROM staff JOIN ab_user ON ab_user.id = staff.user_id "
                "WHERE ab_user.username = 'demo_counter'")).scalar_one()
        counter_tokens = [_api_token(base, "demo_counter", "10.1.0.4") for base in bases]

        def register(n):
            response = requests.post(
                f"{bases[n % 2]}/api/v1/complaint/", timeout=60,
                headers={"Authorization": f"Bearer {counter_tokens[n % 2]}"},
                json={"channel": "phone", "complainant_name": "并发客户", "complainant_phone": f"1391234{n:04d}",
                      "branch_id": branch_id, "category": "attitude", "facts": "两台服务器同时登记。"})
            return (response.json()["result"]["number"] if response.status_code == 201
                    else (response.status_code, response.text[:200]))

        numbers = _at_once(20, register)
        assert len(numbers) == 20 and all(isinstance(number, str) for number in numbers), numbers
        days = {number.split("-")[0] for number in numbers}
        assert len(days) == 1, numbers
        sequence = sorted(int(number.split("-")[1]) for number in numbers)
        assert sequence == list(range(sequence[0], sequence[0] + 20)), sequence
        with engine.connect() as connection:
            last = connection.execute(text("SELECT last FROM number_counter WHERE day = :day"),
                                      {"day": days.pop()[2:]}).scalar_one()
            assert last == sequence[-1]
            kept_by_servers = _kept_months(connection)
        done = flask(first.env, "report", "rebuild-months")
        assert done.returncode == 0, done.stderr[-3000:]
        with engine.connect() as connection:
            assert _kept_months(connection) == kept_by_servers
    finally:
        engine.dispose()

    # The per-account lockout: failures on either server count together; locked on both.
    for n in range(LOCKOUT):  # the failure that reaches the limit is answered with the lock
        wrong = requests.post(bases[n % 2] + "/api/v1/security/login", timeout=10, headers={"X-Forwarded-For": "10.7.0.1"},
                              json={"username": "demo_branchhead", "password": "Wrong#Pass123", "provider": "db"})
        assert wrong.status_code == (401 if n < LOCKOUT - 1 else 429), (n, wrong.text)
    for base in bases:
        locked = requests.post(base + "/api/v1/security/login", timeout=10, headers={"X-Forwarded-For": "10.7.0.1"},
                               json={"username": "demo_branchhead", "password": DEMO_PASSWORD, "provider": "db"})
        assert locked.status_code == 429, locked.text

    # A brute force from one address, spread over both servers and their four workers, is limited
    # as one: LIMIT attempts get an answer, every further one 429 (different user names each time,
    # so the per-account lockout plays no part). Another address is not held back.
    attacker = requests.Session()
    statuses = [_web_login(attacker, bases[n % 2], f"guess{n}", "Wrong#Pass123", "10.66.0.1").status_code
                for n in range(3 * LIMIT)]
    assert statuses[:LIMIT] == [302] * LIMIT, statuses
    assert statuses[LIMIT:] == [429] * (2 * LIMIT), statuses
    assert _web_login(requests.Session(), second.base, "demo_counter", DEMO_PASSWORD, "10.1.0.3").status_code == 302
