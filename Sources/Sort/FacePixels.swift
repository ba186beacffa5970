// How DFL's sorters prepare a face's pixels: masking by the landmark hull and the one gray plane the
// sharpness and histogram measures read.
import Imaging

/// Pixel-level preparation shared by the methods.
public enum FacePixels {
    /// The face with every sample outside `mask` set to 0, as DFL's sorters multiply the image by the
    /// hull mask. `mask` holds `width * height` values; non-zero means inside.
    public static func masked(_ image: Image, by mask: [UInt8]) -> Image {
        precondition(mask.count == image.width * image.height, "mask size does not match the image")
        var out = image
        let c = image.channels
        out.pixels.withUnsafeMutableBufferPointer { px in
            mask.withUnsafeBufferPointer { m in
                for i in 0..<m.count where m[i] == 0 {
                    for k in 0..<c { px[i * c + k] = 0 }
                }
            }
        }
        return out
    }

    /// The single gray plane DFL's sorters measure: luma of a colour face, or the face itself when it
    /// has one channel (the SAEHDBW rule of taking channel 0 directly).
    public static func grayPlane(_ image: Image) -> [UInt8] {
        image.toGray().pixels
    }

    /// The colour channels only (alpha dropped), as planes in the image's channel order.
    static func colourChannelCount(_ image: Image) -> Int {
        image.channels == 4 ? 3 : image.channels
    }
}
