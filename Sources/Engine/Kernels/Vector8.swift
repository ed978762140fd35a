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

    /// The 8×8 matrix whose row r is the eight floats at `source` + r·`sourceStride`, transposed into `target`: row t (at
    /// `target` + t·`targetStride`) holds every source row's float t. Four 4×4 transposes of the halves by pairwise
    /// interleaves, which compile to shuffles.
    @inline(__always)
    static func transpose(_ source: UnsafePointer<Float>, sourceStride: Int, into target: UnsafeMutablePointer<Float>, targetStride: Int) {
        @inline(__always)
        func quarter(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
            -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
            let ab0 = SIMD4(a[0], b[0], a[1], b[1]), ab1 = SIMD4(a[2], b[2], a[3], b[3])
            let cd0 = SIMD4(c[0], d[0], c[1], d[1]), cd1 = SIMD4(c[2], d[2], c[3], d[3])
            return (SIMD4(ab0[0], ab0[1], cd0[0], cd0[1]), SIMD4(ab0[2], ab0[3], cd0[2], cd0[3]),
                    SIMD4(ab1[0], ab1[1], cd1[0], cd1[1]), SIMD4(ab1[2], ab1[3], cd1[2], cd1[3]))
        }
        let r0 = load(source), r1 = load(source + sourceStride), r2 = load(source + 2 * sourceStride), r3 = load(source + 3 * sourceStride)
        let r4 = load(source + 4 * sourceStride), r5 = load(source + 5 * sourceStride), r6 = load(source + 6 * sourceStride)
        let r7 = load(source + 7 * sourceStride)
        let lowTop = quarter(r0.lowHalf, r1.lowHalf, r2.lowHalf, r3.lowHalf), lowBottom = quarter(r4.lowHalf, r5.lowHalf, r6.lowHalf, r7.lowHalf)
        let highTop = quarter(r0.highHalf, r1.highHalf, r2.highHalf, r3.highHalf)
        let highBottom = quarter(r4.highHalf, r5.highHalf, r6.highHalf, r7.highHalf)
        store(SIMD8(lowHalf: lowTop.0, highHalf: lowBottom.0), target)
        store(SIMD8(lowHalf: lowTop.1, highHalf: lowBottom.1), target + targetStride)
        store(SIMD8(lowHalf: lowTop.2, highHalf: lowBottom.2), target + 2 * targetStride)
        store(SIMD8(lowHalf: lowTop.3, highHalf: lowBottom.3), target + 3 * targetStride)
        store(SIMD8(lowHalf: highTop.0, highHalf: highBottom.0), target + 4 * targetStride)
        store(SIMD8(lowHalf: highTop.1, highHalf: highBottom.1), target + 5 * targetStride)
        store(SIMD8(lowHalf: highTop.2, highHalf: highBottom.2), target + 6 * targetStride)
        store(SIMD8(lowHalf: highTop.3, highHalf: highBottom.3), target + 7 * targetStride)
    }
}
