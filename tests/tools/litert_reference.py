#!/usr/bin/env python3
"""Reference outputs from LiteRT for Octet's importer tests.

usage: litert_reference.py MODEL.tflite INPUT.npy OUTPUT.npy [ALL_TENSORS_DIR [RESOLVER]]
Feeds INPUT.npy (already in the model's input dtype) to input 0 and saves output 0 as is. An
INPUT.npy holding N inputs (N times the input's size; not with ALL_TENSORS_DIR) runs N times
and saves the N outputs stacked.
With ALL_TENSORS_DIR (or "-" for none), also saves every int8/uint8 activation tensor as
DIR/<index>.npy and lists "index<TAB>name" in DIR/names.txt (tensor-by-tensor comparison).
RESOLVER picks LiteRT's kernels: "default" (builtin ops + the XNNPACK delegate, what
Interpreter() does; intermediate tensors are then not all readable), "builtin" (optimized
builtin kernels, no delegate) or "ref" (the reference kernels).
"""
import sys
import warnings

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

RESOLVERS = {
    "default": OpResolverType.AUTO,
    "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    "ref": OpResolverType.BUILTIN_REF,
}


def main() -> int:
    warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*")
    if len(sys.argv) not in (4, 5, 6) or (len(sys.argv) == 6 and sys.argv[5] not in RESOLVERS):
        print(__doc__, file=sys.stderr)
        return 2
    model, input_path, output_path = sys.argv[1:4]
    all_dir = sys.argv[4] if len(sys.argv) >= 5 and sys.argv[4] != "-" else None
    resolver = RESOLVERS[sys.argv[5] if len(sys.argv) == 6 else "default"]
    interpreter = Interpreter(model_path=model, experimental_op_resolver_type=resolver,
                              experimental_preserve_all_tensors=all_dir is not None)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    data = np.load(input_path).astype(detail["dtype"])
    count = data.size // int(np.prod(detail["shape"]))
    if count > 1 and not all_dir:
        outputs = []
        for sample in data.reshape((count, *detail["shape"])):
            interpreter.set_tensor(detail["index"], sample)
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(out["index"]).copy())
        np.save(output_path, np.stack(outputs))
        return 0
    interpreter.set_tensor(detail["index"], data.reshape(detail["shape"]))
    interpreter.invoke()
    np.save(output_path, interpreter.get_tensor(out["index"]))
    if all_dir:
        constants = set()
        with open(f"{all_dir}/names.txt", "w") as names:
            for t in interpreter.get_tensor_details():
                if t["dtype"] not in (np.int8, np.uint8) or not t["quantization"][0]:
                    continue
                try:
                    value = interpreter.get_tensor(t["index"])
                except ValueError:
                    continue
                np.save(f"{all_dir}/{t['index']}.npy", value)
                names.write(f"{t['index']}\t{t['name']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
