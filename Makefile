# qunkpi — two commands for a newcomer: `make demo` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DATA ?= demo-data
DEMO_WS ?= demo-workspace
SCALE ?= small

.PHONY: demo test venv lint typecheck docs clean bench reliability screenshots browser-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/qunkpi demo --out $(DEMO_DATA) --scale $(SCALE) --run --workspace $(DEMO_WS)

test: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py

bench: $(STAMP)
	$(BIN)/qunkpi bench --scale $(SCALE)

clean:
	rm -rf $(DEMO_DATA) $(DEMO_WS) build dist .pytest_cache .mypy_cache .ruff_cache
