// One face at a time through an XSeg network for inference (docs/xseg.md, "XSeg in the merger"): a float RGB
// face at the network's resolution in, DFL's `extract` mask out. The network keeps forward state, so calls are
// serialised with a lock and one masker can be shared by threads (the merger runs frames in parallel).
import FaceSet
import Foundation
import Imaging
import NeuralNet

/// An XSeg network as a face → mask function, with the face type its model was trained on.
public final class XSegFaceMasker: @unchecked Sendable {
    public let network: XSegNetwork
    /// The face type of the model's training crops (XSeg_data.dat's `face_type`), nil when unknown.
    public let faceType: FaceType?
    public var resolution: Int { network.resolution }
    private let input: Tensor
    private let lock = NSLock()

    public init(network: XSegNetwork, faceType: FaceType?) {
        self.network = network
        self.faceType = faceType
        network.pretrain = false
        input = Tensor(shape: [1, network.resolution, network.resolution, XSegNetwork.inputChannels])
    }

    /// A loaded model: its network, and its face type when its state says one (a folder without
    /// `XSeg_data.dat` says none). Throws for a face type that is not one of DFL's short names.
    public convenience init(model: XSegModel) throws {
        var type: FaceType?
        if let name = model.state?.faceType {
            guard let t = FaceType.allCases.first(where: { $0.shortName == name }) else {
                throw XSegError("the XSeg model's face type '\(name)' is not one of h, mf, f, wf, head")
            }
            type = t
        }
        self.init(network: model.network, faceType: type)
    }

    /// DFL's `XSegNet.extract` of one RGB face (`resolution`², 3 channels, values as given, not clipped, as
    /// DFL's merger feeds them): the sigmoid, values below 0.1 set to 0; `resolution`², 1 channel.
    public func mask(_ face: FloatImage) throws -> FloatImage {
        let r = resolution
        guard face.width == r, face.height == r, face.channels == XSegNetwork.inputChannels else {
            throw XSegError("face \(face.width)×\(face.height)×\(face.channels) does not fit the XSeg network (\(r)×\(r)×3)")
        }
        lock.lock()
        defer { lock.unlock() }
        face.data.withUnsafeBufferPointer { input.data.update(from: $0.baseAddress!, count: r * r * 3) }
        let out = XSegNetwork.extract(network.forward(input))
        return FloatImage(width: r, height: r, channels: 1, data: Array(UnsafeBufferPointer(start: out.data, count: r * r)))
    }
}
