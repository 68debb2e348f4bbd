# The README's commands. A fresh machine needs nothing but python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install check-example lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The main job on the bundled example: check it, then synth and deploy it to a local endpoint.
demo: $(STAMP)
	-$(PY) -m sst_lsp check examples/notes-app
	$(PY) -m sst_lsp deploy examples/notes-app --stage dev --local --yes

# Every test (slow ones included: real CDK synth, moto server deploys, Neovim).
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check sst_lsp tests benchmarks
	$(PY) -m mypy sst_lsp

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
