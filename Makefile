# goscope — every target sets up its own .venv, so a fresh clone needs only python3.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2

.PHONY: test demo bench screenshots lint clean real

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# goscope's runtime dependencies and its build backend as wheels: the install and action
	# tests put goscope into fresh venvs from here, offline (tests/test_install.py, test_action.py).
	$(PY) -m pip wheel -q --wheel-dir $(VENV)/wheelhouse . 'hatchling>=1.27' && rm -f $(VENV)/wheelhouse/goscope-*.whl
	touch $@

# ruff, mypy on goscope/, the layer contracts (pyproject.toml [tool.importlinter]), and no
# data file (a recording, a report, a HAR, a log) committed at the top level.
lint: $(VENV)/.installed
	@stray=$$(git ls-files -- '*.jsonl' '*.json' '*.har' '*.log' 2>/dev/null | grep -v /); \
	if [ -n "$$stray" ]; then echo "data files committed at the top level: $$stray"; exit 1; fi
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

test: lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

# The offline lab in the TUI: simulated proxies, checksum database and git host.
demo: $(VENV)/.installed
	$(VENV)/bin/goscope demo

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

# The real network (the proxy of `go env GOPROXY`): on purpose, not in `make test`.
# GOSCOPE_RECORD_REAL=1 make real also rewrites the offline fixtures in tests/fixtures/real/.
real: $(VENV)/.installed
	$(VENV)/bin/pytest -m real -q -p no:cacheprovider tests/test_real.py

screenshots: $(VENV)/.installed
	$(PY) -m goscope.tui.screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache build dist
