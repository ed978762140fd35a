/// Unaligned loads and stores of eight floats, and moves across lanes, for the engine's Swift vector loops (pooling, the
/// 8-wide planes' im2col and col2im).
enum Vector8 {
    static let lanes = 8

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    /// The first `count` lanes: a whole vector when `count` is 8, else lane by lane, so nothing past them is written (the
    /// end of a row, where the next values belong to another worker or to no one).
    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int = lanes) {
        if count == lanes {
            UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<count { p[lane] = value[lane] }
        }
    }

    /// Lane k holds v[k − 1], lane 0 zero: a row of eight pixels moved one pixel right.
    @inline(__always)
    static func movedRight(_ v: SIMD8<Float>) -> SIMD8<Float> { SIMD8(0, v[0], v[1], v[2], v[3], v[4], v[5], v[6]) }

    /// Lane k holds v[k + 1], lane 7 zero: a row of eight pixels moved one pixel left.
    @inline(__always)
    static func movedLeft(_ v: SIMD8<Float>) -> SIMD8<Float> { SIMD8(v[1], v[2], v[3], v[4], v[5], v[6], v[7], 0) }
}
