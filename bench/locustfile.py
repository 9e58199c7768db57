"""Load scenario (issue 9, item 5): a county's or a province's staff at work, on loopback.

Run by ``bench/run.py --load`` (which writes the JSON file named by ``BENCH_LOCUST_CONFIG``:
logins, case ids per scope, the counter's branch, the export month, think time), e.g.

    locust -f bench/locustfile.py --headless -u 30 -r 10 -t 60s --host http://127.0.0.1:8000 --csv out

The mix (weights per user class, then per task):

- discipline office (3): its to-do, complaint list, case pages, moving a case through accept →
  reply → close over the API, the Excel export of a month;
- branch head (4): its to-do, complaint list, case pages of its branch;
- counter staff (3): registering complaints over the API, its complaint list.

Two app servers (``hosts`` in the configuration, issue 22): each simulated user is given one of
them in turn, as a load balancer would spread people; the login of a role happens on one server
and its session and token are then used on both (one database, one Redis). The requests each
server answered are counted (``per_server`` in the outcomes).

Complaints that the counter staff register are the ones the discipline office accepts, replies
to and closes (then older registered cases from the database). Each transition sends the
``version`` the user last saw. A **409** — someone else changed the case first, or a concurrent
change lost the race — is a legitimate answer of the optimistic lock, not a failure: the user
reloads the case and retries once if the step is still open; otherwise it moves on. 409s are
counted separately (``outcomes`` in the results). Every other non-2xx answer is a failure.

Think time (``--load-wait``, default 5–30 s between a user's tasks): a person reads a list or a
case before the next click. Three hundred users then offer about 300 / 17.5 ≈ 17 requests/s, a
county's thirty about 2 requests/s.

Logins: the first user of each role in this process logs in through the real web form and the
real API login; other users of that role share the session and token. Three hundred people
do not all log in within the same minute, and the measured work is what they do once logged in
(password hashing is deliberately slow and would otherwise dominate the ramp-up).
"""
import collections
import itertools
import json
import os
import random
import re
from urllib.parse import urlsplit

from gevent.lock import Semaphore
from locust import HttpUser, between, events, task

CONFIG = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"]).read()) if os.environ.get("BENCH_LOCUST_CONFIG") else {
    "password": "Demo@12345",
    "logins": {"DisciplineOffice": "demo_discipline", "BranchHead": "demo_branchhead",
               "CounterStaff": "demo_counter"},
    "case_ids": [], "branch_case_ids": [], "registered_ids": [], "counter_branch_id": None,
    "export_start": None, "export_end": None, "wait_min": 5, "wait_max": 30,
}
WAIT = between(float(CONFIG.get("wait_min", 5)), float(CONFIG.get("wait_max", 30)))

# Complaints waiting for the discipline office: the ones registered during the run first.
REGISTERED = collections.deque(CONFIG.get("registered_ids") or [])
OUTCOMES = collections.Counter()
HOSTS = CONFIG.get("hosts") or []
PER_SERVER = collections.Counter()
_host_turn = itertools.count()

_credentials = {}
_credential_lock = Semaphore()


def _csrf_token(html):
    for tag in re.findall(r"<input[^>]*>", html):
        if 'name="csrf_token"' in tag:
            found = re.search(r'value="([^"]+)"', tag)
            if found:
                return found.group(1)
    return None


def credentials(user, role):
    """(session cookies, bearer token) of ``role``, logging in once per role and process."""
    with _credential_lock:
        if role in _credentials:
            return _credentials[role]
        username = CONFIG["logins"][role]
        password = CONFIG["password"]
        page = user.client.get("/login/", name="GET /login/ (login form)")
        token = _csrf_token(page.text)
        with user.client.post("/login/", data={"username": username, "password": password, "csrf_token": token},
                              allow_redirects=False, name="POST /login/ (web login)", catch_response=True) as answer:
            if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
                answer.failure(f"web login of {role} refused ({answer.status_code})")
        with user.client.post("/api/v1/security/login", name="POST /api/v1/security/login",
                              json={"username": username, "password": password, "provider": "db"},
                              catch_response=True) as answer:
            if answer.status_code == 200:
                bearer = answer.json()["access_token"]
            else:
                bearer = None
                answer.failure(f"API login of {role} refused ({answer.status_code})")
        _credentials[role] = (dict(user.client.cookies), bearer)
        return _credentials[role]


