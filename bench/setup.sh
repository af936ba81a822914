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
# The speaker-verification attacker for bench/voice.py (Resemblyzer needs PyTorch; CPU build):
#   bash bench/setup.sh --voice
if [ "${1:-}" = "--voice" ]; then
  python3 -m venv .venv-voice
  .venv-voice/bin/pip install -q torch==2.13.0
  .venv-voice/bin/pip install -q resemblyzer==0.1.4 "setuptools<81" pystoi
  echo "attacker ready: bench/.venv-voice/bin/python bench/voice.py"
fi
