"""Schemathesis against the application's own OpenAPI document (issue 17, item 14c).

For every role and for an anonymous caller, every operation of ``GET /api/v1/_openapi`` gets
generated requests — valid ones (which really register, edit and move complaints) and invalid
ones (wrong types, missing and unknown fields, out-of-range numbers) — in-process through the
WSGI app, on a database holding complaints in every state (``cases``: ids 1…8 resolve). The
run is bounded (``EXAMPLES`` per operation and generation mode) and derandomized (the same
requests every run). It fails on any 5xx or a stack trace or database name in a body, and
lists every such answer with the request that caused it.
"""
import copy
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from app.security import roles as r
from tests.conftest import PASSWORD, api_token, bearer
from tests.fuzz.conftest import problem, restore_user

# Examples per operation and generation mode; anonymous callers are refused before any input
# is read, so fewer suffice.
EXAMPLES = 4
ANONYMOUS_EXAMPLES = 2
ROLES = [*r.ROLE_NAMES, None]  # None: anonymous
ID_PARAMETERS = {"pk", "role_id"}


def fuzz_document(document):
    """The served document with its id parameters drawing from the ids that exist (1…8) as well
    as any integer, so generated requests reach real rows."""
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path" and parameter.get("name") in ID_PARAMETERS:
                    parameter["schema"] = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 8},
                                                     {"type": "integer"}]}
    return document


def _login(app, client, role, username):
    """A valid token for ``username``; when a generated request changed the user (password,
    roles, deactivation, logout), the user is put back first."""
    response = client.post("/api/v1/security/login", json={"username": username, "password": PASSWORD,
                                                            "provider": "db", "refresh": True})
    if response.status_code == 200:
        return bearer(response.get_json()["access_token"])
    restore_user(app, role, username, PASSWORD)
    return bearer(api_token(client, username))


@pytest.mark.parametrize("role", ROLES, ids=[name or "anonymous" for name in ROLES])
def test_no_generated_request_answers_500(answers_500, client, users, cases, role, tmp_path):
    app = answers_500
    app.config["UPLOAD_DIR"] = str(tmp_path / "attachments")  # a generated upload never lands in instance/
    admin = bearer(api_token(client, users[r.ADMIN].username))
    document = client.get("/api/v1/_openapi", headers=admin).get_json()
    schema = schemathesis.openapi.from_dict(fuzz_document(document))
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60  # the document lists the whole API

    failures = []
    statuses = Counter()
    examples = EXAMPLES if role else ANONYMOUS_EXAMPLES
    started = time.monotonic()
    for operation in operations:
        headers = _login(app, client, role, users[role].username) if role else {}
        strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                             operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @settings(max_examples=2 * examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            try:
                response = case.call(headers=headers)
                status, body = response.status_code, response.content
            except Exception as error:  # noqa: BLE001 -- the app raised: what a client sees as a 500
                status, body = 500, repr(error).encode()
            statuses[status] += 1
            why = problem(status, body)
            if why:
                failures.append(f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}: "
                                f"{why}: {body[:300]!r}")

        run()
    elapsed = time.monotonic() - started
    print(f"schemathesis {role or 'anonymous'}: {len(operations)} operations, {sum(statuses.values())} requests "
          f"in {elapsed:.1f} s; answers {dict(sorted(statuses.items()))}")
    assert not failures, f"{len(failures)} answers failed:\n" + "\n".join(failures[:40])
