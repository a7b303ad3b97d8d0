# Benchmarks (issue 6), included from the Makefile. See docs/benchmarks.md.
#   make bench        the full run: PostgreSQL database gamecoll_bench_<pid> created and dropped,
#                     gamecoll with WORKERS=1 and 2, the ceiling apps, wrk (apt-get installs it
#                     when missing); ~25 min; writes bench/results/latest.json and prints the table
#   make bench-smoke  the same harness with tiny durations and seeds, no thresholds (~1 min);
#                     writes bench/results/smoke.json.tmp (ignored by git)
# BENCH_ARGS passes options on: make bench BENCH_ARGS="--repeats 5 --seconds 15"
# BENCH_POSTGRES_URL names a PostgreSQL that may create databases (default postgres@127.0.0.1).
BENCH_PYTHON ?= .venv/bin/python
BENCH_ARGS ?=

.PHONY: bench bench-smoke
bench: | .venv/.installed-dev ## Benchmark gamecoll beside its ceilings (~25 min; bench/results/latest.json)
	$(BENCH_PYTHON) -m bench $(BENCH_ARGS)

bench-smoke: | .venv/.installed-dev ## A short run of the benchmark harness (no thresholds)
	$(BENCH_PYTHON) -m bench --smoke $(BENCH_ARGS)
