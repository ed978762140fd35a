@testable import Engine
import Testing

/// The axes a permutation is copied over: size-1 axes dropped, source neighbours that stay neighbours merged.
@Suite struct PermutationTests {
    static func simplified(_ shape: [Int], _ order: [Int]) -> ([Int], [Int]) {
        let permutation = Permutation(shape: shape, order: order)
        return (permutation.shape, permutation.order)
    }

    /// Result element i is the source element at the coordinates of i, axis k of the result being source axis order[k].
    static func permutedByDefinition(_ source: [Float], shape: [Int], order: [Int]) -> [Float] {
        let resultShape = order.map { shape[$0] }
        let sourceStrides = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
        return source.indices.map { index in
            var rest = index, offset = 0
            for axis in stride(from: order.count - 1, through: 0, by: -1) {
                offset += rest % resultShape[axis] * sourceStrides[order[axis]]
                rest /= resultShape[axis]
            }
            return source[offset]
        }
    }

    @Test func upsamplingWeightIsATransposeOfNineFloatRuns() {
        #expect(Self.simplified([1, 512, 256, 3, 3], [0, 2, 1, 3, 4]) == ([512, 256, 9], [1, 0, 2]))
    }

    @Test func identityAndUnitAxesCollapse() {
        #expect(Self.simplified([2, 1, 3], [1, 0, 2]) == ([6], [0]))
        #expect(Self.simplified([1, 1], [1, 0]) == ([], []))
    }

    @Test func runsMergeOnlyWhereTheyStayNeighbours() {
        #expect(Self.simplified([2, 3, 4, 5, 6], [3, 4, 0, 1, 2]) == ([24, 30], [1, 0]))
        #expect(Self.simplified([2, 3, 4, 5, 6], [3, 4, 2, 0, 1]) == ([6, 4, 30], [2, 1, 0]))
        #expect(Self.simplified([2, 3, 4, 5], [3, 2, 1, 0]) == ([2, 3, 4, 5], [3, 2, 1, 0]))
    }

    /// Workers start anywhere: copying the rows in two parts split at every row gives the definition's result,
    /// whatever the machine's thread count.
    @Test(arguments: [([5, 7, 3, 3], [1, 0, 2, 3]), ([3, 5, 2, 7], [3, 1, 0, 2]), ([2, 3, 5, 7], [2, 0, 3, 1])])
    func everySplitPointGivesTheDefinition(_ shape: [Int], _ order: [Int]) {
        let count = shape.reduce(1, *)
        let source = (0..<count).map(Float.init)
        let expected = Self.permutedByDefinition(source, shape: shape, order: order)
        let permutation = Permutation(shape: shape, order: order)
        for split in 0...permutation.rowCount {
            var output = [Float](repeating: -1, count: count)
            source.withUnsafeBufferPointer { from in
                output.withUnsafeMutableBufferPointer { to in
                    permutation.copyRows(0..<split, from: from.baseAddress!, to: to.baseAddress!)
                    permutation.copyRows(split..<permutation.rowCount, from: from.baseAddress!, to: to.baseAddress!)
                }
            }
            #expect(output == expected, "split at row \(split)")
        }
    }
}
