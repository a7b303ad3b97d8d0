# The npm tools of the API document's tests, included by the Makefile. `make api-tools`
# installs, once and again only when the lock file changes:
#   tools/openapi-typescript/node_modules   openapi-typescript and typescript (tsc), pinned by
#                                           their sha512 in package-lock.json (no registry
#                                           URLs in it), for tests/api/test_openapi_typescript.py.
# The test finds them in $(OPENAPI_TS_BIN) and fails, saying what is missing, without them.

API_TS_DIR := tools/openapi-typescript
API_TS_STAMP := $(API_TS_DIR)/node_modules/.installed
OPENAPI_TS_BIN := $(CURDIR)/$(API_TS_DIR)/node_modules/.bin
export OPENAPI_TS_BIN

.PHONY: api-tools

api-tools: $(API_TS_STAMP) ## Install openapi-typescript and tsc for the API document's tests

$(API_TS_STAMP): $(API_TS_DIR)/package.json $(API_TS_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm; }; \
		else \
			echo "api-tools: npm is needed for openapi-typescript: sudo apt-get install npm" >&2; \
			exit 1; \
		fi; }
	@# npm ci installs exactly the locked packages and checks each one's sha512.
	cd $(API_TS_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	test -x $(OPENAPI_TS_BIN)/openapi-typescript && test -x $(OPENAPI_TS_BIN)/tsc
	touch $@
