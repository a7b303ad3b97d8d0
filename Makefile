# gamecoll: `make run` serves with no configuration, `make test` runs the whole suite.
SHELL := bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.DEFAULT_GOAL := help

# Make fragments of the deployment checks, the API document's tools, the pages and the
# benchmarks.
include deploy.mk
include api.mk
include web.mk
-include bench.mk
.PHONY: help run migrate test test-fast lint typecheck format lock clean storage-check vendor-docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

$(STAMP_DEV): requirements-dev.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN) ## Serve on http://127.0.0.1:8080 (SQLite and var/images unless configured)
	$(PY) -m gamecoll serve

migrate: $(STAMP_RUN) ## Apply database migrations by hand
	$(PY) -m gamecoll migrate

storage-check: $(STAMP_RUN) ## List image files that no item refers to (FIX=1 removes them)
	$(PY) -m gamecoll storage check $(if $(FIX),--fix,)

lint: $(STAMP_DEV) ## Ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV) ## Mypy, strict
	$(BIN)/mypy

format: $(STAMP_DEV) ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP_DEV) deploy-tools api-tools axe-tools browser lint typecheck ## Lint, type-check and run every test (CI=true: nothing may skip)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP_DEV) deploy-tools api-tools axe-tools browser ## Only the tests, without lint and type-check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lock: $(STAMP_DEV) ## Re-pin requirements*.lock with hashes from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -q -o requirements-dev.lock

SWAGGER_UI_VERSION ?= 5.35.0
REDOC_VERSION ?= 2.5.4
vendor-docs: ## Refresh static/vendor/swagger-ui and static/vendor/redoc from the npm registry
	rm -rf .vendor-tmp && mkdir -p .vendor-tmp
	cd .vendor-tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) redoc@$(REDOC_VERSION)
	cd .vendor-tmp && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && mv package swagger \
		&& tar xzf redoc-$(REDOC_VERSION).tgz && mv package redoc
	cp .vendor-tmp/swagger/{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,swagger-ui.css,oauth2-redirect.html,oauth2-redirect.js,LICENSE,NOTICE} static/vendor/swagger-ui/
	cp .vendor-tmp/redoc/bundles/{redoc.standalone.js,redoc.standalone.js.LICENSE.txt} .vendor-tmp/redoc/LICENSE static/vendor/redoc/
	echo "swagger-ui-dist $(SWAGGER_UI_VERSION) (npm), refreshed by \`make vendor-docs\`" > static/vendor/swagger-ui/VERSION
	echo "redoc $(REDOC_VERSION) (npm), refreshed by \`make vendor-docs\`" > static/vendor/redoc/VERSION
	rm -rf .vendor-tmp

clean: ## Remove the virtual environments and caches (keeps var/)
	rm -rf $(VENV) $(DEPLOY_VENV) $(API_TS_DIR)/node_modules $(AXE_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
