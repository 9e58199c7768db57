# 客户投诉管理系统 — the few verbs a person types.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
FLASK  := $(VENV)/bin/flask --app run
BABEL  := $(VENV)/bin/pybabel
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install catalogs extract-messages deploy seed clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(VENV)/.installed

catalogs: install
	$(BABEL) compile -d translations -f --statistics

# Refresh the catalog after changing user-visible strings; then translate in translations/zh/.
extract-messages: install
	$(BABEL) extract -F translations/babel.cfg -k _l -k lazy_gettext -k gettext -k _ -k N_ --no-location -o translations/messages.pot .
	$(BABEL) update -i translations/messages.pot -d translations -l zh --no-fuzzy-matching

deploy: catalogs
	$(FLASK) deploy && $(FLASK) calendar import

seed: deploy
	$(FLASK) seed-demo

run: seed
	$(FLASK) run --host $(HOST) --port $(PORT)

test: catalogs
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache
