# Two commands for a fresh machine (README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER_STAMP := node_modules/.installed

.PHONY: demo test install clean

# system libraries first (Pango and fonts for the PDF report, poppler-utils for its tests):
# the script skips what is installed and says what to run when it is not root
$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# the browser tests' Chromium (Debian) and axe-core (npm); only the tests need them
$(BROWSER_STAMP): package.json package-lock.json scripts/browser-deps.sh
	bash scripts/browser-deps.sh
	touch $(BROWSER_STAMP)

demo: $(STAMP)
	$(BIN)/wardwatch demo --out build/demo

test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build spark-warehouse node_modules
