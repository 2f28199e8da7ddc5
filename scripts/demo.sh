#!/usr/bin/env bash
# The main job: converts a real float model to a calibrated INT8 .octet and runs it on real
# images, printing the answer and the speed (INT8 vs the same model kept in float).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${OCTET_BUILD_DIR:-build/demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCTET_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target octet-convert octet-run octet-inspect
exec bash examples/demo/run_demo.sh "$build"
