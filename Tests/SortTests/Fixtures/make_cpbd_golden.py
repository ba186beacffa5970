#!/usr/bin/env python3
"""Golden CPBD sharpness values from the `cpbd` package (the Python port DFL's estimate_sharpness comes
from), run on scikit-image's canny and scipy. Run with a venv holding numpy, scipy, scikit-image,
opencv-python-headless and cpbd (PyPI):

    /tmp/venv-x/bin/python Tests/SortTests/Fixtures/make_cpbd_golden.py /path/to/obama_speech_2009_0.jpg

The input is the grayscale DFL fixture face (obama_speech_2009_0.jpg: a 256×256 full_face that DFL's
code aligned from the public-domain White House photo obama_speech_2009.jpg by Pete Souza; see
examples/data/README.md for the credit). Writes cpbd_*.gray (raw 8-bit planes, 256×256) and
cpbd_golden.json next to this script. Newer scikit-image removed names the 2018 package imports; they
are shimmed below with their old values."""
import json, os, sys, types
import numpy as np
import cv2
import scipy.ndimage
scipy.ndimage.imread = None  # cpbd imports it at module level but never calls it here
import skimage.filters.edges as edges
if not hasattr(edges, "HSOBEL_WEIGHTS"):
    edges.HSOBEL_WEIGHTS = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]) / 4.0
from cpbd.compute import compute
import skimage

here = os.path.dirname(os.path.abspath(__file__))
face = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
assert face.shape == (256, 256)
planes = {
    "cpbd_face.gray": face,
    "cpbd_face_blur2.gray": cv2.GaussianBlur(face, (0, 0), 2.0),
    "cpbd_face_half.gray": face[64:192, 32:224].copy(),   # 128×192 crop: 2×3 blocks
}
out = {"skimage": skimage.__version__, "scipy": scipy.__version__, "cases": []}
for name, plane in planes.items():
    plane.tofile(os.path.join(here, name))
    out["cases"].append({"file": name, "width": int(plane.shape[1]), "height": int(plane.shape[0]),
                         "cpbd": float(compute(plane.astype(np.float64)))})
with open(os.path.join(here, "cpbd_golden.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
