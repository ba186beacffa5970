#!/usr/bin/env python3
"""Golden `blur` and `motion-blur` scores of the fixture faces, computed the way DeepFaceLab's sorter
does (docs/dfl-faceset.md §6.2, §3.9): the face (BGR) times the landmark hull mask (eyebrows expanded with mod 1, the
eight convex parts filled with cv2.fillConvexPoly), then CPBD of BGR2GRAY (channel 0 for 1-channel faces)
and the variance of cv2.Laplacian(ksize=11). CPBD comes from the `cpbd` PyPI package. Run with a venv
holding numpy, scipy, scikit-image, opencv-python-headless and cpbd:

    /tmp/venv-x/bin/python Tests/SortTests/Fixtures/make_blur_golden.py

Writes blur_golden.json next to this script."""
import json, os, pickle, struct
import numpy as np
import cv2
import scipy.ndimage
scipy.ndimage.imread = None  # imported at module level by cpbd, never called here
import skimage.filters.edges as edges
if not hasattr(edges, "HSOBEL_WEIGHTS"):
    edges.HSOBEL_WEIGHTS = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]) / 4.0
from cpbd.compute import compute

here = os.path.dirname(os.path.abspath(__file__))

def app15_pickle(data):
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xEF:
            return pickle.loads(data[i + 4:i + 2 + length])
        if marker == 0xDA:
            break
        i += 2 + length
    return None

def expand_eyebrows(lm, mod=1.0):
    lm = np.array(lm).astype(int)  # truncation toward zero
    ml = (lm[36] + lm[0]) // 2
    mr = (lm[16] + lm[45]) // 2
    ql = (lm[36] + ml) // 2
    qr = (lm[45] + mr) // 2
    bot_l = np.array([ql, lm[36], lm[37], lm[38], lm[39]])
    bot_r = np.array([lm[42], lm[43], lm[44], lm[45], qr])
    top_l = lm[17:22]
    top_r = lm[22:27]
    # Assigning the float result into the int array truncates the sum toward zero.
    lm[17:22] = top_l + (top_l - bot_l) * mod * 0.5
    lm[22:27] = top_r + (top_r - bot_r) * mod * 0.5
    return lm

def hull_mask(shape, lm):
    mask = np.zeros(shape[:2] + (1,), dtype=np.float32)
    lm = expand_eyebrows(lm, 1.0)
    parts = [list(range(0, 9)) + [17], list(range(8, 17)) + [26], list(range(17, 20)) + [8],
             list(range(24, 27)) + [8], list(range(19, 25)) + [8],
             list(range(17, 22)) + [27] + list(range(31, 36)) + [8],
             list(range(22, 27)) + [27] + list(range(31, 36)) + [8],
             list(range(27, 31)) + list(range(31, 36))]
    for p in parts:
        cv2.fillConvexPoly(mask, cv2.convexHull(lm[p]), (1,))
    return mask

out = {}
for name in sorted(os.listdir(os.path.join(here, "faces"))):
    data = open(os.path.join(here, "faces", name), "rb").read()
    meta = app15_pickle(data)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img.ndim == 2:
        img = img[..., None]
    masked = (img * hull_mask(img.shape, meta["landmarks"])).astype(np.uint8)
    gray = masked[..., 0] if masked.shape[2] == 1 else cv2.cvtColor(masked, cv2.COLOR_BGR2GRAY)
    lap = cv2.Laplacian(masked if masked.shape[2] == 3 else masked[..., 0], cv2.CV_64F, ksize=11)
    out[name] = {"blur": float(compute(gray.astype(np.float64))), "motion_blur": float(np.var(lap)),
                 "hull_pixels": int(hull_mask(img.shape, meta["landmarks"]).sum())}
with open(os.path.join(here, "blur_golden.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
