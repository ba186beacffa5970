// Small pixel helpers the sort methods need. The gray conversion is temporary until Imaging's lands on
// main; the rest (masking, channel-0 view, plane extraction) is specific to how DFL's sorters read faces.
import Imaging

enum LocalImageOps {
    /// OpenCV's 8-bit RGB→gray (BGR2GRAY on DFL's BGR data): Y = 0.299 R + 0.587 G + 0.114 B in 15-bit
    /// fixed point with rounding (OpenCV's RY15/GY15/BY15). A 1-channel image is returned as is; for 4 channels alpha is ignored.
    static func gray(_ image: Image) -> [UInt8] {
        if image.channels == 1 { return image.pixels }
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n)
        let c = image.channels
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let r = Int(src[i * c]), g = Int(src[i * c + 1]), b = Int(src[i * c + 2])
                    dst[i] = UInt8((r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15)
                }
            }
        }
        return out
    }
}

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
        LocalImageOps.gray(image)
    }

    /// The colour channels only (alpha dropped), as planes in the image's channel order.
    static func colourChannelCount(_ image: Image) -> Int {
        image.channels == 4 ? 3 : image.channels
    }
}
