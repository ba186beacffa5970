#!/usr/bin/env python3
"""Writes DFLReferenceFaces.swift from the DFL-made fixture faces' expected.jsonl (plain json, no DFL code).
Usage: python3 make_dfl_reference.py Tests/FaceSetTests/Fixtures/dfl/expected.jsonl > DFLReferenceFaces.swift"""
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
names = {'whole_face': 'wholeFace', 'head': 'head', 'full_face': 'full'}
out = ["// Reference values from faces written by DeepFaceLab's own code (commit 46fc2397): its",
       "// `get_transform_mat` on `source_landmarks` gave `image_to_face_mat`, and `landmarks` are the aligned points.",
       "// Copied from Tests/FaceSetTests/Fixtures/dfl/expected.jsonl (program output over public-domain photos; see",
       "// that fixture's README) by Tests/FaceAlignTests/make_dfl_reference.py.", "",
       "import FaceSet", "",
       "struct DFLReferenceFace {",
       "    let name: String",
       "    let faceType: FaceType",
       "    let size: Int",
       "    let sourceLandmarks: [[Double]]",
       "    let landmarks: [[Double]]",
       "    let imageToFaceMat: [[Double]]",
       "}", "",
       "let dflReferenceFaces: [DFLReferenceFace] = ["]
seen = set()
for x in rows:
    if x['path'] in seen:
        continue
    seen.add(x['path'])
    def arr(a):
        return "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in a) + "]"
    out.append("    DFLReferenceFace(")
    out.append(f"        name: \"{x['path']}\", faceType: .{names[x['face_type']]}, size: {x['shape'][0]},")
    out.append(f"        sourceLandmarks: {arr(x['source_landmarks'])},")
    out.append(f"        landmarks: {arr(x['landmarks'])},")
    out.append(f"        imageToFaceMat: {arr(x['image_to_face_mat'])}),")
out.append("]")
print("\n".join(out))
