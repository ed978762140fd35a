import CKernels
@testable import Engine
import TestSupport
import Testing

/// The convolution kernels' weight packs: the direct kernels' taps (`conv3x3_pack`) and the Winograd kernels' transformed
/// weights (docs/engine-kernels.md "Packing the transformed weights"), which work a block of 8 input channels and a run of 4
/// blocks at a time. Threads pack disjoint tile ranges of one weight, so a range must write exactly its own tiles and the
/// ranges together the bytes of one whole pack, on every set; F(2×2, 3×3), F(4×4, 3×3) and F(4×4, 5×5) are G g Gᵀ. Channel
/// counts leave partial channel tiles, blocks and runs (5, 17, 37), a lone channel and a full run.
@Suite struct WeightPackTests {
    /// (output channels, input channels, read transposed as backward data reads the weight)
    static let shapes = [(17, 5, false), (13, 37, false), (7, 17, true), (6, 1, false), (1, 40, false), (20, 32, true)]

    enum Pack: CaseIterable {
        case direct, winograd, winogradTurned, winograd4x4, up, down, winograd5x5, winograd5x5Turned

        /// Floats per channel pair.
        var positions: Int { [9, 16, 16, 36, 25, 16, 64, 64][Self.allCases.firstIndex(of: self)!] }

        /// Taps per channel pair of the weight it reads: 3×3, or F(4×4, 5×5)'s 5×5.
        var taps: Int { self == .winograd5x5 || self == .winograd5x5Turned ? 25 : 9 }

        /// Whether it reads the taps turned by 180°, as backward data does.
        var turned: Bool { self == .winogradTurned || self == .winograd5x5Turned }

        func run(_ kernels: ck_kernel_table, out o: Int, in c: Int, weight: UnsafePointer<Float>, transposed: Bool,
                 into packed: UnsafeMutablePointer<Float>, tiles: Range<Int>) {
            // [out, in, k, k], or [in, out, k, k] read with the strides swapped.
            let (outStride, inStride) = transposed ? (taps, o * taps) : (c * taps, taps)
            let (first, end) = (tiles.lowerBound, tiles.upperBound)
            switch self {
            case .direct: kernels.conv3x3_pack(kernels.conv3x3_tile_channels, o, c, weight, outStride, inStride, true, packed, first, end)
            case .winograd: kernels.winograd_pack(o, c, weight, outStride, inStride, false, packed, first, end)
            case .winogradTurned: kernels.winograd_pack(o, c, weight, outStride, inStride, true, packed, first, end)
            case .winograd4x4: kernels.winograd4_pack(o, c, weight, outStride, inStride, false, packed, first, end)
            case .up: kernels.winograd_up_pack(o, c, weight, outStride, inStride, packed, first, end)
            case .down: kernels.winograd_down_pack(o, c, weight, outStride, inStride, packed, first, end)
            case .winograd5x5, .winograd5x5Turned:
                kernels.winograd4_5x5_pack(o, c, weight, outStride, inStride, turned, packed, first, end)
            }
        }
    }

    struct Layout {
        let tiles: Int, inChannels: Int, tileChannels: Int, pack: Pack
        var count: Int { tiles * tileChannels * inChannels * pack.positions }
        /// The indices tile t's floats take.
        func indices(ofTile t: Int) -> [Int] {
            let block = inChannels * tileChannels
            if pack == .direct { return Array(t * 9 * block..<(t + 1) * 9 * block) }
            return (0..<pack.positions).flatMap { (position: Int) -> [Int] in
                let start: Int = (position * tiles + t) * block
                return Array(start..<start + block)
            }
        }
    }

    static func weight(_ o: Int, _ c: Int, _ pack: Pack) -> [Float] {
        let side = pack.taps == 25 ? 5 : 3
        return GradCheck.random([o, c, side, side], scale: 0.3, seed: UInt32(o * 131 + c)).scalars
    }

    /// A NaN-filled buffer 64 floats longer than the pack, after `pack` ran over each of `ranges` in turn.
    static func packed(_ pack: Pack, _ set: KernelInstructionSet, _ shape: (Int, Int, Bool), _ weight: [Float], ranges: [Range<Int>]) -> [Float] {
        let (o, c, transposed) = shape, kernels = set.kernels
        let layout = Layout(tiles: (o + kernels.conv3x3_tile_channels - 1) / kernels.conv3x3_tile_channels, inChannels: c,
                            tileChannels: kernels.conv3x3_tile_channels, pack: pack)
        var values = [Float](repeating: .nan, count: layout.count + 64)
        weight.withUnsafeBufferPointer { w in
            values.withUnsafeMutableBufferPointer { p in
                for range in ranges {
                    pack.run(kernels, out: o, in: c, weight: w.baseAddress!, transposed: transposed, into: p.baseAddress!, tiles: range)
                }
            }
        }
        return values
    }

