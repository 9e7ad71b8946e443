# The two commands of the README: `make quickstart` and `make test`. Each sets up .venv first.
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup quickstart test clean-venv

setup:
	@bash tools/setup_env.sh

quickstart: setup
	$(PY) tools/quickstart.py

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf .venv
