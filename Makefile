# 客户投诉管理系统 — the few verbs a person types.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
FLASK  := $(VENV)/bin/flask --app run
BABEL  := $(VENV)/bin/pybabel
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-install install bytecode catalogs extract-messages deploy seed clean security-scan secret-key identity-keys

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -r requirements.txt
	touch $@

# The application's bytecode, written at install (deploy step 3) rather than by each process that
# starts: with the code read-only to the service or PYTHONDONTWRITEBYTECODE set, every `flask`
# command compiled what it imports again (the scheduled jobs' start-up 1.6–2.2 → 2.4–2.7 s).
install: $(VENV)/.installed
	@$(MAKE) --no-print-directory bytecode

bytecode:
	$(PY) -m compileall -q app config.py run.py jobs.py

catalogs: install
	$(BABEL) compile -d translations -f --statistics

# Test-only packages (Schemathesis, Hypothesis, the OpenAPI validator): make test and
# make test-postgres install them on top of requirements.txt; make run does not need them.
$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(PIP) install --disable-pip-version-check -q -r requirements-test.txt
	touch $@

test-install: $(VENV)/.test-installed

# Refresh the catalog after changing user-visible strings; then translate in translations/zh/.
extract-messages: install
	$(BABEL) extract -F translations/babel.cfg -k _l -k lazy_gettext -k gettext -k _ -k N_ --no-location -o translations/messages.pot .
	$(BABEL) update -i translations/messages.pot -d translations -l zh --no-fuzzy-matching

# The key that signs sessions and tokens: written once to instance/secret_key (mode 0600, or the
# file SECRET_KEY_FILE names; nothing when SECRET_KEY is set), never overwritten. Every target
# that starts the application depends on it; config.py reads the file.
secret-key:
	@$(PYTHON) scripts/secret_key.py

# The complainant identity keyring (issue 24): written once to instance/identity_keys (mode 0600,
# or the file IDENTITY_KEYS_FILE names; nothing when IDENTITY_KEYS is set), never overwritten.
# A development machine's first `make run` makes it; a production server is given its own
# keyring (docs/deploy.md) and refuses to start without one.
identity-keys:
	@$(PYTHON) scripts/identity_keys.py

deploy: catalogs secret-key
	$(FLASK) deploy

seed: identity-keys deploy
	$(FLASK) seed-demo

run: identity-keys seed
	$(FLASK) run --host $(HOST) --port $(PORT)

# pytest-xdist processes for make test and make test-postgres (the CI machine has 2 cores; a serial
# run takes about four times as long); 0 = serial.
TEST_WORKERS ?= 2
# worksteal: a worker that runs out of tests takes some of the other's (the few long sweeps otherwise
# leave one worker idle at the end).
XDIST = -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--dist worksteal)

# The suite runs under scripts/redis-throwaway.sh: a Redis of its own on a free loopback port
# (installed from Debian when missing, as root), the shared rate-limit store of the two-server
# tests (issue 22); stopped and removed afterwards.
test: catalogs test-install
	@start=$$(date +%s); rc=0; \
	PYTHON=$(PYTHON) scripts/redis-throwaway.sh $(VENV)/bin/pytest -p no:cacheprovider $(XDIST) --durations=20 || rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

clean:
	rm -rf $(VENV) instance .pytest_cache

# Static security checks: bandit must find nothing; pip-audit reports known vulnerabilities
# in the pinned requirements (it needs the PyPI/OSV vulnerability service; where that is not
# reachable it says so and the step does not fail).
SECTOOLS := .venv-sectools
$(SECTOOLS)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(SECTOOLS)
	$(SECTOOLS)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

security-scan: $(SECTOOLS)/.installed
	$(SECTOOLS)/bin/bandit -q -r app
	-timeout 300 $(SECTOOLS)/bin/pip-audit -r requirements.txt --progress-spinner off --strict || echo "pip-audit could not complete (vulnerability service unreachable?) — see output above"

