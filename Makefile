# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,viz,osm,study]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dronesim run demo

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

# Formatting and lint (private access, returns, simplifications) are part of the test.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/dronesim bench raster

clean:
	rm -rf $(VENV) build *.egg-info
