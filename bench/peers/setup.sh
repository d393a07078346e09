#!/usr/bin/env bash
# Installs the near-duplicate peers into wenflow's Python venv (idempotent): datatrove
# with the few extras its MinHash pipeline imports, and datasketch. xxhash stays below 4:
# datatrove 0.10 hashes str, which xxhash 4 refuses.
set -euo pipefail
VENV="${WENFLOW_VENV:-$HOME/.cache/wenflow/venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PKGS=(datatrove==0.10.1 datasketch==2.0.0 "xxhash<4" orjson regex tokenizers duckdb)
if ! "$VENV/bin/python" -c 'import datatrove, datasketch, xxhash, orjson, regex, tokenizers, duckdb; assert xxhash.VERSION < "4"' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet "${PKGS[@]}"
fi
"$VENV/bin/python" -c 'import datatrove, datasketch, xxhash; from importlib.metadata import version as v; print("datatrove", v("datatrove"), "datasketch", v("datasketch"), "xxhash", xxhash.VERSION)'
