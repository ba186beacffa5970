#!/usr/bin/env python3
"""Synthetic occluders for XSeg training: objects cut out of labelled faces with their EXCLUDE polygon (the
microphone and the hand holding it, free hands) are pasted onto other labelled faces, and each new face gets
its target's labels plus the pasted polygon as a new EXCLUDE polygon (EXCLUDE beats INCLUDE, so the pasted
region leaves the face mask wherever it covers the face).

    tools/xseg/paste_occluders.py --out DIR [--per-face 2] [--seed 1] [--sources LIST] FACE.jpg ...

FACE.jpg are aligned faces with labelme labels (FACE.json next to each, labels as in
Sources/FaceSet/LabelmeLabels.swift). Objects are taken from every EXCLUDE polygon of --sources (a file
with one face path per line; default: the faces given) and pasted onto each given face that has an
INCLUDE polygon, never onto the face they were cut from. Each output is DIR/<stem>_occ<k>.jpg (JPEG
quality 90, with the target face's DFL metadata (APP15) copied, so that it is still an aligned face) and
DIR/<stem>_occ<k>.json; the written image paths are printed one per line. The same inputs and --seed give
the same files.

Placement: the object is scaled (0.75-1.25), rotated (+-25 degrees), maybe mirrored, and put with its centre
on a random point of the target face's lower two thirds. An object whose polygon reached an image edge (a
hand coming in from below) keeps that edge outside the image: it is only moved away from that edge's
side, never into the picture, so its cut-off end is never visible. Its colour is moved a third of the way
toward the target face's mean brightness, and its edge is feathered by one pixel.
"""
import argparse
import os
import random
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelme_mask import copy_app15, is_exclude, read_labels, shapes_of, write_labels  # noqa: E402


def load(path):
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"paste_occluders: {path}: cannot read the image")
    label_path = os.path.splitext(path)[0] + ".json"
    if not os.path.exists(label_path):
        raise SystemExit(f"paste_occluders: {path}: no labels ({label_path})")
    return image, shapes_of(read_labels(label_path))


def objects_of(path, image, shapes):
    """Every EXCLUDE polygon of a face as an object: its label, polygon, pixels and which image edges it
    touches."""
    h, w = image.shape[:2]
    out = []
    for label, pts in shapes:
        if not is_exclude(label):
            continue
        p = np.array(pts, np.float64)
        edges = {"left": p[:, 0].min() <= 1, "right": p[:, 0].max() >= w - 2,
                 "top": p[:, 1].min() <= 1, "bottom": p[:, 1].max() >= h - 2}
        out.append({"source": path, "label": label, "points": p, "image": image, "edges": edges})
    return out


