# Two set-up commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock

.PHONY: demo cluster-demo test lint audit browser bench eval lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock file pins every dependency CI installs; the project itself goes in without deps.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python -m jikimi.demo

# One pass over the sandbox across two Scrapyd nodes on loopback; needs the local PostgreSQL (docs/cluster.md).
cluster-demo: $(VENV)/.installed
	$(BIN)/python -m jikimi.cluster_demo

# The web console joins the gates once it exists.
PACKAGES := jikimi storage crawler scheduler matching sandbox takedown $(wildcard web)

# Offline once installed: the audit that asks the package index is `make audit`.
test: browser $(VENV)/.installed lint
	$(BIN)/python -m pytest -q -n 2
	$(BIN)/python -m matching.evaluate tests/data/matching-dev.jsonl
	# Supply-chain gate: no medium-or-higher bandit finding without a justified `# nosec`.
	$(BIN)/bandit -q -r $(PACKAGES) --severity-level medium

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(PACKAGES) tests

# No known vulnerability in the locked dependencies (needs the package index).
audit: $(VENV)/.installed
	$(BIN)/python -m jikimi.supply_chain

# The browser tests drive Debian's chromium: install it where we can (root with apt-get), else stop at once.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs the Debian package chromium (apt-get install chromium as root)" >&2; exit 1; \
	  fi; }

eval: $(VENV)/.installed
	$(BIN)/python -m matching.evaluate tests/data/matching-dev.jsonl

bench: $(VENV)/.installed
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --no-emit-index-url --generate-hashes --allow-unsafe --extra test --strip-extras -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info
