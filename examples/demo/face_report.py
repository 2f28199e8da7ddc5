#!/usr/bin/env python3
"""Decodes the short-range face detector's outputs and compares the INT8 model with float.

usage: face_report.py photo IMAGE_SIZE NAME=PREFIX [NAME=PREFIX]
       face_report.py crops FLOAT_PREFIX INT8_PREFIX INDEX... (face crops: INDEX < 100)
PREFIX.npy holds the box regressors [1, 896, 16] and PREFIX_1.npy the face logits [1, 896, 1]
(what `octet-run --output PREFIX.npy` writes). "photo" prints the faces each model finds (boxes
in pixels of an IMAGE_SIZE x IMAGE_SIZE photo) and how the second model agrees with the first.
"crops" compares both models on scikit-image's LFW crops (PREFIX_INDEX.npy; 0-99 are faces,
100-199 are not): face / no face decisions and box overlap. Plain Python (no numpy), so the demo
needs nothing installed.

Decoding (the model's published anchor layout): 896 anchors, a 16x16 grid with 2 anchors per
cell then an 8x8 grid with 6 per cell, at cell centres, row-major. Per anchor the regressors are
(dx, dy, w, h, 6 keypoints) in 128-pixel input units; the box centre is anchor + (dx, dy) / 128.
Score = sigmoid(logit). Faces: anchors scoring > 0.5, overlapping boxes (IoU > 0.3) merged into
their score-weighted mean.
"""
import math
import struct
import sys

INPUT_SIZE = 128
MIN_SCORE = 0.5
MERGE_IOU = 0.3


def load_npy(path):
    """float32 little-endian C-order .npy -> flat list."""
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    header_len = struct.unpack("<H", data[8:10])[0] if data[6] == 1 else struct.unpack("<I", data[8:12])[0]
    start = (10 if data[6] == 1 else 12) + header_len
    header = data[start - header_len:start].decode("latin1")
    if "'<f4'" not in header:
        sys.exit(f"{path}: expected float32 data, header {header.strip()}")
    raw = data[start:]
    return struct.unpack("<%df" % (len(raw) // 4), raw)


def anchors():
    out = []
    for cells, per_cell in ((16, 2), (8, 6)):
        for y in range(cells):
            for x in range(cells):
                out += [((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell
    return out


ANCHORS = anchors()


def sigmoid(v):
    v = max(-80.0, min(80.0, v))
    return 1.0 / (1.0 + math.exp(-v))


def box_of(regressors, i):
    dx, dy, w, h = regressors[16 * i:16 * i + 4]
    cx = ANCHORS[i][0] + dx / INPUT_SIZE
    cy = ANCHORS[i][1] + dy / INPUT_SIZE
    w, h = w / INPUT_SIZE, h / INPUT_SIZE
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def faces(regressors, scores):
    """[(score, box)], best first: candidates above MIN_SCORE, overlapping ones merged."""
    candidates = sorted(((s, box_of(regressors, i)) for i, s in enumerate(scores) if s > MIN_SCORE),
                        reverse=True)
    found = []
    while candidates:
        top_score, top_box = candidates[0]
        group = [c for c in candidates if iou(top_box, c[1]) > MERGE_IOU]
        candidates = [c for c in candidates if iou(top_box, c[1]) <= MERGE_IOU]
        total = sum(s for s, _ in group)
        merged = tuple(sum(s * b[k] for s, b in group) / total for k in range(4))
        found.append((top_score, merged))
    return found


def describe(box, size):
    x0, y0, x1, y1 = (round(v * size) for v in box)
    return f"box x {x0}..{x1}, y {y0}..{y1}"


def load(prefix):
    regressors = load_npy(prefix + ".npy")
    scores = [sigmoid(v) for v in load_npy(prefix + "_1.npy")]
    if len(regressors) != 16 * len(ANCHORS) or len(scores) != len(ANCHORS):
        sys.exit(f"{prefix}: expected 896 anchors, got {len(scores)}")
    return regressors, scores


def crops(float_prefix, int8_prefix, indices):
    counts = {"float": [0, 0], "INT8": [0, 0]}  # [faces found on face crops, on non-face crops]
    same, overlaps = 0, []
    n_faces = sum(1 for i in indices if i < 100)
    for i in indices:
        found = {}
        for name, prefix in (("float", float_prefix), ("INT8", int8_prefix)):
            found[name] = faces(*load(f"{prefix}_{i:03d}"))
            if found[name]:
                counts[name][0 if i < 100 else 1] += 1
        same += bool(found["float"]) == bool(found["INT8"])
        if found["float"] and found["INT8"]:
            overlaps.append(iou(found["float"][0][1], found["INT8"][0][1]))
    for name, (on_faces, on_others) in counts.items():
        print(f"   {name:5}: face found in {on_faces}/{n_faces} face crops, "
              f"{on_others}/{len(indices) - n_faces} non-face crops")
    overlaps.sort()
    median = overlaps[len(overlaps) // 2] if overlaps else float("nan")
    print(f"   INT8 and float decide the same on {same}/{len(indices)}; "
          f"box IoU where both find a face: median {median:.3f}, worst {overlaps[0] if overlaps else float('nan'):.3f}")


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "crops":
        crops(sys.argv[2], sys.argv[3], [int(i) for i in sys.argv[4:]])
        return
    if len(sys.argv) < 4 or sys.argv[1] != "photo":
        sys.exit(__doc__)
    size = int(sys.argv[2])
    results = []
    for arg in sys.argv[3:]:
        name, prefix = arg.split("=", 1)
        regressors, scores = load(prefix)
        found = faces(regressors, scores)
        results.append((name, scores, found))
        if not found:
            print(f"   {name:5}: no face (best anchor score {max(scores):.3f})")
        for n, (score, box) in enumerate(found):
            label = f"{name:5}:" if n == 0 else " " * 6
            print(f"   {label} face {n + 1}: score {score:.3f}, {describe(box, size)} (of {size}x{size})")
    if len(results) >= 2:
        (ref_name, ref_scores, ref_found), (name, scores, found) = results[0], results[1]
        diff = max(abs(a - b) for a, b in zip(ref_scores, scores))
        print(f"   {name} vs {ref_name}: {len(found)} vs {len(ref_found)} faces; "
              f"largest face-score difference over all 896 anchors {diff:.3f}")
        if found and ref_found:
            print(f"   {name} vs {ref_name}: best faces overlap with IoU {iou(found[0][1], ref_found[0][1]):.3f}"
                  f", score {found[0][0]:.3f} vs {ref_found[0][0]:.3f}")


if __name__ == "__main__":
    main()
