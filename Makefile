# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: examples dist typecheck docs docs-serve demo test test-fast test-latest lock lint bench bench-instances \
	gallery instances clean venv app chromium notebook notebooks-run

# Installs come from the lock file (exact versions and hashes of every package), so a release
# upstream cannot break a fresh machine. `make lock` regenerates it from pyproject.toml's ranges;
# `make test-latest` runs the suite on the newest releases those ranges allow.
LOCK       := requirements.lock
PIP_PIN    := pip==26.3
UV_PIN     := uv==0.13.9
VENV_LATEST := .venv-latest

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(PIP_PIN)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV_PIN)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra docs --universal --python-version 3.11 --generate-hashes \
		--quiet -o $(LOCK)

# A separate environment from pyproject.toml's ranges alone: the newest versions available
test-latest:
	rm -rf $(VENV_LATEST)
	$(PYTHON) -m venv $(VENV_LATEST)
	$(VENV_LATEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV_LATEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade -e ".[dev,docs]"
	$(VENV_LATEST)/bin/python -m pip freeze --exclude-editable > $(VENV_LATEST)/versions.txt
	$(VENV_LATEST)/bin/python -m pytest -p no:cacheprovider

# The sdist and the wheel in dist/ (with the shipped examples: `make examples` first if they
# changed); tests/test_wheel.py installs such a wheel into a fresh environment and uses it
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

demo: $(STAMP)
	$(BIN)/allocator solve instances/england-regions-2025.json --out out/demo --report

test: $(STAMP)
	$(BIN)/python -m pytest

# everything but the tests marked slow (notebooks, Dask sweeps, time-limited MIPs, subprocesses)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The web app on http://127.0.0.1 (a free port; `allocator app --help` for --port and --host)
app: $(STAMP)
	$(BIN)/allocator app

# The notebooks in Jupyter (from the venv; the dev extra installs it), started in notebooks/.
# JUPYTER_FLAGS passes options: `make notebook JUPYTER_FLAGS="--no-browser --allow-root"` in a container.
JUPYTER_FLAGS ?=
notebook: $(STAMP)
	$(BIN)/jupyter notebook --notebook-dir=notebooks $(JUPYTER_FLAGS)

# Execute the notebooks again and store their outputs in them (they are committed executed;
# tests/test_notebooks.py fails while the stored outputs differ from what the code prints now)
notebooks-run: $(STAMP)
	$(BIN)/python -m tests.notebook_run

# Debian's Chromium for the app's browser test (Playwright drives it; it downloads no browser).
# Idempotent: nothing happens where /usr/bin/chromium exists. Needs root (CI runs as root).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for tests/test_app_browser.py"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check allocator tests benchmarks instances docs/build_site.py
	$(BIN)/ruff format --check allocator tests benchmarks instances docs/build_site.py

# The type checker on the public modules (the files listed in pyproject.toml's [tool.mypy])
typecheck: $(STAMP)
	$(BIN)/mypy

# The documentation site in build/site/ (mkdocs, strict: a broken link, a public name without
# a docstring or a stale docs/api/ page fails); `make docs-serve` serves it on 127.0.0.1:8000
docs: $(STAMP)
	$(BIN)/python docs/build_site.py --check
	$(BIN)/mkdocs build --strict

docs-serve: $(STAMP)
	$(BIN)/python docs/build_site.py
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# Writes benchmarks/results.md and results.json, then lists every figure that moved by more
# than 20 % against the committed results.json (benchmarks/compare.py; a regression is reported,
# not a failure of make). `make bench BENCH_FLAGS=--memory` adds the peak memory of each run.
BENCH_FLAGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_FLAGS)
	@$(BIN)/python benchmarks/compare.py; status=$$?; \
	if [ $$status -eq 1 ]; then echo "make bench: a figure above got worse by more than 20 % (see the table)"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

# The benchmark set (large: generated on demand, not committed)
bench-instances: $(STAMP)
	mkdir -p instances/benchmarks
	$(BIN)/allocator generate instances/benchmarks/small-7x10x5.json --regions 7 --specialties 10 --years 5 --seed 1
	$(BIN)/allocator generate instances/benchmarks/medium-42x20x5.json --regions 42 --specialties 20 --years 5 --seed 1
	$(BIN)/allocator generate instances/benchmarks/national-42x65x10.json --regions 42 --specialties 65 --years 10 --seed 1
	$(BIN)/allocator generate instances/benchmarks/trust-200x65x10.json --regions 200 --specialties 65 --years 10 --seed 1

# Rebuild the England instances from the vendored sources; refresh the gallery table
instances: $(STAMP)
	$(BIN)/python -m instances.build

# Copy the shipped instances, templates, model files and grids into the package
# (allocator/examples/), so the wheel has them; tests/test_examples.py checks the copies agree
examples: $(STAMP)
	$(BIN)/python -c "from allocator.core.examples import sync_examples; sync_examples('.')"

gallery: $(STAMP)
	$(BIN)/python instances/gallery.py

clean:
	rm -rf $(VENV) $(VENV_LATEST) out .pytest_cache .hypothesis
