import Foundation

/// How different two colours look to a person: CIEDE2000 (Sharma, Wu and
/// Dalal 2005) on CIELAB under D65. About 2 is a just-noticeable difference;
/// the themes keep every pair that must be told apart at least 20 apart.
public enum ColorDifference {
    /// CIELAB coordinates of an sRGB colour.
    public static func lab(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (l: Double, a: Double, b: Double) {
        func linear(_ channel: UInt8) -> Double {
            let c = Double(channel) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        let (rl, gl, bl) = (linear(r), linear(g), linear(b))
        let x = (0.4124564 * rl + 0.3575761 * gl + 0.1804375 * bl) / 0.95047
        let y = 0.2126729 * rl + 0.7151522 * gl + 0.0721750 * bl
        let z = (0.0193339 * rl + 0.1191920 * gl + 0.9503041 * bl) / 1.08883
        func f(_ t: Double) -> Double { t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116 }
        return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))
    }

    /// ΔE₀₀ between two sRGB colours.
    public static func ciede2000(_ first: (UInt8, UInt8, UInt8), _ second: (UInt8, UInt8, UInt8)) -> Double {
        ciede2000(lab: lab(first.0, first.1, first.2), lab: lab(second.0, second.1, second.2))
    }

    /// ΔE₀₀ between two CIELAB colours.
    public static func ciede2000(lab p: (l: Double, a: Double, b: Double), lab q: (l: Double, a: Double, b: Double)) -> Double {
        let degrees = 180 / Double.pi
        let meanChroma = (hypot(p.a, p.b) + hypot(q.a, q.b)) / 2
        let g = 0.5 * (1 - sqrt(pow(meanChroma, 7) / (pow(meanChroma, 7) + pow(25, 7))))
        let (a1, a2) = ((1 + g) * p.a, (1 + g) * q.a)
        let (c1, c2) = (hypot(a1, p.b), hypot(a2, q.b))
        func hue(_ b: Double, _ a: Double) -> Double {
            guard a != 0 || b != 0 else { return 0 }
            let h = atan2(b, a) * degrees
            return h < 0 ? h + 360 : h
        }
        let (h1, h2) = (hue(p.b, a1), hue(q.b, a2))
        let deltaL = q.l - p.l, deltaC = c2 - c1
        var deltaH = 0.0
        if c1 * c2 != 0 {
            deltaH = h2 - h1
            if deltaH > 180 { deltaH -= 360 } else if deltaH < -180 { deltaH += 360 }
        }
        let deltaBigH = 2 * sqrt(c1 * c2) * sin(deltaH / 2 / degrees)
        let meanL = (p.l + q.l) / 2, meanC = (c1 + c2) / 2
        var meanH = h1 + h2
        if c1 * c2 != 0 {
            if abs(h1 - h2) <= 180 { meanH /= 2 } else { meanH = (h1 + h2 + (h1 + h2 < 360 ? 360 : -360)) / 2 }
        }
        let t = 1 - 0.17 * cos((meanH - 30) / degrees) + 0.24 * cos(2 * meanH / degrees)
            + 0.32 * cos((3 * meanH + 6) / degrees) - 0.20 * cos((4 * meanH - 63) / degrees)
        let deltaTheta = 30 * exp(-pow((meanH - 275) / 25, 2))
        let rc = 2 * sqrt(pow(meanC, 7) / (pow(meanC, 7) + pow(25, 7)))
        let sl = 1 + 0.015 * pow(meanL - 50, 2) / sqrt(20 + pow(meanL - 50, 2))
        let sc = 1 + 0.045 * meanC
        let sh = 1 + 0.015 * meanC * t
        let rt = -sin(2 * deltaTheta / degrees) * rc
        return sqrt(pow(deltaL / sl, 2) + pow(deltaC / sc, 2) + pow(deltaBigH / sh, 2)
                    + rt * (deltaC / sc) * (deltaBigH / sh))
    }
}
