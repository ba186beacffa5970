// dfl-info --model: a model's description as one JSON object, for dfl-train's model directories and
// DeepFaceLab model folders alike (the DFL folder's data.dat is read; no weights are loaded).
import FaceSet
import Foundation
import Trainer

/// `{"path", "format", ["name", ]"class", "config", "channels", "face_type", "iteration", "loss_rows",
/// "options" (ours, as model.json holds them), "dfl_options" (DFL's keys: as stored, or as an export would
/// write them)}`.
func modelInfoJSON(path: String, dflName: String?) throws -> String {
    let state: ModelState, losses: Int, format: String, dflOptions: PickleValue
    var name: String?
    let directory = ModelDirectory(path)
    if directory.hasModel {
        state = try directory.loadState()
        losses = LossLog.read(path: directory.lossLogPath, upTo: state.iteration).count
        format = "dfl-train"
        dflOptions = try DFLModelFolder.dflOptions(for: state.options)
    } else {
        let folder = try DFLModelFolder.open(path, name: dflName)
        let data = try folder.readData()
        state = data.state
        losses = data.losses.count
        format = "deepfacelab"
        dflOptions = data.options
        name = folder.name
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let options = String(decoding: try encoder.encode(state.options), as: UTF8.self)
    var fields = ["\"path\":" + PickleJSON.string(path), "\"format\":" + PickleJSON.string(format)]
    if let name { fields.append("\"name\":" + PickleJSON.string(name)) }
    fields += ["\"class\":" + PickleJSON.string(DFLFiles.className(channels: state.options.channels)),
               "\"config\":" + PickleJSON.string(state.options.config), "\"channels\":\(state.options.channels)",
               "\"face_type\":" + PickleJSON.string(state.options.faceType), "\"iteration\":\(state.iteration)",
               "\"loss_rows\":\(losses)", "\"options\":" + options, "\"dfl_options\":" + PickleJSON.encode(dflOptions)]
    return "{" + fields.joined(separator: ",") + "}"
}
