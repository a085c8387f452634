# The two commands a newcomer types: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROTOCOL ?= protocols/rural-community-business.yaml
STAMP := $(VENV)/.installed

ASR_VENV ?= .venv-asreview

.PHONY: install run test lab lint bench bench-dedup bench-harvest bench-screening bench-coding bench-faults bench-screening-rules bench-scale clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build (any other version pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,embeddings,topics,lab,dask]"
	@$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.endswith('+cpu') else 'torch ' + v + ' is not the CPU build')"
	# the slr kernel, and .py notebooks opening as notebooks (settings inside the venv)
	$(BIN)/python tools/lab_settings.py
	@touch $@

run: install
	$(BIN)/slr run $(PROTOCOL)

test: install
	$(BIN)/python -m pytest -q

# JupyterLab on 127.0.0.1 for screening and coding in the panels (notebooks/02_screening.py,
# notebooks/03_coding.py); LAB_PORT=8888 by default; the name is typed in the panel or given
# as SLR_REVIEWER=<name>
LAB_PORT ?= 8888
lab: install
	SLR_PROJECT=$(CURDIR) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir=$(CURDIR) --ServerApp.default_url=/lab/tree/notebooks/02_screening.py \
		$(if $(filter 0,$(shell id -u)),--allow-root)

lint: install
	$(BIN)/ruff check src tests benchmarks tools notebooks
	$(BIN)/ruff format --check src tests benchmarks tools notebooks
	$(BIN)/lint-imports  # the layers: base ← tables ← ingest ← screen | coding ← report ← run ← cli

bench: bench-dedup bench-harvest bench-screening bench-screening-rules bench-coding bench-faults bench-scale

bench-dedup: install
	$(BIN)/python benchmarks/dedup.py

bench-harvest: install
	$(BIN)/python benchmarks/harvest.py

# ASReview LAB 3 needs pandas < 3: it gets its own environment, driven as a subprocess
$(ASR_VENV)/.installed:
	@test -x $(ASR_VENV)/bin/python || $(PYTHON) -m venv $(ASR_VENV)
	$(ASR_VENV)/bin/python -m pip install --quiet "asreview==3.0.8"
	@touch $@

bench-screening: install $(ASR_VENV)/.installed
	$(BIN)/python benchmarks/screening.py --asreview $(ASR_VENV)/bin/asreview

bench-coding: install
	$(BIN)/python benchmarks/coding.py

bench-faults: install
	$(BIN)/python benchmarks/faults.py

bench-screening-rules: install
	$(BIN)/python benchmarks/screening_rules.py

# every stage of `slr run` on generated corpora of 1k-100k records; SIZES to choose others
SIZES ?= 1000 10000 50000 100000
bench-scale: install
	$(BIN)/python benchmarks/scale.py --sizes $(SIZES)

clean:
	rm -rf $(VENV) $(ASR_VENV) .pytest_cache outputs/*/
