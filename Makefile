# The README's two commands: `make demo` (the main job) and `make test` (the test suite).
# Both create or reuse .venv; torch==2.13.0 is installed before anything that depends on torch
# (an unpinned torch would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo data test lint docs install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[all,test,docs]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@$(VENV)/bin/routellm data where >/dev/null || { echo "make demo needs the public data and found none: run 'make data' (routellm data fetch && routellm data build; docs/data.md)"; exit 2; }
	$(VENV)/bin/routellm demo

# Without ../shared/data: download the public data and build the extracts into the user cache.
data: $(STAMP)
	$(VENV)/bin/routellm data fetch
	$(VENV)/bin/routellm data build

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core langchain_routellm llamaindex_routellm
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core langchain_routellm llamaindex_routellm

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build dist site *.egg-info
