// ModelStore: models on disk, for every tool (dfl-train, dfl-merge, dfl-info).
//
// - `TrainingOptions` (typed; model.json's keys and strings in its Codable conformance) and `ModelState`.
// - `ModelDirectory`: crash-safe saves. Each save is a new, fsynced generation directory under saves/;
//   the `current` and `previous` symlinks are switched with rename(2), and model.json,
//   weights.safetensors, optimizer.safetensors in the model directory are fixed links through `current`
//   (so the flat file names still work for readers such as numpy or PyTorch). `backupCurrent` keeps dated
//   hard-link copies under backups/; `restore` starts a new directory from any save (`--from`).
// - `RowLog` (`LossLog`, `QualityLog`): loss.csv and quality.csv, cut back to the saved iteration on opening.
// - DeepFaceLab's model folder: `DFLOptions` (data.dat's options), `DFLWeightFiles` (the pickled weight
//   and optimizer files), `DFLModelFolder` (finding, loading with BGR → RGB, exporting).
// - `ModelStore.locate` / `open` / `describe` / `importDFL` / `exportDFL`: the one door to a model.
