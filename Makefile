# The two commands: `make run` (the main job) and `make test` (the test suite). Both set up first.
.PHONY: setup test-engines run test lint unit clean-cluster

setup:
	@bash scripts/setup.sh

# The main job: the default scenario on the embedded local cluster, ending in a report.
run: setup
	.venv/bin/aisbench run smoke

# What only the tests need: Chromium (report page check) and a Docker engine (the dockerized
# cluster). Each script installs what is missing when root; when it cannot, it says why in one
# line and the tests that need it skip with that reason - except on CI as root (CI=true), where
# they fail: a broken install must not pass as a green run (tests/missing_tools.py).
test-engines:
	-@bash scripts/install-chromium.sh
	-@bash scripts/docker-engine.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy

# Lint, type-check, unit + integration tests against the real cluster, and brief benchmarks.
test: setup test-engines lint
	.venv/bin/python -m pytest tests -rs --durations=30 --benchmark-min-rounds=1 --benchmark-max-time=0.05 --benchmark-warmup=off

unit: setup
	.venv/bin/python -m pytest tests/unit

clean-cluster:
	-.venv/bin/aisbench cluster down
