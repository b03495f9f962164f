# Two set-up commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock

.PHONY: demo test bench eval lock clean

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

PACKAGES := jikimi storage crawler scheduler matching sandbox takedown

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q
	$(BIN)/python -m matching.evaluate tests/data/matching-dev.jsonl
	# Supply-chain gates: no medium-or-higher bandit finding without a justified `# nosec`, and no known
	# vulnerability in the locked dependencies.
	$(BIN)/bandit -q -r $(PACKAGES) --severity-level medium
	$(BIN)/python -m jikimi.supply_chain

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
