# Two set-up commands: `make demo` and `make test`. Everything else is a helper.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test venv lint typecheck bench clean judge-cards

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev,instruct]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/mhsafe demo --out demo-out

test: $(STAMP)
	$(BIN)/python -m pytest -q --durations=20

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# The published judge cards: every offline judge on the frozen test split (docs/judge-cards.md).
judge-cards: $(STAMP)
	$(BIN)/mhsafe validate --split test --out build/judge-cards
	cp build/judge-cards/judge_cards.md docs/judge-cards.md
	cp build/judge-cards/judge_cards.json docs/judge-cards.json
	cp build/judge-cards/judge_cards.json src/mhsafe/validation/data/judge_cards.json
	$(BIN)/python -m mhsafe.validation.publish docs/judge-cards.json README.md docs/screen.md

bench: $(STAMP)
	$(BIN)/python bench/runner_throughput.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