class StaffUser(HttpUser):
    abstract = True
    wait_time = WAIT
    role = None
    case_ids_key = "case_ids"

    def __init__(self, environment):
        super().__init__(environment)
        if HOSTS:  # two app servers: users spread over them in turn
            self.host = HOSTS[next(_host_turn) % len(HOSTS)]
            self.client.base_url = self.host

    def on_start(self):
        cookies, self.token = credentials(self, self.role)
        self.client.cookies.update(cookies)
        self.case_ids = CONFIG.get(self.case_ids_key) or []

    @property
    def api_headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def page(self, path, name):
        """A page that must answer 200 (a redirect means the session was lost)."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"status {answer.status_code}")

    def open_list(self):
        self.page("/complaints/list/", "GET /complaints/list/")

    def open_todo(self):
        self.page("/todo/", "GET /todo/")

    def open_case(self):
        if self.case_ids:
            self.page(f"/complaints/show/{random.choice(self.case_ids)}", "GET /complaints/show/<id>")


class DisciplineOfficeUser(StaffUser):
    weight = 3
    role = "DisciplineOffice"

    @task(3)
    def todo(self):
        self.open_todo()

    @task(5)
    def complaint_list(self):
        self.open_list()

    @task(4)
    def case_page(self):
        self.open_case()

    @task(3)
    def handle_a_case(self):
        """accept → reply → close one registered case, carrying the version."""
        if not REGISTERED:
            OUTCOMES["no case waiting"] += 1
            return
        case_id = REGISTERED.popleft()
        version = None
        for name, body in (("accept", {"level": "branch"}),
                           ("reply", {"method": "phone", "content": "已电话联系客户,说明情况并致歉。"}),
                           ("close", {})):
            version = self.transition(case_id, name, body, version)
            if version is None:
                return

    def transition(self, case_id, name, body, version, retry=True):
        """Apply one transition; the new version, or None when the case has moved on."""
        payload = dict(body, version=version) if version is not None else dict(body)
        with self.client.post(f"/api/v1/complaint/{case_id}/transitions/{name}", json=payload,
                              headers=self.api_headers, name=f"POST /api/v1/complaint/<id>/transitions/{name}",
                              catch_response=True) as answer:
            if answer.status_code == 200:
                OUTCOMES[f"{name} done"] += 1
                return answer.json()["result"]["version"]
            if answer.status_code != 409:
                answer.failure(f"status {answer.status_code}: {answer.text[:200]}")
                return None
            answer.success()  # the optimistic lock's legitimate answer
            OUTCOMES[f"{name} 409 conflict"] += 1
        if not retry:
            return None
        current = self.client.get(f"/api/v1/complaint/{case_id}", headers=self.api_headers,
                                  name="GET /api/v1/complaint/<id> (reload after 409)")
        if current.status_code != 200:
            return None
        allowed = self.client.get(f"/api/v1/complaint/{case_id}/transitions", headers=self.api_headers,
                                  name="GET /api/v1/complaint/<id>/transitions (after 409)")
        if allowed.status_code == 200 and name in {t["name"] for t in allowed.json()["result"]}:
            OUTCOMES[f"{name} retried"] += 1
            return self.transition(case_id, name, body, current.json()["result"]["version"], retry=False)
        OUTCOMES[f"{name} already done by someone else"] += 1
        return None

    @task(1)
    def export_month(self):
        if CONFIG.get("export_start"):
            self.page(f"/reports/export?start={CONFIG['export_start']}&end={CONFIG['export_end']}",
                      "GET /reports/export (one month)")


class BranchHeadUser(StaffUser):
    weight = 4
    role = "BranchHead"
    case_ids_key = "branch_case_ids"

    @task(3)
    def todo(self):
        self.open_todo()

    @task(5)
    def complaint_list(self):
        self.open_list()

    @task(4)
    def case_page(self):
        self.open_case()


class CounterStaffUser(StaffUser):
    weight = 3
    role = "CounterStaff"

    @task(3)
    def register(self):
        body = {
            "channel": random.choice(["phone", "hotline", "box", "book"]),
            "complainant_name": "压测客户",
            "complainant_phone": f"139{random.randint(0, 99999999):08d}",
            "branch_id": CONFIG["counter_branch_id"],
            "category": random.choice(["attitude", "efficiency", "fee", "error", "conduct", "other"]),
            "facts": "压力测试登记:客户反映办理业务等候时间过长。",
        }
        with self.client.post("/api/v1/complaint/", json=body, headers=self.api_headers,
                              name="POST /api/v1/complaint/ (register)", catch_response=True) as answer:
            if answer.status_code == 201:
                REGISTERED.appendleft(answer.json()["id"])
                OUTCOMES["registered"] += 1
            else:
                answer.failure(f"status {answer.status_code}: {answer.text[:200]}")

    @task(2)
    def complaint_list(self):
        self.open_list()


@events.request.add_listener
def _count_server(url=None, **kwargs):
    if HOSTS and url:
        PER_SERVER[str(urlsplit(url).port)] += 1


@events.quitting.add_listener
def _write_outcomes(environment, **kwargs):
    path = CONFIG.get("outcomes_path")
    if path:
        data = dict(OUTCOMES)
        data["wait_seconds"] = [CONFIG.get("wait_min", 5), CONFIG.get("wait_max", 30)]
        if HOSTS:
            data["per_server"] = dict(PER_SERVER)
        with open(path, "w") as handle:
            json.dump(data, handle, ensure_ascii=False, sort_keys=True)
