import CKernels
@testable import Engine
import Testing

/// The Winograd kernels' weight transforms ("packs", docs/engine-kernels.md "Packing the transformed weights"), which work
/// a block of 8 input channels and a run of 4 blocks at a time: F(2×2, 3×3) and F(4×4, 3×3) against G g Gᵀ in doubles;
/// every pack, on every set, split into tile ranges as the threads split it, gives the bits of one call and writes
/// nothing past its weights. Channel counts leave partial blocks and runs (17, 37) and a lone channel.
@Suite struct WinogradPackTests {
    /// (output channels, input channels, read transposed as backward data reads the weight)
    static let shapes = [(13, 37, false), (7, 17, true), (6, 1, false), (1, 40, false), (72, 64, false)]

    enum Pack: CaseIterable {
        case two, twoTurned, four, up, down
        var positions: Int { [16, 16, 36, 25, 16][Self.allCases.firstIndex(of: self)!] }

        func run(_ kernels: ck_kernel_table, out: Int, in inChannels: Int, weight: UnsafePointer<Float>, outStride: Int, inStride: Int,
                 into packed: UnsafeMutablePointer<Float>, tiles: Range<Int>) {
            let (o, i, first, end) = (out, inChannels, tiles.lowerBound, tiles.upperBound)
            switch self {
            case .two: kernels.winograd_pack(o, i, weight, outStride, inStride, false, packed, first, end)
            case .twoTurned: kernels.winograd_pack(o, i, weight, outStride, inStride, true, packed, first, end)
            case .four: kernels.winograd4_pack(o, i, weight, outStride, inStride, false, packed, first, end)
            case .up: kernels.winograd_up_pack(o, i, weight, outStride, inStride, packed, first, end)
            case .down: kernels.winograd_down_pack(o, i, weight, outStride, inStride, packed, first, end)
            }
        }
    }

    /// G of F(2×2, 3×3) and F(4×4, 3×3) (winograd_kernel_bodies.h, winograd4_kernel_bodies.h).
    static func transformMatrix(_ pack: Pack) -> [[Double]] {
        let (sixth, twelfth, twentyFourth): (Double, Double, Double) = (1.0 / 6, 1.0 / 12, 1.0 / 24)
        let four: [[Double]] = [[0.25, 0, 0], [-sixth, -sixth, -sixth], [-sixth, sixth, -sixth], [twentyFourth, twelfth, sixth],
                                [twentyFourth, -twelfth, sixth], [0, 0, 1]]
        let two: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        return pack == .four ? four : two
    }

    struct Packed {
        let values: [Float], count: Int
    }

    /// The pack of a random weight of `shape` into a buffer of NaNs 64 floats longer than it, by tile ranges of `split` tiles.
    static func pack(_ pack: Pack, _ set: KernelInstructionSet, _ shape: (Int, Int, Bool), split: Int?) -> (packed: Packed, weight: [Float]) {
        let (out, inChannels, transposed) = shape
        let kernels = set.kernels, tileChannels = kernels.conv3x3_tile_channels
        let tiles = (out + tileChannels - 1) / tileChannels
        let count = tiles * tileChannels * inChannels * pack.positions
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(out * 131 + inChannels)
        let weight: [Float] = (0..<out * inChannels * 9).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
        // [out, in, 3, 3], or [in, out, 3, 3] read with the strides swapped.
        let (outStride, inStride) = transposed ? (9, out * 9) : (inChannels * 9, 9)
        var values = [Float](repeating: .nan, count: count + 64)
        weight.withUnsafeBufferPointer { w in
            values.withUnsafeMutableBufferPointer { p in
                let step = split ?? tiles
                for first in stride(from: 0, to: tiles, by: max(1, step)) {
                    pack.run(kernels, out: out, in: inChannels, weight: w.baseAddress!, outStride: outStride, inStride: inStride,
                             into: p.baseAddress!, tiles: first..<min(tiles, first + step))
                }
            }
        }
        return (Packed(values: values, count: count), weight)
    }

    @Test(arguments: Pack.allCases)
    func rangesGiveOneCallsBitsAndStayInTheirWeights(_ pack: Pack) {
        for shape in Self.shapes {
            let whole = Self.pack(pack, .baseline, shape, split: nil).packed
            let written = whole.values[..<whole.count].allSatisfy { $0.isFinite }
            let untouched = whole.values[whole.count...].allSatisfy { $0.isNaN }
            #expect(written, "\(pack) \(shape): every packed value written")
            #expect(untouched, "\(pack) \(shape): nothing written past the weights")
            for set in KernelInstructionSet.supported {
                for split in [1, 2] {
                    let parts = Self.pack(pack, set, shape, split: split).packed
                    let same = parts.values.elementsEqual(whole.values) { $0.bitPattern == $1.bitPattern }
                    #expect(same, "\(pack) \(shape) on \(set.rawValue), \(split) tile(s) per call")
                }
            }
        }
    }

    @Test(arguments: [Pack.two, .twoTurned, .four])
    func transformsAreGgGᵀ(_ pack: Pack) {
        let g = Self.transformMatrix(pack), side = g.count
        for shape in Self.shapes {
            let (out, inChannels, transposed) = shape
            let (packed, weight) = Self.pack(pack, .widestSupported, shape, split: nil)
            let tileChannels = KernelInstructionSet.widestSupported.kernels.conv3x3_tile_channels
            let perPosition = packed.count / pack.positions
            var worst = 0.0
            for o in 0..<out {
                for c in 0..<inChannels {
                    let base = transposed ? (c * out + o) * 9 : (o * inChannels + c) * 9
                    let taps = (0..<9).map { Double(weight[base + (pack == .twoTurned ? 8 - $0 : $0)]) }
                    for i in 0..<side {
                        for j in 0..<side {
                            var expected = 0.0
                            for a in 0..<3 { for b in 0..<3 { expected += g[i][a] * taps[a * 3 + b] * g[j][b] } }
                            let index = (i * side + j) * perPosition + ((o / tileChannels) * inChannels + c) * tileChannels + o % tileChannels
                            worst = max(worst, abs(Double(packed.values[index]) - expected))
                        }
                    }
                }
            }
            #expect(worst < 1e-6, "\(pack) \(shape): largest difference from G g Gᵀ \(worst)")
        }
    }
}
