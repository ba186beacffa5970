// dfl-info --model: a model's description as one JSON object, for dfl-train's model directories and
// DeepFaceLab model folders alike (the DFL folder's data.dat is read; no weights are loaded).
import FaceSet
import Foundation
import ModelStore

/// `{"path", "format", ["name", ]"class", "config", "channels", "face_type", "iteration", "loss_rows",
/// "options" (ours, as model.json holds them), "dfl_options" (DFL's keys: as stored, or as an export would
/// write them)}`.
func modelInfoJSON(path: String, dflName: String?) throws -> String {
    let description = try ModelStore.describe(path, dflName: dflName)
    let state = description.state
    var fields = ["\"path\":" + PickleJSON.string(path)]
    switch description.location {
    case .ours: fields.append("\"format\":" + PickleJSON.string("dfl-train"))
    case .deepFaceLab(let folder):
        fields.append("\"format\":" + PickleJSON.string("deepfacelab"))
        fields.append("\"name\":" + PickleJSON.string(folder.name))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let options = String(decoding: try encoder.encode(state.options), as: UTF8.self)
    fields += ["\"class\":" + PickleJSON.string(DFLFiles.className(channels: state.options.channels)),
               "\"config\":" + PickleJSON.string(state.options.config), "\"channels\":\(state.options.channels)",
               "\"face_type\":" + PickleJSON.string(state.options.faceType.shortName), "\"iteration\":\(state.iteration)",
               "\"loss_rows\":\(description.lossRows)", "\"options\":" + options,
               "\"dfl_options\":" + PickleJSON.encode(description.dflOptions)]
    return "{" + fields.joined(separator: ",") + "}"
}
