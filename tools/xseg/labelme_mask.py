"""Shared helpers of the XSeg data scripts: labelme annotation files and the label rule of
Sources/FaceSet/LabelmeLabels.swift (a label that is `exclude`, or starts with `exclude` or `-`, is an
EXCLUDE polygon; every other label is INCLUDE), rasterised as docs/xseg.md describes DFL's rule: every
INCLUDE polygon filled with 1, then every EXCLUDE polygon with 0 (EXCLUDE wins), points truncated to
integers.

Needs numpy and OpenCV (Debian: python3-numpy python3-opencv).
"""
import json

import cv2
import numpy as np


def is_exclude(label):
    label = label.strip().lower()
    return label.startswith("exclude") or label.startswith("-")


def read_labels(path):
    """The labelme document at `path` (a dict)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_labels(path, shapes, image_name, width, height):
    """A labelme 5 document with `shapes` = [(label, [(x, y), ...]), ...] (all polygons)."""
    doc = {
        "version": "5.4.1",
        "flags": {},
        "shapes": [
            {"label": label, "points": [[round(float(x), 2), round(float(y), 2)] for x, y in points],
             "group_id": None, "description": "", "shape_type": "polygon", "flags": {}}
            for label, points in shapes
        ],
        "imagePath": image_name,
        "imageData": None,
        "imageHeight": height,
        "imageWidth": width,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def shapes_of(doc):
    """[(label, [(x, y), ...])] of a labelme document; rectangles become their four corners."""
    out = []
    for s in doc["shapes"]:
        pts = [(float(x), float(y)) for x, y in s["points"]]
        if s.get("shape_type", "polygon") == "rectangle":
            (x0, y0), (x1, y1) = pts
            pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        out.append((s["label"], pts))
    return out


def mask_of(shapes, width, height):
    """The float32 mask (0/1) of the shapes by DFL's rule: INCLUDE polygons, then EXCLUDE polygons."""
    mask = np.zeros((height, width), np.float32)
    for exclude in (False, True):
        for label, pts in shapes:
            if is_exclude(label) == exclude:
                cv2.fillPoly(mask, [np.array(pts, np.float64).astype(np.int32)], 0.0 if exclude else 1.0)
    return mask


def copy_app15(source_jpeg, new_jpeg):
    """`new_jpeg` (bytes) with the APP15 segments of `source_jpeg` (DFL's face metadata) inserted after its
    SOI and APP0: the face's landmarks and transform stay valid when only its pixels changed."""
    def segments(data):
        assert data[:2] == b"\xff\xd8", "not a JPEG"
        i, out = 2, []
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker == 0xDA:
                out.append((marker, data[i:]))
                break
            length = int.from_bytes(data[i + 2:i + 4], "big")
            out.append((marker, data[i:i + 2 + length]))
            i += 2 + length
        return out
    app15 = [seg for m, seg in segments(source_jpeg) if m == 0xEF]
    parts = segments(new_jpeg)
    head = [seg for m, seg in parts if m == 0xE0]
    rest = [seg for m, seg in parts if m not in (0xE0, 0xEF)]
    return b"\xff\xd8" + b"".join(head) + b"".join(app15) + b"".join(rest)