    @Test(arguments: Pack.allCases)
    func tileRangesWriteExactlyTheirTilesAndTogetherOneWholePack(_ pack: Pack) {
        for shape in Self.shapes {
            let weight = Self.weight(shape.0, shape.1, pack)
            for set in KernelInstructionSet.supported {
                let tileChannels = set.kernels.conv3x3_tile_channels, tiles = (shape.0 + tileChannels - 1) / tileChannels
                let layout = Layout(tiles: tiles, inChannels: shape.1, tileChannels: tileChannels, pack: pack)
                let whole = Self.packed(pack, set, shape, weight, ranges: [0..<tiles])
                let written = whole[..<layout.count].allSatisfy { !$0.isNaN }, untouched = whole[layout.count...].allSatisfy { $0.isNaN }
                #expect(written && untouched, "\(pack) \(shape) on \(set.rawValue): the whole pack writes its floats and no more")
                for t in 0..<tiles {
                    let one = Self.packed(pack, set, shape, weight, ranges: [t..<t + 1]), mine = Set(layout.indices(ofTile: t))
                    let exact = one.indices.allSatisfy { mine.contains($0) ? one[$0].bitPattern == whole[$0].bitPattern : one[$0].isNaN }
                    #expect(exact, "\(pack) \(shape) on \(set.rawValue): tile \(t) alone writes exactly its floats")
                }
                let backwards = Self.packed(pack, set, shape, weight, ranges: (0..<tiles).reversed().map { $0..<$0 + 1 })
                let pairs = Self.packed(pack, set, shape, weight, ranges: stride(from: 0, to: tiles, by: 2).map { $0..<min(tiles, $0 + 2) })
                let same = backwards.map(\.bitPattern) == whole.map(\.bitPattern) && pairs.map(\.bitPattern) == whole.map(\.bitPattern)
                #expect(same, "\(pack) \(shape) on \(set.rawValue): tiles one or two at a time give one whole pack's bytes")
            }
        }
        var seen: [(Int, Range<Int>)] = []
        forEachPart(of: 2..<9, itemsPerPart: 3) { seen.append(($0, $1)) }
        forEachPart(of: 3..<3, itemsPerPart: 3) { seen.append(($0, $1)) }
        #expect(seen.map(\.0) == [0, 1, 2] && seen.map(\.1) == [2..<3, 0..<3, 0..<3])
    }

    /// G of F(2×2, 3×3), F(4×4, 3×3) and F(4×4, 5×5) (winograd_kernel_bodies.h, winograd4_kernel_bodies.h,
    /// winograd4_5x5_kernel_bodies.h).
    static func transformMatrix(_ pack: Pack) -> [[Double]] {
        if pack.taps == 25 {
            let (twoNinths, ninetieth): (Double, Double) = (2.0 / 9, 1.0 / 90)
            return [[1, 0, 0, 0, 0], [1, 1, 1, 1, 1].map { -twoNinths * $0 }, [1, -1, 1, -1, 1].map { -twoNinths * $0 },
                    [1, 2, 4, 8, 16].map { ninetieth * $0 }, [1, -2, 4, -8, 16].map { ninetieth * $0 },
                    [64, 32, 16, 8, 4].map { ninetieth * $0 }, [64, -32, 16, -8, 4].map { ninetieth * $0 }, [0, 0, 0, 0, 1]]
        }
        let (sixth, twelfth, twentyFourth): (Double, Double, Double) = (1.0 / 6, 1.0 / 12, 1.0 / 24)
        let four: [[Double]] = [[0.25, 0, 0], [-sixth, -sixth, -sixth], [-sixth, sixth, -sixth], [twentyFourth, twelfth, sixth],
                                [twentyFourth, -twelfth, sixth], [0, 0, 1]]
        let two: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        return pack == .winograd4x4 ? four : two
    }

    @Test(arguments: [Pack.winograd, .winogradTurned, .winograd4x4, .winograd5x5, .winograd5x5Turned])
    func transformsAreGgGᵀ(_ pack: Pack) {
        let g = Self.transformMatrix(pack), side = g.count, kernel = g[0].count, set = KernelInstructionSet.widestSupported
        let tileChannels = set.kernels.conv3x3_tile_channels
        for shape in Self.shapes {
            let (out, inChannels, transposed) = shape, weight = Self.weight(out, inChannels, pack)
            let packed = Self.packed(pack, set, shape, weight, ranges: [0..<(out + tileChannels - 1) / tileChannels])
            let perPosition = (out + tileChannels - 1) / tileChannels * tileChannels * inChannels
            var worst = 0.0
            for o in 0..<out {
                for c in 0..<inChannels {
                    let base = transposed ? (c * out + o) * pack.taps : (o * inChannels + c) * pack.taps
                    let taps = (0..<pack.taps).map { Double(weight[base + (pack.turned ? pack.taps - 1 - $0 : $0)]) }
                    for i in 0..<side {
                        for j in 0..<side {
                            var expected = 0.0
                            for a in 0..<kernel { for b in 0..<kernel { expected += g[i][a] * taps[a * kernel + b] * g[j][b] } }
                            let index = (i * side + j) * perPosition + ((o / tileChannels) * inChannels + c) * tileChannels + o % tileChannels
                            worst = max(worst, abs(Double(packed[index]) - expected))
                        }
                    }
                }
            }
            #expect(worst < 1e-6, "\(pack) \(shape): largest difference from G g Gᵀ \(worst)")
        }
    }
}
