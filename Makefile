# Two commands on a fresh machine with python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= $(or $(POP_DB),data/pop.duckdb)
PORT ?= 8501

.PHONY: run test bench demo template clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DB): | $(VENV)/.installed
	$(PY) -m pop_analytics demo --db $(DB)

run: $(VENV)/.installed $(DB)
	POP_DB=$(DB) $(VENV)/bin/streamlit run dashboard.py --server.port $(PORT) --server.address localhost \
		--server.headless true --browser.gatherUsageStats false

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy pop_analytics
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m benchmarks

demo: $(VENV)/.installed
	$(PY) -m pop_analytics demo --db $(DB)

template: $(VENV)/.installed
	$(PY) -m pop_analytics template data/POP_template.xlsx

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache
