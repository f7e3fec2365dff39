# qunkpi — two commands for a newcomer: `make demo` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DATA ?= demo-data
DEMO_WS ?= demo-workspace
SCALE ?= small
AUDIT ?= audit  # `make test AUDIT=` leaves the dependency audit out (see the audit target)

.PHONY: demo test venv lint typecheck docs clean bench reliability screenshots browser-deps system-deps audit

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/qunkpi demo --out $(DEMO_DATA) --scale $(SCALE) --run --workspace $(DEMO_WS)

test: $(STAMP) system-deps $(AUDIT)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	QUNKPI_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# Known vulnerabilities in the installed packages, against the package index's JSON API; the accepted entries
# are the table in docs/reliability.md "Dependency audit" (the policy). Fails when the index cannot be read.
# `make test AUDIT=` skips it (offline work only; CI runs it).
audit: $(STAMP)
	$(BIN)/python -m qunkpi.reliability.audit --policy docs/reliability.md

# Debian packages the tests need: Chromium + CJK fonts (browser tests, PDF reports), Java 17 (Spark parity).
# Installed only when missing; CI runs as root on Debian.
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -d /usr/share/fonts/opentype/noto || missing="$$missing fonts-noto-cjk"; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

browser-deps: system-deps

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py

bench: $(STAMP)
	$(BIN)/qunkpi bench --scale $(SCALE)

# Issue 10 at full size: many more generated cases, 20 kill points per command, the load test (50 clients, 60 s)
# on the medium demo. Every step runs even when one fails; the figures land in $(REL_OUT)/ (docs/reliability.md).
REL_OUT ?= reliability-out
reliability: $(STAMP)
	@mkdir -p $(REL_OUT); rm -f $(REL_OUT)/cases-*.json; status=0; \
	QUNKPI_RELIABILITY=full QUNKPI_RELIABILITY_OUT=$(REL_OUT) $(BIN)/python -m pytest tests/reliability -n 2 --dist loadfile || status=1; \
	$(BIN)/python -m qunkpi.reliability.summary $(REL_OUT) || status=1; \
	test -f $(REL_OUT)/medium-ws/qunkpi.toml || $(BIN)/qunkpi demo --out $(REL_OUT)/medium-data --scale medium --run --workspace $(REL_OUT)/medium-ws || status=1; \
	$(BIN)/python scripts/loadtest.py $(REL_OUT)/medium-ws --clients 50 --seconds 60 --warmup 30 --json $(REL_OUT)/load.json || status=1; \
	exit $$status

clean:
	rm -rf $(DEMO_DATA) $(DEMO_WS) build dist .pytest_cache .mypy_cache .ruff_cache reliability-out

# docs/screenshots/*.png: dashboard pages and the first pages of the PDF report (needs pdftoppm: poppler-utils).
screenshots: $(STAMP) browser-deps
	@command -v pdftoppm >/dev/null || (apt-get update && apt-get install -y poppler-utils)
	$(BIN)/python scripts/screenshots.py
