#!/usr/bin/env python3
"""Draw labelme face labels for checking by eye: each face with the area outside its mask tinted red, INCLUDE
polygons outlined green and EXCLUDE polygons yellow, tiled into one PNG.

    tools/xseg/render_labels.py --out sheet.png [--scale 2] [--columns 3] [--gain 1.0] FACE.jpg ...

Each face's labels are read from FACE.json next to it (faces without one are drawn untinted). --gain
brightens dark faces for viewing.
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelme_mask import is_exclude, mask_of, read_labels, shapes_of  # noqa: E402


def tile(path, scale, gain):
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"render_labels: {path}: cannot read the image")
    h, w = image.shape[:2]
    big = np.clip(cv2.resize(image.astype(np.float32) * gain, (w * scale, h * scale),
                             interpolation=cv2.INTER_CUBIC), 0, 255)
    label_path = os.path.splitext(path)[0] + ".json"
    if os.path.exists(label_path):
        shapes = shapes_of(read_labels(label_path))
        mask = cv2.resize(mask_of(shapes, w, h), (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)[..., None]
        red = big * 0.55 + np.array([0, 0, 255], np.float32) * 0.45
        big = np.where(mask > 0.5, big, red)
        big = big.astype(np.uint8)
        for label, pts in shapes:
            colour = (0, 255, 255) if is_exclude(label) else (0, 255, 0)
            cv2.polylines(big, [(np.array(pts) * scale).astype(np.int32)], True, colour, 1)
    big = big.astype(np.uint8)
    cv2.putText(big, os.path.basename(path), (6, h * scale - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.25 * scale + 0.1,
                (255, 255, 255), 1 + scale // 2)
    return big


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--gain", type=float, default=1.0)
    parser.add_argument("faces", nargs="+")
    args = parser.parse_args()
    tiles = [tile(p, args.scale, args.gain) for p in args.faces]
    h, w = tiles[0].shape[:2]
    tiles = [cv2.resize(t, (w, h)) if t.shape[:2] != (h, w) else t for t in tiles]
    while len(tiles) % args.columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + args.columns]) for i in range(0, len(tiles), args.columns)]
    cv2.imwrite(args.out, np.vstack(rows))


if __name__ == "__main__":
    main()
