"""Reference outputs for the ONNX importer tests, computed with ONNX Runtime.

usage: onnx_ort_reference.py MODEL INPUT.bin SHAPE OUTPUT.bin
INPUT.bin holds one or more float32 tensors of SHAPE (comma-separated, model layout) back to
back; each runs through the model's first input; the first output of every run is appended to
OUTPUT.bin as float32.
"""
import sys

import numpy as np
import onnxruntime as ort


def main():
    model, input_path, shape_text, output_path = sys.argv[1:5]
    shape = [int(d) for d in shape_text.split(",")]
    data = np.fromfile(input_path, dtype=np.float32)
    per_run = int(np.prod(shape))
    if data.size == 0 or data.size % per_run:
        sys.exit(f"input size {data.size} is not a multiple of {per_run}")
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    with open(output_path, "wb") as out:
        for run in data.reshape(-1, *shape):
            result = session.run(None, {name: run[np.newaxis, ...].reshape(shape)})[0]
            out.write(np.ascontiguousarray(result, dtype=np.float32).tobytes())


if __name__ == "__main__":
    main()
