// ColorTransfer: DFL's colour-transfer modes (core/imagelib/color_transfer.py;
// docs/saehd-model.md §5.3), shared by training (ct_mode) and merging.
//
// - `colorTransfer(mode, image, toward: reference, seed:)` dispatches and checks channel support;
//   `reinhardColorTransfer` (rct), `linearColorTransfer` (lct), `mongeKantorovichColorTransfer` (mkl),
//   `iterativeDistributionTransfer` (idt), `slicedOptimalTransfer` (sot) are the modes themselves.
// - 1-channel images: lct, sot, idt. rct and mkl need 3 channels (as in SAEHDBW).
// - `bilateralFilter` (sot's regularisation) matches cv2.bilateralFilter on float images to 1e-5;
//   the float RGB↔Lab conversion follows OpenCV's formulas (OpenCV itself interpolates tables, ±0.15).
// - `SeededGenerator` (xoshiro256**) is the seeded RNG idt/sot draw from; the sample generator uses it too.
