@testable import Engine
import Testing

/// The axes a permutation is copied over: size-1 axes dropped, source neighbours that stay neighbours merged.
@Suite struct PermutationTests {
    static func simplified(_ shape: [Int], _ order: [Int]) -> ([Int], [Int]) {
        let permutation = Permutation(shape: shape, order: order)
        return (permutation.shape, permutation.order)
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
}
