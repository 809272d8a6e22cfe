# Two commands on a fresh machine with python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= $(or $(POP_DB),data/pop.duckdb)
PORT ?= 8501

.PHONY: run test bench demo template backup clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The demo data is loaded only into a new database file: a postgresql:// address is a network's own
# database, created and filled by copy-db or by its partners' imports, never by the demo.
DEMO_DB := $(if $(findstring ://,$(DB)),,$(DB))

$(DEMO_DB): | $(VENV)/.installed
	$(PY) -m pop_analytics demo --db $(DB)

# A postgresql:// address can hold a password: it is never printed (the backup line reads $$POP_DB).
SHOWN_DB := $(if $(DEMO_DB),$(DB),\"\$$POP_DB\")

run: $(VENV)/.installed $(DEMO_DB)
	@echo "Nightly backup (crontab -e): 15 2 * * * cd $(CURDIR) && mkdir -p backups && $(PY) -m pop_analytics --db $(SHOWN_DB) backup backups/pop-\$$(date +\\%F).duckdb"
	@echo "E-mail notifications (crontab -e, with POP_SMTP_URL and POP_BASE_URL set; see README › Calendar and messages): */5 * * * * cd $(CURDIR) && $(PY) -m pop_analytics --db $(SHOWN_DB) notify"
	@echo "Serving $(if $(DEMO_DB),$(DB),the PostgreSQL database POP_DB names) on http://localhost:$(PORT)"
	@POP_DB=$(DB) $(VENV)/bin/streamlit run serve.py --server.port $(PORT) --server.address localhost \
		--server.headless true --browser.gatherUsageStats false

# Two test workers, a test file to each at a time (its module fixtures and servers stay with it; one
# Chromium per worker serves every file, tests/browser_support.py), the longest files handed out first
# (tests/conftest.py LONGEST_FIRST; xdist's own reorder puts files with many quick tests first and left
# one worker alone on the browser files at the end). The suite is bound by the two cores: four
# workers took as long as two.
test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy pop_analytics
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

bench: $(VENV)/.installed
	$(PY) -m benchmarks

demo: $(VENV)/.installed
	$(PY) -m pop_analytics demo --db $(DB)

backup: $(VENV)/.installed
	mkdir -p backups
	$(PY) -m pop_analytics --db $(DB) backup backups/pop-$$(date +%F-%H%M%S).duckdb

template: $(VENV)/.installed
	$(PY) -m pop_analytics template data/POP_template.xlsx

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache
