# The two commands a newcomer types: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROTOCOL ?= protocols/rural-community-business.yaml
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench bench-dedup bench-harvest clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

run: install
	$(BIN)/slr run $(PROTOCOL)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks tools notebooks
	$(BIN)/ruff format --check src tests benchmarks tools notebooks

bench: bench-dedup bench-harvest

bench-dedup: install
	$(BIN)/python benchmarks/dedup.py

bench-harvest: install
	$(BIN)/python benchmarks/harvest.py

clean:
	rm -rf $(VENV) .pytest_cache outputs/*/
