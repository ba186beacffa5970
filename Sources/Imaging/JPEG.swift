// JPEG through libturbojpeg's classic (2.x) API.
import CTurboJPEG

/// Decodes a baseline or progressive JPEG. A 1-component (grayscale) file gives a 1-channel image, anything
/// else 3 channels in RGB order. Uses the accurate integer DCT, as libjpeg's and OpenCV's default decoder
/// does. Any libjpeg warning (for example a truncated file) is treated as an error.
public func decodeJPEG(_ bytes: [UInt8]) throws -> Image {
    guard !bytes.isEmpty else { throw ImagingError.emptyInput }
    guard let handle = tjInitDecompress() else { throw ImagingError.invalidJPEG("cannot create decoder") }
    defer { tjDestroy(handle) }
    return try bytes.withUnsafeBufferPointer { src -> Image in
        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        if tjDecompressHeader3(handle, src.baseAddress, UInt(src.count), &width, &height, &subsamp,
                               &colorspace) != 0 {
            throw ImagingError.invalidJPEG(turboMessage(handle))
        }
        let gray = colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        try ImageLimits.check(width: Int(width), height: Int(height), channels: channels)
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = gray ? TJPF_GRAY : TJPF_RGB
        let rc = pixels.withUnsafeMutableBufferPointer { dst in
            tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, width,
                          width * Int32(channels), height, Int32(format.rawValue), TJFLAG_ACCURATEDCT)
        }
        if rc != 0 { throw ImagingError.invalidJPEG(turboMessage(handle)) }
        return Image(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
    }
}

/// Encodes a 1-channel image as a 1-component (grayscale) JPEG and a 3-channel RGB image as YCbCr.
/// Chroma is kept at full resolution (4:4:4) at quality 100 and subsampled 4:2:0 below, as OpenCV does by
/// default. A 4-channel image is rejected (drop alpha first). `quality` is clamped to 1...100.
public func encodeJPEG(_ image: Image, quality: Int) throws -> [UInt8] {
    guard !image.isEmpty else { throw ImagingError.unsupported("empty image") }
    guard image.channels == 1 || image.channels == 3 else {
        throw ImagingError.unsupported("JPEG needs 1 or 3 channels, got \(image.channels)")
    }
    guard image.width <= 65_535, image.height <= 65_535 else {
        throw ImagingError.tooLarge(width: image.width, height: image.height)
    }
    let q = Int32(min(max(quality, 1), 100))
    let format = image.channels == 1 ? TJPF_GRAY : TJPF_RGB
    let subsamp = image.channels == 1 ? TJSAMP_GRAY : (q >= 100 ? TJSAMP_444 : TJSAMP_420)
    guard let handle = tjInitCompress() else { throw ImagingError.encodeFailed("cannot create encoder") }
    defer { tjDestroy(handle) }
    var out: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    defer { if let out { tjFree(out) } }
    let rc = image.pixels.withUnsafeBufferPointer { src in
        tjCompress2(handle, src.baseAddress, Int32(image.width), Int32(image.width * image.channels),
                    Int32(image.height), Int32(format.rawValue), &out, &size, Int32(subsamp.rawValue), q,
                    TJFLAG_ACCURATEDCT)
    }
    guard rc == 0, let out else { throw ImagingError.encodeFailed(turboMessage(handle)) }
    return Array(UnsafeBufferPointer(start: out, count: Int(size)))
}

private func turboMessage(_ handle: tjhandle) -> String {
    guard let c = tjGetErrorStr2(handle) else { return "unknown libturbojpeg error" }
    return String(cString: c)
}
