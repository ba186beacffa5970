// Held-out faces should be faces the model never trains on. A face that is also in --src or --dst (the
// same image, from the same file or a copy) makes the held-out figure partly a training figure, so the
// trainer warns about it.
import Samples

/// Indexes of the faces of `heldOut` whose prepared image equals one in `training` (pixel for pixel).
public func sharedFaces(_ heldOut: FaceStore, in training: [FaceStore]) -> [Int] {
    var byHash: [Int: [[UInt8]]] = [:]
    for store in training {
        for face in store.faces { byHash[face.image.pixels.hashValue, default: []].append(face.image.pixels) }
    }
    return heldOut.faces.indices.filter { i in
        let pixels = heldOut.faces[i].image.pixels
        return byHash[pixels.hashValue]?.contains(pixels) ?? false
    }
}
