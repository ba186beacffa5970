// OpenCV's float RGB ↔ HSV (H in degrees 0…360, S and V in 0…1), for the random HSV augmentation.

enum HSVConversion {
    /// (r, g, b) in [0, 1] → (h, s, v), as cv2.cvtColor(COLOR_RGB2HSV) on float data.
    @inline(__always) static func fromRGB(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        let v = max(r, g, b), mn = min(r, g, b)
        let diff = v - mn
        let s = v > 0 ? diff / (abs(v) + Float.ulpOfOne) : 0
        guard diff > 0 else { return (0, s, v) }
        let k = 60 / (diff + Float.ulpOfOne)
        var h: Float
        if v == r { h = (g - b) * k } else if v == g { h = (b - r) * k + 120 } else { h = (r - g) * k + 240 }
        if h < 0 { h += 360 }
        return (h, s, v)
    }

    /// (h, s, v) → (r, g, b), as cv2.cvtColor(COLOR_HSV2RGB) on float data.
    @inline(__always) static func toRGB(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        guard s != 0 else { return (v, v, v) }
        var hh = h / 60
        hh -= (hh / 6).rounded(.down) * 6
        let sector = min(Int(hh.rounded(.down)), 5)
        let f = hh - Float(sector)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch sector {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
