# One-command set-up: every target creates .venv on first use and reinstalls only
# when pyproject.toml changes (the stamp file .venv/.installed records that).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HEADLESS := MPLBACKEND=Agg  # tests and benchmarks draw off-screen

.PHONY: lab test test-fast lint bench clean strip

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lab: $(STAMP)  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

test: $(STAMP)  ## unit tests, every notebook executed (nbval, lax), then driven in a browser
	$(HEADLESS) $(BIN)/python -m pytest -n 2 --dist loadscope tests --ignore=tests/browser
	$(HEADLESS) $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks
	$(HEADLESS) $(BIN)/python -m pytest -p no:cacheprovider -rs tests/browser

test-fast: $(STAMP)  ## unit tests only
	$(HEADLESS) $(BIN)/python -m pytest -n 2 --dist loadscope tests --ignore=tests/browser

lint: $(STAMP)  ## ruff on the package, tests, benchmarks and notebooks
	$(BIN)/ruff check lecture_utils tests benchmarks notebooks

bench: $(STAMP)  ## notebook run times, panel update and browser latencies, projector panel heights, engine vs numpy/PyTorch
	$(HEADLESS) $(BIN)/python benchmarks/run_all.py

.PHONY: html
html: $(STAMP)  ## execute the notebooks into static pages, build/html/index.html (no answers)
	$(HEADLESS) $(BIN)/python -m lecture_utils.static_html build/html notebooks/*.ipynb

strip: $(STAMP)  ## remove outputs from every notebook before committing
	$(BIN)/python -m lecture_utils.notebook_tools strip notebooks/*.ipynb

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