# Browser end-to-end tests (tests/e2e): Playwright drives Debian's Chromium against a live server
# over a fresh demo database; Playwright never downloads a browser. As root, installs chromium and
# CJK fonts with apt-get when they are missing. Failure screenshots and the server log go to
# test-artifacts/e2e/. `make screenshots` runs the same tests and refreshes docs/screenshots/.
CHROMIUM ?= /usr/bin/chromium
E2E_SCREENSHOT_DIR ?=
export E2E_SCREENSHOT_DIR

$(VENV)/.e2e-installed: requirements-e2e.txt $(VENV)/.installed
	$(PIP) install --disable-pip-version-check -q -r requirements-e2e.txt
	touch $@

e2e-browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else \
	    echo "$(CHROMIUM) or a CJK font is missing: run apt-get install -y chromium fonts-noto-cjk as root" >&2; exit 1; \
	  fi; \
	fi

e2e: catalogs $(VENV)/.e2e-installed e2e-browser
	@start=$$(date +%s); rc=0; \
	$(VENV)/bin/pytest -p no:cacheprovider tests/e2e || rc=$$?; \
	echo "make e2e: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

screenshots:
	$(MAKE) e2e E2E_SCREENSHOT_DIR=docs/screenshots

.PHONY: e2e e2e-browser screenshots

# The suite on PostgreSQL: scripts/pg-throwaway.sh starts a throwaway server (initdb into
# a temporary directory, 127.0.0.1 on a free port, run as `postgres` when root), runs pytest with
# TEST_DATABASE_URL pointing at it (and a throwaway Redis, as for make test), then stops and removes the server. Installs the Debian
# postgresql package when the server binaries are missing (as root). TEST_WORKERS pytest-xdist
# processes share the machine's cores (each with its own template and databases); 0 = serial.
# PG_TESTS: what runs there — by default every test whose outcome can depend on the database: the
# services, the API, operations (migrations, backups, concurrency, two servers), the generated API
# requests, and the pages that build their own SQL (lists, search, scope plans, statement counts,
# to-do, reports, notifications, ledger, custom roles). Form rendering, templates and the pure unit
# tests run on SQLite only (make test). The whole suite: make test-postgres PG_TESTS=tests
PG_TESTS ?= tests/api tests/services tests/ops tests/fuzz/test_api_schemathesis.py \
	tests/fuzz/test_no_500_regressions.py tests/fuzz/test_openapi.py tests/fuzz/test_tool_findings.py \
	tests/test_cli_and_migrations.py tests/web/test_find.py tests/web/test_list_scope_plans.py \
	tests/web/test_statement_counts.py tests/web/test_todo_pages.py tests/web/test_no_leaks.py \
	tests/web/test_same_caller.py tests/web/test_regulatory_report.py tests/web/test_dashboard.py \
	tests/web/test_custom_roles.py tests/web/test_permission_matrix.py tests/web/test_ledger_pages.py \
	tests/web/test_notification_pages.py tests/web/test_duplicate_pages.py tests/web/test_rulings_list.py
test-postgres: catalogs test-install
	@start=$$(date +%s); rc=0; \
	PYTHON=$(PYTHON) scripts/pg-throwaway.sh scripts/redis-throwaway.sh $(VENV)/bin/pytest -p no:cacheprovider $(XDIST) --durations=20 $(PG_TESTS) || rc=$$?; \
	echo "make test-postgres: $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

.PHONY: test-postgres

# Issue 9 benchmark (bench/README.md): SQLite and PostgreSQL (throwaway server) at 10k, 100k and
# 1M complaints, with the locust load test (county 30, province 300 users). Writes
# bench/results/*.json and regenerates bench/RESULTS.md. Takes hours at 1M; a quick try:
#   make bench BENCH_SIZES=2000,20000 BENCH_LOAD=
BENCH_SIZES ?= 10000,100000,1000000
BENCH_DBS   ?= sqlite,postgresql
BENCH_LOAD  ?= --load

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PIP) install --disable-pip-version-check -q -r requirements-bench.txt
	touch $@

bench: catalogs $(VENV)/.bench-installed
	$(PY) bench/run.py --db $(BENCH_DBS) --sizes $(BENCH_SIZES) $(BENCH_LOAD)

.PHONY: bench
