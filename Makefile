# The two commands of the README: `make quickstart` and `make test`. Each sets up .venv first.
# `make test-compat` runs the suite again on the compatibility profile (torch 2.1.2, numpy 1.26.4,
# mmcv 2.1.0 built for torch 2.1) in .venv-torch21; `.ci/run` runs both.
PY := .venv/bin/python
PY_COMPAT := .venv-torch21/bin/python
PYTEST_ARGS ?=

.PHONY: setup setup-compat quickstart test test-compat clean-venv

setup:
	@bash tools/setup_env.sh

setup-compat:
	@MVC_PROFILE=torch21 MVC_VENV=$(CURDIR)/.venv-torch21 bash tools/setup_env.sh

quickstart: setup
	$(PY) tools/quickstart.py

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-compat: setup-compat
	$(PY_COMPAT) -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf .venv .venv-torch21
