# wenflow: the two commands are `make demo` and `make test`.
CACHE ?= $(HOME)/.cache/wenflow
export CARGO_TARGET_DIR ?= $(CACHE)/target
export WENFLOW_PYTHON ?= $(CACHE)/venv/bin/python
export WENFLOW_CORPUS ?= $(CACHE)/corpus/chinese-poetry
WENFLOW = $(CARGO_TARGET_DIR)/release/wenflow
DEMO_OUT ?= $(CACHE)/demo-out

.PHONY: setup build build-all demo test bench bench-dedup bench-search bench-ocr bench-stream bench-stream-memory bench-s3 bench-reports

setup:
	@bash scripts/setup.sh

# The `wenflow` binary, resolved as part of the whole workspace: `-p` would change feature
# unification and rebuild most dependencies, a `--bin` filter does not. The benches also
# need `wenflow-bench` (build-all).
build: setup
	cargo build --release --workspace --bin wenflow

build-all: setup
	cargo build --release --workspace

# Ingest the whole sample corpus on 2 workers and print a short report.
demo: build
	rm -rf $(DEMO_OUT)
	$(WENFLOW) ingest $(WENFLOW_CORPUS) --out $(DEMO_OUT) -w 2
	@bash scripts/report.sh $(WENFLOW) $(DEMO_OUT)

# Everything in the release profile: after `make demo` the tests reuse its compiled
# dependencies, build scripts and C libraries instead of building all of them again in the
# debug profile, and the end-to-end tests run the binary users run.
test: setup
	cargo fmt --all --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	cargo test --release --workspace --all-targets
	cargo test --release --workspace --doc

bench: build-all
	$(CARGO_TARGET_DIR)/release/wenflow-bench --wenflow $(WENFLOW) --corpus $(WENFLOW_CORPUS)

# Near-duplicate detection side by side with datatrove and datasketch (installed into the
# venv from PyPI by bench/peers/setup.sh).
bench-dedup: build-all
	@bash bench/peers/setup.sh
	@bash bench/peers/run.sh $(WENFLOW_CORPUS) 3

# Full-text search side by side with tantivy-py (installed into the venv from PyPI by the
# script): indexing cost inside the ingest, accuracy and latency of 400 span queries.
bench-search: build-all
	@bash bench/search/run.sh $(WENFLOW) $(CARGO_TARGET_DIR)/release/wenflow-bench $(WENFLOW_CORPUS) 3

# OCR side by side with the tesseract command line on rendered ground-truth pages:
# character error rate (horizontal/vertical, clean/degraded) and pages/s at -w 1 and -w 2,
# and on 50 degraded pages no test has seen, the layout of every page.
bench-ocr: build-all
	@bash bench/ocr/run.sh $(WENFLOW) $(WENFLOW_CORPUS) 10 3

# A stream over the full corpus: its first scan, and restarts with the whole corpus as state
# (the input log read back, operator state recomputed) after one change, beside a batch
# ingest in the same run; the stream's tables are compared with a batch ingest.
bench-stream: build-all
	@bash bench/stream/run.sh $(WENFLOW) $(WENFLOW_CORPUS) 3

# A long stream of constant live data: resident memory over 800 epochs of rewrites.
bench-stream-memory: build-all
	@python3 bench/stream/memory.py $(WENFLOW) 800

# The full corpus ingested to moto_server on loopback (outputs, then inputs too) against
# the same ingest to local disk: wall, RSS, bytes and requests per epoch.
bench-s3: build-all
	@$(CACHE)/venv/bin/python bench/s3/run.py $(WENFLOW) $(WENFLOW_CORPUS) 3

# The named reports through `wenflow report` (cold) and Flight SQL (warm) against DuckDB on
# the same Parquet files, and the web page's search latency, on the demo's output.
bench-reports: build-all
	@[ -d $(DEMO_OUT)/documents ] || $(WENFLOW) ingest $(WENFLOW_CORPUS) --out $(DEMO_OUT) -w 2
	@$(CACHE)/venv/bin/python bench/reports/run.py $(WENFLOW) $(DEMO_OUT) 3
