#!/usr/bin/env bash
# Installs what wenflow needs on a Debian machine, idempotently:
#   - Debian packages for the build (C toolchain, cmake, clang for bindgen, protoc), and
#     for OCR: Tesseract 5 with its traditional and simplified Chinese models (horizontal
#     and vertical) and English, poppler for PDFs, the CJK fonts the ground-truth pages
#     are rendered with, and Chromium for the web page's tests;
#   - a Python venv with the stock readers the tests compare against (deltalake, duckdb),
#     the ADBC Flight SQL driver, Playwright (it drives Debian's Chromium; it downloads no
#     browser), and Pillow and reportlab for rendering the OCR ground truth;
#   - the sample corpus, chinese-poetry 2.0.1 from npm (MIT), unpacked into the cache.
# Everything lands under $WENFLOW_CACHE (default ~/.cache/wenflow), outside the repository.
set -euo pipefail

CACHE="${WENFLOW_CACHE:-$HOME/.cache/wenflow}"
mkdir -p "$CACHE"

need_apt=()
for pkg in build-essential cmake clang libclang-dev pkg-config protobuf-compiler python3-venv time libssl-dev zlib1g-dev \
    libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-tra \
    tesseract-ocr-chi-tra-vert tesseract-ocr-chi-sim tesseract-ocr-chi-sim-vert poppler-utils \
    fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

VENV="$CACHE/venv"
# moto_server is the S3-compatible server the object-storage tests start on 127.0.0.1 (5.2
# and later implement the conditional PUT that Delta commits use).
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import deltalake, duckdb, PIL, reportlab, moto.server, adbc_driver_flightsql.dbapi, playwright.sync_api' 2>/dev/null \
   || ! "$VENV/bin/python" -c 'import moto, sys; sys.exit(tuple(map(int, moto.__version__.split(".")[:2])) < (5, 2))'; then
  echo "setup: creating the Python venv with deltalake, duckdb, the ADBC Flight SQL driver, Playwright, Pillow, reportlab and moto[server]"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'deltalake>=1.1' 'duckdb>=1.1' 'pyarrow>=17' 'Pillow>=10' 'reportlab>=4' 'moto[server]>=5.2' \
    'adbc-driver-flightsql>=1.3' 'adbc-driver-manager>=1.3' 'playwright>=1.45'
fi

CORPUS="$CACHE/corpus"
if [ ! -d "$CORPUS/chinese-poetry/dist/quantangshi" ]; then
  echo "setup: fetching the corpus (npm pack chinese-poetry@2.0.1)"
  mkdir -p "$CORPUS"
  ( cd "$CORPUS" && [ -f chinese-poetry-2.0.1.tgz ] || npm pack --silent chinese-poetry@2.0.1 >/dev/null )
  rm -rf "$CORPUS/unpack" && mkdir -p "$CORPUS/unpack"
  tar xzf "$CORPUS/chinese-poetry-2.0.1.tgz" -C "$CORPUS/unpack"
  rm -rf "$CORPUS/chinese-poetry" && mv "$CORPUS/unpack/package" "$CORPUS/chinese-poetry" && rmdir "$CORPUS/unpack"
fi
echo "setup: ok (cache $CACHE)"
