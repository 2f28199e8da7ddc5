#!/usr/bin/env bash
# Demo body (scripts/demo.sh builds, then calls this with the build folder).
# MLPerf Tiny ResNet-8 (float TFLite) -> calibrated INT8 .octet on CIFAR-10 images, then both the
# INT8 model and the same graph kept in float run on real images: answers, accuracy, speed.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${OCTET_SHARED_DIR:-$root/../shared}
tools=$build/tools
out=$build/demo-output
mkdir -p "$out"

model=$shared/models/mlperf-tiny/mlperftiny_ic_resnet8_cifar10_float.tflite
images=$shared/data/cifar10
if [ ! -f "$model" ] || [ ! -d "$images" ]; then
  exec bash "$root/examples/demo/run_demo_pypi.sh" "$build"
fi
tail -n +2 "$images/labels.csv" | cut -d, -f3 | awk '!seen[$0]++' > "$out/cifar10_labels.txt"

echo "== 1. convert: $(basename "$model") (float) -> INT8, calibrated on $images"
"$tools/octet-convert" "$model" -o "$out/resnet8_int8.octet" --calib "$images" --calib-count 200 \
  --eval "$images" --report "$out/resnet8_report.html" -q
"$tools/octet-convert" "$model" -o "$out/resnet8_float.octet" --float -q
ls -l "$out"/resnet8_*.octet | awk '{print "   " $5 " bytes  " $9}'
echo "   report: $out/resnet8_report.html"

echo
echo "== 2. run the INT8 model on real images"
for img in cat_0001.jpg ship_0002.jpg horse_0004.jpg airplane_0005.jpg; do
  "$tools/octet-run" "$out/resnet8_int8.octet" --input "$images/$img" \
    --labels "$out/cifar10_labels.txt" --top-k 1 | awk -v img="$img" '/ 1\. class/ {printf "   %-18s -> %s (score %s)\n", img, $NF, $4}'
done

echo
echo "== 3. speed: INT8 vs float on this CPU (median of 500 runs, 1 thread)"
int8=$("$tools/octet-run" "$out/resnet8_int8.octet" --input "$images/cat_0001.jpg" --repeat 500 | grep latency)
float=$("$tools/octet-run" "$out/resnet8_float.octet" --input "$images/cat_0001.jpg" --repeat 500 | grep latency)
isa=$("$tools/octet-run" "$out/resnet8_int8.octet" --input "$images/cat_0001.jpg" | awk '/^isa/ {print $2}')
echo "   INT8  ($isa): $int8"
echo "   float       : $float"
echo "   where the INT8 time goes:"
"$tools/octet-run" "$out/resnet8_int8.octet" --input "$images/cat_0001.jpg" --repeat 300 --profile |
  sed -n '/^profile/,/by type/p' | sed -n '1,6p;$p' | sed 's/^/   /'
python3 - "$int8" "$float" <<'PY'
import re, sys
ms = [float(re.search(r"median ([0-9.]+) ms", s).group(1)) for s in sys.argv[1:3]]
print(f"   INT8 runs at {ms[1] / ms[0]:.2f}x the speed of float (both on this CPU's fastest kernels)")
PY
