// Trainer: everything dfl-train does around the SAEHD training step.
//
// - `TrainingOptions` (model.json's options; fixed vs changeable on resume) and `ModelState`.
// - `ModelDirectory`: crash-safe saves. Each save is a new, fsynced generation directory under saves/;
//   the `current` and `previous` symlinks are switched with rename(2), and model.json,
//   weights.safetensors, optimizer.safetensors in the model directory are fixed links through `current`
//   (so the flat file names of docs/ARCHITECTURE.md still work for readers such as numpy or PyTorch). `backupCurrent` keeps
//   dated hard-link copies under backups/.
// - `loadFaceStore` / `FaceSetSource`: a folder, list file, .pak or stdin list into a Samples.FaceStore,
//   with errors for bad faces, mixed sizes or channels and empty sets before any training.
// - `TrainingSession.run`: the loop (BatchProducer ahead of the step, loss.csv via `LossLog`, previews,
//   autosaves, backups, stop requests from `StopRequest`).
// - `Predictor`: src→src, dst→dst and dst→src predictions (through SAEHDModel.computeGradients, the only
//   forward pass the SAEHD module exposes; the gradients are cleared afterwards).
// - `Preview` (grid and loss plot) and `Quality` (masked luma SSIM and PSNR for --reconstruct).