def paste(target, obj, rng):
    """(new image, pasted polygon) for one object on one face, or None when it would not overlap the face."""
    image, shapes = target
    h, w = image.shape[:2]
    face = [np.array(p, np.float64) for label, p in shapes if not is_exclude(label)]
    if not face:
        return None
    face_pts = np.vstack(face)
    x0, y0 = face_pts.min(axis=0)
    x1, y1 = face_pts.max(axis=0)
    pts = obj["points"]
    centre = pts.mean(axis=0)
    scale = rng.uniform(0.75, 1.25)
    angle = rng.uniform(-25, 25)
    mirror = rng.random() < 0.5
    # Target point: the face's lower two thirds.
    tx = rng.uniform(x0 + 0.15 * (x1 - x0), x1 - 0.15 * (x1 - x0))
    ty = rng.uniform(y0 + (y1 - y0) / 3, y1)
    edges = dict(obj["edges"])
    m = np.eye(3)
    if mirror:
        m = np.array([[-1, 0, w - 1], [0, 1, 0], [0, 0, 1]], np.float64)
        edges["left"], edges["right"] = edges["right"], edges["left"]
    c = (m @ np.array([centre[0], centre[1], 1.0]))[:2]
    if any(edges.values()):
        # Cut at an image edge: no rotation (the cut stays parallel to the edge), scaled about a point on
        # that edge (the cut stays on it), then moved only away from that edge's side.
        ax = 0.0 if edges["left"] else (w - 1.0 if edges["right"] else c[0])
        ay = 0.0 if edges["top"] else (h - 1.0 if edges["bottom"] else c[1])
        r = np.array([[scale, 0, ax * (1 - scale)], [0, scale, ay * (1 - scale)], [0, 0, 1]], np.float64)
        moved = (r @ np.array([c[0], c[1], 1.0]))[:2]
        dx, dy = tx - moved[0], ty - moved[1]
        if edges["bottom"]:
            dy = max(dy, 0.0)
        if edges["top"]:
            dy = min(dy, 0.0)
        if edges["right"]:
            dx = max(dx, 0.0)
        if edges["left"]:
            dx = min(dx, 0.0)
    else:
        r = np.vstack([cv2.getRotationMatrix2D((float(c[0]), float(c[1])), angle, scale), [0, 0, 1]])
        dx, dy = tx - c[0], ty - c[1]
    # Source pixel → target pixel: mirror, rotate and scale, move.
    full = np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], np.float64) @ r @ m
    a = full[:2]
    src_mask = np.zeros((h, w), np.float32)
    cv2.fillPoly(src_mask, [pts.astype(np.int32)], 1.0)
    src_mask = cv2.GaussianBlur(src_mask, (3, 3), 0) * src_mask.max()
    warped = cv2.warpAffine(obj["image"].astype(np.float32), a, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(src_mask, a, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
    new_pts = (np.hstack([pts, np.ones((len(pts), 1))]) @ full.T)[:, :2]
    # The object must cover part of the face (else the sample teaches nothing about occlusion).
    face_mask = np.zeros((h, w), np.uint8)
    for p in face:
        cv2.fillPoly(face_mask, [p.astype(np.int32)], 1)
    covered = float((alpha[..., 0] > 0.5)[face_mask > 0].mean()) if face_mask.any() else 0.0
    if covered < 0.05 or covered > 0.6:
        return None
    # A third of the way toward the target's brightness inside the face.
    target_mean = image[face_mask > 0].mean()
    object_mean = warped[alpha[..., 0] > 0.5].mean()
    warped = warped + (target_mean - object_mean) / 3
    out = image.astype(np.float32) * (1 - alpha) + warped * alpha
    clipped = np.clip(new_pts, 0, [w - 1, h - 1])
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), clipped


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-face", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sources", help="file listing the faces to cut objects from (default: the faces given)")
    parser.add_argument("faces", nargs="+")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    source_paths = args.faces
    if args.sources:
        with open(args.sources, encoding="utf-8") as f:
            source_paths = [line.strip() for line in f if line.strip()]
    objects = []
    for p in source_paths:
        image, shapes = load(p)
        objects += objects_of(p, image, shapes)
    if not objects:
        raise SystemExit("paste_occluders: no EXCLUDE polygons in the source faces")
    for path in args.faces:
        target = load(path)
        stem = os.path.splitext(os.path.basename(path))[0]
        candidates = [o for o in objects if os.path.abspath(o["source"]) != os.path.abspath(path)]
        made = 0
        for _ in range(50 * args.per_face):
            if made == args.per_face:
                break
            result = paste(target, rng.choice(candidates), rng)
            if result is None:
                continue
            image, polygon = result
            obj_label = "exclude-pasted"
            name = f"{stem}_occ{made}"
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok
            with open(path, "rb") as f:
                data = copy_app15(f.read(), encoded.tobytes())
            image_path = os.path.join(args.out, name + ".jpg")
            with open(image_path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(image_path + ".tmp", image_path)
            shapes = target[1] + [(obj_label, [tuple(p) for p in polygon])]
            write_labels(os.path.join(args.out, name + ".json"), shapes, name + ".jpg", image.shape[1], image.shape[0])
            print(image_path)
            made += 1
        if made < args.per_face:
            print(f"paste_occluders: {path}: only {made} of {args.per_face} placements overlapped the face",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
