// Merge: DFL's per-frame merger (docs/saehd-model.md §7), independent of the networks.
//
// - `FacePredictor` is the model as the merger sees it (dst face in, predicted face and masks out);
//   `IdentityPredictor` is the no-network stand-in for geometry tests and benchmarks. dfl-merge adapts a
//   trained SAEHD model to it.
// - `FaceSegmenter` is the XSeg network of the XSeg mask modes as the merger sees it (a face crop at its
//   resolution and face type in, DFL's extract mask out); `XSegFaceMasks` cuts the crops and maps the masks
//   back into the work mask (docs/xseg.md, "XSeg in the merger"). dfl-merge adapts a DFL XSeg folder to it.
// - `FrameMerger(predictor:settings:).merge(frame:faces:)` runs MergeMaskedFace for every `FrameFace` of a
//   frame: re-align from source_landmarks (transformMatrix), predict, work mask (`MaskMode`), erode/blur in
//   4r-mask pixels (`shapeMask`), inverse warp into the face's frame rectangle only, then the `MergeMode`
//   (overlay, hist-match, seamless via `poissonBlend`, …), colour transfer (ColorTransfer), output
//   sharpening (`blurSharpen`). `ColorMode` decides how gray models meet colour frames (`replaceLuma`;
//   `ChromaMode` sets luma mode's chroma where the prediction differs from the dst face).
// - Deliberate differences from DFL: 8-bit output is rounded, not truncated; rct uses the whole crops (DFL
//   zeroes Lab outside the mask first); the `dst` hull is drawn in crop space, not warped from the frame;
//   super resolution, denoise, bicubic and colour degrade are not implemented.
