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
        AUTH_RATE_LIMIT=f"{LIMIT} per 1 minute", APP_SERVERS="2",
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
        answers, barrier = [], threading.Barrier(20)

        def accept(n):
            barrier.wait()
            response = requests.post(
                f"{bases[n % 2]}/api/v1/complaint/{case_id}/transitions/accept", timeout=60,
                headers={"Authorization": f"Bearer {tokens[n % 2]}"}, json={"level": "branch"})
            answers.append((response.status_code, response.text[:200]) if response.status_code not in (200, 409) else response.status_code)

        threads = [threading.Thread(target=accept, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert sorted(answers) == [200] + [409] * 19, answers
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT status FROM complaint WHERE id = :id"), {"id": case_id}).scalar_one() == "processing"
            assert connection.execute(text(
                "SELECT count(*) FROM complaint_event WHERE complaint_id = :id AND name = 'accept'"),
                {"id": case_id}).scalar_one() == 1
    finally:
        engine.dispose()

    # A brute force from one address, spread over both servers and their four workers, is limited
    # as one: LIMIT attempts get an answer, every further one 429 (different user names each time,
    # so the per-account lockout plays no part). Another address is not held back.
    attacker = requests.Session()
    statuses = [_web_login(attacker, bases[n % 2], f"guess{n}", "Wrong#Pass123", "10.66.0.1").status_code
                for n in range(3 * LIMIT)]
    assert statuses[:LIMIT] == [302] * LIMIT, statuses
    assert statuses[LIMIT:] == [429] * (2 * LIMIT), statuses
    assert _web_login(requests.Session(), second.base, "demo_counter", DEMO_PASSWORD, "10.1.0.3").status_code == 302
