# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-instances gallery instances clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/allocator solve instances/england-regions-2025.json --out out/demo --report

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check allocator tests benchmarks instances
	$(BIN)/ruff format --check allocator tests benchmarks instances

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The benchmark set (large: generated on demand, not committed)
bench-instances: $(STAMP)
	mkdir -p instances/benchmarks
	$(BIN)/allocator generate instances/benchmarks/small-7x10x5.json --regions 7 --specialties 10 --years 5 --seed 1
	$(BIN)/allocator generate instances/benchmarks/medium-42x20x5.json --regions 42 --specialties 20 --years 5 --seed 1
	$(BIN)/allocator generate instances/benchmarks/national-42x65x10.json --regions 42 --specialties 65 --years 10 --seed 1
	$(BIN)/allocator generate instances/benchmarks/trust-200x65x10.json --regions 200 --specialties 65 --years 10 --seed 1

# Rebuild the England instances from the vendored sources; refresh the gallery table
instances: $(STAMP)
	$(BIN)/python instances/build.py

gallery: $(STAMP)
	$(BIN)/python instances/gallery.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
