// Samples: the SAEHD training sample generator (docs/saehd-model.md §5, §3.1;
// SAEHDBW's differences: docs/saehd-model.md §8).
//
// - `FaceRecord` (one aligned face: pixels, landmarks, face type, XSeg mask; `init(faceFile:)` reads a DFL
//   JPEG/PNG) → `FaceStore` (faces converted once to the model's face type and resolution, with full and
//   eyes/mouth masks, 8-bit; `load(files:)`, `load(pak:)`, `load(count:read:)` prepare on all cores).
// - `WarpParameters` (rotation, scale, shift, 40 % flip, random elastic grid) and `SampleProcessor.process`
//   (one face → warped input, target, full mask, eyes/mouth mask, in DFL's order).
// - `BatchGenerator` (seeded face choice: shuffled epochs or uniform-yaw bins, ct_mode pairing; batch k's
//   augmentation seeded from (seed, k)) → `SampleBatch` (src and dst `SideBatch`es of NHWC floats;
//   `copyConcatenated` fills the SAEHD model's src-then-dst tensors).
// - `BatchProducer`: worker threads keeping a bounded queue of ready batches; same sequence for any number
//   of workers, `skip:` to resume.
// Geometry is Imaging's (OpenCV-exact warpAffine/resize); `remap` lives here until Imaging has one.
