#!/usr/bin/env python3
"""Golden values for the Sort tests from OpenCV (an independent implementation of the operations DFL's
sorters call). Run with a Python that has numpy and opencv-python-headless:

    python3 -m venv /tmp/venv-x && /tmp/venv-x/bin/pip install numpy opencv-python-headless
    /tmp/venv-x/bin/python Tests/SortTests/Fixtures/make_opencv_golden.py

Writes opencv_golden.json next to this script. Images are stored as RGB bytes (the Swift Image order);
OpenCV gets them as BGR, as DFL loads them."""
import json, os
import numpy as np
import cv2

rng = np.random.default_rng(20261126)
out = {"opencv": cv2.__version__, "cases": []}
for (h, w) in [(29, 37), (8, 5), (64, 70)]:
    # Blocks of random colour plus noise, so there are edges and smooth parts.
    rgb = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    rgb[: h // 2, : w // 2] = rng.integers(0, 256, size=3, dtype=np.uint8)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    other = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    other_bgr = np.ascontiguousarray(other[..., ::-1])
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    lap = cv2.Laplacian(bgr, cv2.CV_64F, ksize=11)
    lap_gray = cv2.Laplacian(gray, cv2.CV_64F, ksize=11)

    def hists(img):
        return [cv2.calcHist([img], [c], None, [256], [0, 256]) for c in range(img.shape[2])]
    bh = sum(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA) for a, b in zip(hists(bgr), hists(other_bgr)))
    out["cases"].append({
        "width": w, "height": h,
        "rgb": rgb.flatten().tolist(),
        "other_rgb": other.flatten().tolist(),
        "gray": gray.flatten().tolist(),
        "hue_mean": float(hsv[..., 0].mean()),
        "value_mean": float(hsv[..., 2].mean()),
        "laplacian_var": float(lap.var()),
        "laplacian_var_gray": float(lap_gray.var()),
        "bhattacharyya_sum": float(bh),
    })
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "opencv_golden.json"), "w") as f:
    json.dump(out, f)
