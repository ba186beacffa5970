import Imaging
import NeuralNet

extension XSegNetwork {
    /// The network input for aligned faces (docs/xseg.md, "Input"): 8-bit RGB faces as value / 255, resized
    /// to `resolution`×`resolution` with Lanczos-4 on the float values (as cv2.resize on float32) when their
    /// size differs, then clipped to [0, 1] when `clip` is true. DFL's trainer clips (after augmentation);
    /// its `xseg apply` does not.
    ///
    /// The channels stay RGB: the network's weights are for RGB (`XSegModelFolder` converts DFL's BGR ones).
    /// Shapes: faces → (faces.count, resolution, resolution, 3).
    public func inputTensor(_ faces: [Image], clip: Bool = true) throws -> Tensor {
        for (i, face) in faces.enumerated() {
            guard face.channels == XSegNetwork.inputChannels, !face.isEmpty else {
                throw XSegError("face \(i) has \(face.channels) channels and size \(face.width)×\(face.height); XSeg needs a 3-channel (RGB) face")
            }
        }
        return try inputTensor(floats: faces.map { face in
            FloatImage(width: face.width, height: face.height, channels: 3, data: face.pixels.map { Float($0) / 255 })
        }, clip: clip)
    }

    /// The network input for faces already as float images (RGB, 8-bit value / 255 as `inputTensor(_:clip:)`
    /// makes them): resized to `resolution` with Lanczos-4 when their size differs, clipped when `clip`.
    public func inputTensor(floats faces: [FloatImage], clip: Bool = true) throws -> Tensor {
        let r = resolution, per = r * r * XSegNetwork.inputChannels
        let x = Tensor(shape: [faces.count, r, r, XSegNetwork.inputChannels])
        for (i, face) in faces.enumerated() {
            guard face.channels == XSegNetwork.inputChannels, face.width > 0, face.height > 0 else {
                throw XSegError("face \(i) has \(face.channels) channels and size \(face.width)×\(face.height); XSeg needs a 3-channel (RGB) face")
            }
            var f = face
            if face.width != r || face.height != r { f = f.resized(width: r, height: r, method: .lanczos4) }
            let out = x.data + i * per
            for j in 0..<per { let v = f.data[j]; out[j] = clip ? min(max(v, 0), 1) : v }
        }
        return x
    }
}

/// An XSeg error with a message for the user (folder problems name the file).
public struct XSegError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}
