/// Unaligned loads and stores of eight floats, for the engine's Swift vector loops (pooling).
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
}
