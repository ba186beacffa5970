// PNG through libpng's simplified API (8 bits per sample).
import CPNG

/// Decodes a PNG to 8 bits per sample. Gray gives 1 channel, colour 3 (RGB), colour with alpha 4 (RGBA).
/// Gray with alpha gives 4 channels (RGBA with R = G = B), as OpenCV's `IMREAD_UNCHANGED` does (it returns
/// BGRA for such files). Palette images expand to RGB or RGBA; 16-bit files are reduced to 8 bits by libpng.
public func decodePNG(_ bytes: [UInt8]) throws -> Image {
    guard !bytes.isEmpty else { throw ImagingError.emptyInput }
    return try bytes.withUnsafeBytes { raw -> Image in
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        // The source pointer must stay valid until finish_read: everything happens inside this closure.
        guard png_image_begin_read_from_memory(&img, raw.baseAddress, raw.count) != 0 else {
            let message = pngMessage(&img)
            png_image_free(&img)
            throw ImagingError.invalidPNG(message)
        }
        let hasAlpha = img.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let hasColor = img.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let channels = hasAlpha ? 4 : (hasColor ? 3 : 1)
        img.format = hasAlpha ? UInt32(PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA) : (hasColor ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY))
        let width = Int(img.width), height = Int(img.height)
        do { try ImageLimits.check(width: width, height: height, channels: channels) } catch {
            png_image_free(&img)
            throw error
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&img, nil, dst.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            let message = pngMessage(&img)
            png_image_free(&img)
            throw ImagingError.invalidPNG(message)
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}

/// Encodes an 8-bit gray, RGB or RGBA image as PNG. `fast` sets `PNG_IMAGE_FLAG_FAST` (about 4× faster,
/// larger files): use it for previews and intermediate frames.
public func encodePNG(_ image: Image, fast: Bool = false) throws -> [UInt8] {
    guard !image.isEmpty else { throw ImagingError.unsupported("empty image") }
    var img = png_image()
    img.version = UInt32(PNG_IMAGE_VERSION)
    img.width = UInt32(image.width)
    img.height = UInt32(image.height)
    img.format = image.channels == 4 ? UInt32(PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)
        : (image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY))
    img.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
    let stride = Int32(image.width * image.channels)
    return try image.pixels.withUnsafeBytes { src -> [UInt8] in
        // One pass into a buffer that fits any realistic result (raw size plus zlib and chunk overhead);
        // libpng reports the size it needs when it does not fit, and we retry once with that.
        let raw = (image.width * image.channels + 1) * image.height
        var size = raw + raw / 64 + 4096
        var out = [UInt8](repeating: 0, count: size)
        var ok = out.withUnsafeMutableBytes { dst in
            png_image_write_to_memory(&img, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
        }
        if ok == 0 && size > out.count {
            png_image_free(&img)
            img.warning_or_error = 0
            out = [UInt8](repeating: 0, count: size)
            ok = out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&img, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
            }
        }
        guard ok != 0 else {
            let message = pngMessage(&img)
            png_image_free(&img)
            throw ImagingError.encodeFailed(message)
        }
        out.removeSubrange(size...)
        return out
    }
}

private func pngMessage(_ img: inout png_image) -> String {
    withUnsafeBytes(of: &img.message) { raw in
        let bytes = raw.prefix { $0 != 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? "unknown libpng error" : text
    }
}
