# Loads aligned faces the way DeepFaceLab does (APP15 payload -> pickle.loads, numpy available) and checks
# the types DFL's getters and sorters rely on (docs/dfl-faceset.md §1.4). Prints "ok" per face; exits 1 on the first problem.
# Usage: python3 check_dfl_face.py FACE.jpg...
import pickle
import struct
import sys

import numpy as np


def metadata(path):
    data = open(path, "rb").read()
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    found = None
    while i + 4 <= len(data):
        assert data[i] == 0xFF, "bad marker"
        marker = data[i + 1]
        if marker == 0xDA:
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xEF:
            found = data[i + 4:i + 2 + length]
        i += 2 + length
    assert found is not None, "no APP15 segment"
    return pickle.loads(found)


for path in sys.argv[1:]:
    d = metadata(path)
    assert isinstance(d, dict)
    assert d["face_type"] in ("half_face", "midfull_face", "full_face", "whole_face", "head"), d["face_type"]
    lm = np.array(d["landmarks"])
    src = np.array(d["source_landmarks"])
    assert lm.shape == (68, 2) and src.shape == (68, 2)
    assert isinstance(d["source_filename"], str)
    rect = d["source_rect"]
    assert isinstance(rect, np.ndarray) and rect.shape == (4,) and rect.dtype.kind == "i", rect
    rect[[0, 2, 2, 0]]  # DFL's sorters index it with a list
    m = d["image_to_face_mat"]
    assert isinstance(m, np.ndarray) and m.shape == (2, 3) and m.dtype == np.float64
    err = np.abs(src @ m[:, :2].T + m[:, 2] - lm).max()
    assert err < 1e-6, err
    print("ok", path)
