#!/usr/bin/env python3
"""Reference outputs from LiteRT for Octet's importer tests.

usage: litert_reference.py MODEL.tflite INPUT.npy OUTPUT.npy
Feeds INPUT.npy (already in the model's input dtype) to input 0 and saves output 0 as is.
"""
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    model, input_path, output_path = sys.argv[1:]
    interpreter = Interpreter(model_path=model)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    data = np.load(input_path).astype(detail["dtype"]).reshape(detail["shape"])
    interpreter.set_tensor(detail["index"], data)
    interpreter.invoke()
    out = interpreter.get_output_details()[0]
    np.save(output_path, interpreter.get_tensor(out["index"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
