#!/usr/bin/env bash
# Installs the tools the benchmarks compare against, beside (not inside) unseen's own venv:
# deface 1.5.0 in bench/.venv-deface, ExifTool and mat2 from Debian.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv-deface
.venv-deface/bin/pip install -q deface==1.5.0 onnxruntime
if command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq libimage-exiftool-perl mat2 ffmpeg >/dev/null
fi
.venv-deface/bin/deface --help >/dev/null && echo "deface ready: bench/.venv-deface/bin/deface"
