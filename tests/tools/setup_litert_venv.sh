#!/bin/sh
# Creates VENV with LiteRT + numpy for the converter's LiteRT reference test, if it is missing.
# Never fails: without Python venv support or PyPI the LiteRT test skips with a message.
VENV="$1"
if [ -z "$VENV" ]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 0
fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import ai_edge_litert, numpy' 2>/dev/null; then
  echo "LiteRT venv ready: $VENV"
  exit 0
fi
if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
  echo "python3 -m venv unavailable (Debian: apt-get install python3-venv); LiteRT test will skip"
  exit 0
fi
if "$VENV/bin/pip" install -q ai-edge-litert numpy >/dev/null 2>&1; then
  echo "LiteRT installed in $VENV"
else
  echo "pip install ai-edge-litert numpy failed (offline?); LiteRT test will skip"
fi
exit 0
