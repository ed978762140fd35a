import Engine

/// A geometric inverse matrix that maps every output pixel centre exactly onto an input pixel centre
/// (a signed axis permutation with an integer shift), executed as a pixel permutation: an optional
/// transpose, then per axis an optional flip and a shift whose out-of-range pixels are reflected
/// (torch 'reflect': the edge pixel is not repeated), as the reference's reflect padding would supply them.
/// Every step is a gather whose gradient is a scatter (and back), so the result stays differentiable to
/// any order with respect to the image.
struct BlitPlan: Equatable {
    /// One output axis: read the source axis flipped or not, starting at `offset` (after the flip).
    struct Axis: Equatable {
        var flipped: Bool
        var offset: Int
        var sourceSize: Int
        var outputSize: Int

        var padBefore: Int { max(0, -offset) }
        var padAfter: Int { max(0, offset + outputSize - sourceSize) }
    }

    var transposed: Bool
    var rows: Axis
    var columns: Axis

    var isIdentity: Bool {
        !transposed && [rows, columns].allSatisfy { !$0.flipped && $0.offset == 0 && $0.sourceSize == $0.outputSize }
    }

    /// nil when the matrix is not a blit, or when a shift reaches further than one reflection can supply.
    init?(inverseMatrix m: HomogeneousMatrix, height: Int, width: Int) {
        guard m.size == 3, m[2, 0] == 0, m[2, 1] == 0, m[2, 2] == 1 else { return nil }
        let linear = [m[0, 0], m[0, 1], m[1, 0], m[1, 1]]
        guard linear.allSatisfy({ $0 == 0 || abs($0) == 1 }) else { return nil }
        transposed = m[0, 0] == 0
        // A signed permutation: either the diagonal or the anti-diagonal is zero, the other is ±1.
        guard transposed ? m[1, 1] == 0 : m[0, 1] == 0 && m[1, 0] == 0 else { return nil }
        // Input x is sign·(output x or y) + shift; after a transpose the source rows are the input columns.
        let (xSign, ySign) = transposed ? (m[1, 0], m[0, 1]) : (m[0, 0], m[1, 1])
        guard abs(xSign) == 1, abs(ySign) == 1 else { return nil }
        let (sourceHeight, sourceWidth) = transposed ? (width, height) : (height, width)
        let (rowShift, columnShift) = transposed ? (m[0, 2], m[1, 2]) : (m[1, 2], m[0, 2])
        guard let rows = BlitPlan.axis(sign: ySign, shift: rowShift, sourceSize: sourceHeight, outputSize: height),
              let columns = BlitPlan.axis(sign: xSign, shift: columnShift, sourceSize: sourceWidth, outputSize: width) else { return nil }
        self.rows = rows
        self.columns = columns
    }

    /// Source index = (S_src − 1)/2 + sign·(o − (S_out − 1)/2) + shift; after flipping the source when
    /// sign = −1 this is o + (S_src − S_out)/2 + sign·shift, which must be an integer.
    private static func axis(sign: Double, shift: Double, sourceSize: Int, outputSize: Int) -> Axis? {
        let offset = Double(sourceSize - outputSize) / 2 + sign * shift
        guard offset == offset.rounded(), abs(offset) < Double(sourceSize + outputSize) else { return nil }
        let axis = Axis(flipped: sign < 0, offset: Int(offset), sourceSize: sourceSize, outputSize: outputSize)
        guard axis.padBefore < sourceSize, axis.padAfter < sourceSize else { return nil }
        return axis
    }

    func apply(to image: Tensor) throws -> Tensor {
        if isIdentity { return image }
        var x = transposed ? try image.permuted([0, 1, 3, 2]) : image
        if rows.flipped || columns.flipped {
            // Reflect-padding by size − 1 in front puts the reversed image first; keep just that part.
            let top = rows.flipped ? rows.sourceSize - 1 : 0, left = columns.flipped ? columns.sourceSize - 1 : 0
            x = try x.reflectPadded(top: top, bottom: 0, left: left, right: 0).cropped([(0, 0), (0, 0), (0, top), (0, left)])
        }
        x = try x.reflectPadded(top: rows.padBefore, bottom: rows.padAfter, left: columns.padBefore, right: columns.padAfter)
        return try x.cropped([(0, 0), (0, 0), BlitPlan.window(rows), BlitPlan.window(columns)])
    }

    /// The crop margins that leave `outputSize` entries starting at the offset in the padded axis.
    private static func window(_ axis: Axis) -> (Int, Int) {
        let start = axis.offset + axis.padBefore
        return (start, axis.sourceSize + axis.padBefore + axis.padAfter - start - axis.outputSize)
    }
}
