// Trainer: everything dfl-train does around the SAEHD training step. Models on disk (options, saves,
// backups, logs, DFL folders) are ModelStore's; the network is SAEHD's.
//
// - `loadFaceStore` / `FaceSetSource`: a folder, list file, .pak or stdin list into a Samples.FaceStore,
//   with errors for bad faces, mixed sizes or channels and empty sets before any training.
// - `TrainingSession.run`: the loop (BatchProducer ahead of the step, loss.csv via ModelStore's `LossLog`,
//   previews, autosaves, backups, held-out evaluation into quality.csv, stop requests from `StopRequest`).
// - `Predictor`: src→src, dst→dst and dst→src predictions, a batch at a time, through
//   `SAEHDModel.forward(path:)` (inference: no backward pass, no gradient buffers).
// - `Preview` (grid and loss plot) and `Quality` (masked luma SSIM and PSNR for --reconstruct and --holdout).
