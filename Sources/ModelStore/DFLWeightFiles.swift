// DeepFaceLab's weight and optimizer files (docs/dfl-model-folder.md §7): which files a model has, and
// reading their pickles safely. Each `.npy` is a pickled dict {key: numpy array}: weights keyed by the TF
// variable name without its network scope (`down1/downs_0/conv1/weight:0`), optimizer slots by
// `ms_`/`vs_`/`acc_` + the full name with ':' → '_' + ':0', and `iters:0`.
//
// Our parameter names are DFL's (`encoder.down1.downs_0.conv1.weight`), in DFL's creation order, with the
// same layouts (conv HWIO, dense (in, out), (c, h, w) flatten), so the mapping is mechanical: network =
// first name component = file, the rest joined by '/' = key. Pickles go through FaceSet's whitelist reader
// (only numpy arrays, dtypes and scalars are interpreted; any other global is an error here) and writer.
import AtomicIO
import FaceSet
import Foundation
import NeuralNet
import SAEHD

/// Which files a DFL SAEHD model has. Our network names are DFL's scopes and file suffixes.
public enum DFLFiles {
    /// The autoencoder's network files (docs/dfl-model-folder.md §7): df → encoder, inter, decoder_src, decoder_dst;
    /// liae → encoder, inter_AB, inter_B, decoder.
    public static func networks(_ archi: ModelConfig.Archi) -> [String] {
        archi == .df ? ["encoder", "inter", "decoder_src", "decoder_dst"] : ["encoder", "inter_AB", "inter_B", "decoder"]
    }

    /// Optimizer files and the networks whose weights each holds slots for.
    public static func optimizers(_ archi: ModelConfig.Archi) -> [(file: String, networks: [String])] {
        [("src_dst_opt", networks(archi))]
    }

    /// The discriminators' files: the GAN's `GAN.npy` with `GAN_opt.npy`, true face's
    /// `code_discriminator.npy` with `D_code_opt.npy` (docs/dfl-model-folder.md §7).
    public static func optimizerFile(discriminator network: String) -> String {
        network == "GAN" ? "GAN_opt" : "D_code_opt"
    }

    /// The TF scope of a network's weights in optimizer keys: the file name, except `D_src` for GAN.npy
    /// and `dis` for code_discriminator.npy.
    public static func scope(of network: String) -> String {
        switch network {
        case "GAN": return "D_src"
        case "code_discriminator": return "dis"
        default: return network
        }
    }

    /// DFL's class name for a channel count (docs/saehd-model.md §6.2, docs/dfl-model-folder.md §7): SAEHDBW for 1-channel models.
    public static func className(channels: Int) -> String { channels == 1 ? "SAEHDBW" : "SAEHD" }
    public static let classNames = ["SAEHD", "SAEHDBW"]

    /// The optimizer-slot key of a weight: `ms_encoder/down1/conv1/weight_0:0` for slot `ms` of
    /// `encoder.down1.conv1.weight`.
    public static func slotKey(_ prefix: String, parameter name: String) -> String {
        var parts = name.split(separator: ".").map(String.init)
        parts[0] = scope(of: parts[0])
        return prefix + "_" + parts.joined(separator: "/") + "_0:0"
    }

    /// Largest weight file read (DFL models at 640 px with large dims stay well below).
    public static let maxWeightFileBytes = 8 << 30
    /// Largest data.dat read (it holds the loss history and the preview batch).
    public static let maxDataFileBytes = 2 << 30
}

/// Reading DFL's pickles through the whitelist reader.
extension DFLFiles {
    /// A pickle file through the whitelist reader (`DFLPickleFile.read`).
    static func readPickle(_ path: String, limit: Int) throws -> PickleValue {
        do { return try DFLPickleFile.read(path, limit: limit) } catch let e as DFLPickleFile.ReadError {
            throw TrainerError.corruptModel(e.description)
        }
    }

    /// A weight or optimizer file (`DFLPickleFile.arrays`).
    static func readArrays(_ path: String, allowIntegers: Bool = false) throws -> [String: NDArray] {
        do { return try DFLPickleFile.arrays(path, limit: DFLFiles.maxWeightFileBytes, allowIntegers: allowIntegers) }
        catch let e as DFLPickleFile.ReadError { throw TrainerError.corruptModel(e.description) }
    }

    /// Copies array `a` into `t` (float16 widened); the shapes must match exactly.
    static func copy(_ a: NDArray, into t: Tensor, what: String, path: String) throws {
        guard a.shape == t.shape else {
            throw TrainerError.corruptModel("\(path): \(what) has shape \(a.shape), the model needs \(t.shape)")
        }
        let values = try a.floats()
        values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
    }
}
