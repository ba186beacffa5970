/// Copies of a few floats (one pixel's channels, a kernel row's taps), of which the engine's gathers and
/// concatenations make hundreds of thousands per step. A loop of 16-float vectors avoids a call to memmove
/// per copy; longer runs still go to memmove.
@inline(__always)
func copyShort(_ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, count: Int) {
    if count > 256 { dst.update(from: src, count: count); return }
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: SIMD16<Float>.self)
        i += 16
    }
    // The tail in 8- and 4-float steps: a kernel row of a few channels (5 taps of 1 channel, 3 of 4) is all tail.
    if i + 8 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self),
                                                    as: SIMD8<Float>.self)
        i += 8
    }
    if i + 4 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self),
                                                    as: SIMD4<Float>.self)
        i += 4
    }
    while i < count { dst[i] = src[i]; i += 1 }
}

/// Sets `count` floats (a few, as in `copyShort`) to zero.
@inline(__always)
func zeroShort(_ dst: UnsafeMutablePointer<Float>, count: Int) {
    if count > 256 { dst.update(repeating: 0, count: count); return }
    var i = 0
    while i + 16 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
        i += 16
    }
    if i + 8 <= count { UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self); i += 8 }
    if i + 4 <= count { UnsafeMutableRawPointer(dst + i).storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self); i += 4 }
    while i < count { dst[i] = 0; i += 1 }
}
