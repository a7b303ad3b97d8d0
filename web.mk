# Web assets: included from the Makefile. `make htmx` refreshes the vendored htmx from npm.
# htmx 2.0.x only: htmx 4 is a rewrite (fetch instead of XHR, other upload progress events).
HTMX_SPEC ?= 2.0.x
HTMX_DIR := static/vendor/htmx

.PHONY: htmx screenshots browser axe-tools

# axe-core for the browser tests' accessibility check (tests/e2e/axe.py), pinned with its
# sha512 in tools/axe-core/package-lock.json (no registry URLs in it); only the tests use it,
# the app never serves it. Installed once, and again when the lock file changes.
AXE_DIR := tools/axe-core
AXE_STAMP := $(AXE_DIR)/node_modules/.installed
AXE_CORE_JS := $(CURDIR)/$(AXE_DIR)/node_modules/axe-core/axe.min.js
export AXE_CORE_JS

axe-tools: $(AXE_STAMP) ## Install axe-core for the browser tests' accessibility check

$(AXE_STAMP): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm; }; \
		else \
			echo "axe-tools: npm is needed for axe-core: sudo apt-get install npm" >&2; \
			exit 1; \
		fi; }
	@# npm ci installs exactly the locked package and checks its sha512.
	cd $(AXE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	test -f $(AXE_CORE_JS)
	touch $@

# The browser tests (tests/e2e) drive Debian's Chromium: `make test` installs it like nginx,
# so that a newcomer's run skips nothing either.
CHROMIUM_BIN ?= /usr/bin/chromium
browser: ## Install Chromium for the browser tests (apt, when missing)
	@if [ -x "$(CHROMIUM_BIN)" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "browser: Chromium is missing: sudo apt-get install chromium" >&2; exit 1; \
	fi; \
	echo "browser: installing chromium"; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
		>/dev/null 2>&1 \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium; }

screenshots: $(STAMP_DEV) browser axe-tools ## Retake the README's screenshots (browser tests into a temporary folder, then copied to docs/screenshots)
	@set -eu; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	GAMECOLL_SCREENSHOT_DIR="$$tmp" $(BIN)/python -m pytest -q tests/e2e -k "walkthrough or phone or screenshots"; \
	cp "$$tmp"/*.png docs/screenshots/; \
	echo "screenshots -> docs/screenshots: $$(cd "$$tmp" && ls *.png | tr '\n' ' ')"

htmx: ## Refresh static/vendor/htmx with the newest htmx.org $(HTMX_SPEC) from npm
	@set -eu; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	version=$$(npm view --silent --json "htmx.org@$(HTMX_SPEC)" version | tr -d '[]", ' | grep -E '^[0-9]' | sort -V | tail -n 1); \
	case "$$version" in 2.0.*) ;; *) echo "htmx: expected a 2.0.x release, got '$$version'" >&2; exit 1;; esac; \
	(cd "$$tmp" && npm pack --silent "htmx.org@$$version" >/dev/null); \
	tar -xzf "$$tmp"/htmx.org-"$$version".tgz -C "$$tmp" package/dist/htmx.min.js package/LICENSE package/package.json; \
	mkdir -p $(HTMX_DIR); \
	cp "$$tmp/package/dist/htmx.min.js" $(HTMX_DIR)/htmx.min.js; \
	cp "$$tmp/package/LICENSE" $(HTMX_DIR)/LICENSE; \
	{ \
	  echo "htmx.org $$version"; \
	  echo "source: npm package htmx.org@$$version, file dist/htmx.min.js (unchanged)"; \
	  echo "licence: $$(sed -n 's/.*"license": *"\([^"]*\)".*/\1/p' "$$tmp/package/package.json") (see LICENSE)"; \
	  echo "sha256: $$(sha256sum $(HTMX_DIR)/htmx.min.js | cut -d' ' -f1)"; \
	  echo "refresh: make htmx (HTMX_SPEC=$(HTMX_SPEC))"; \
	} > $(HTMX_DIR)/VERSION; \
	echo "htmx $$version -> $(HTMX_DIR)"
