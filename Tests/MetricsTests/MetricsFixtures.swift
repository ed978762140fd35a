import Checkpoint
import Foundation
import Interop
@testable import Metrics
import TestSupport

/// fixtures/inception: the reference arrays written by make_reference.py and make_distance_reference.py,
/// and the formula images both sides generate.
enum MetricsFixtures {
    static let directory = Fixtures.repository.appendingPathComponent("fixtures/inception")

    static func arrays(_ name: String) throws -> [String: TensorData] {
        try NumpyArchive.read(directory.appendingPathComponent(name))
    }

    /// make_reference.py's formula_image: a triangle-wave pattern plus hash noise, CHW uint8, integer
    /// arithmetic only so that numpy and Swift agree exactly.
    static func image(index: Int, channels: Int = 3, size: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(channels * size * size)
        for c in 0..<channels {
            let noise = FormulaWeights.uniform(seed: FormulaWeights.nameSeed("image\(index).channel\(c)"), count: size * size)
            for y in 0..<size {
                for x in 0..<size {
                    let wave = (x * (3 + c) + y * (5 + index) + ((x * y) >> 3)) % 512
                    let triangle = wave < 256 ? wave : 511 - wave
                    let jitter = Int((noise[y * size + x] + 1) * 16) - 16
                    pixels.append(UInt8(min(max(triangle + jitter, 0), 255)))
                }
            }
        }
        return pixels
    }

    /// make_reference.py's image_checksums.
    static func checksums(_ pixels: [UInt8]) -> [Int64] {
        var sum: Int64 = 0, weighted: Int64 = 0
        for (i, p) in pixels.enumerated() {
            sum += Int64(p)
            weighted += Int64(p) * Int64(i % 251)
        }
        return [sum, weighted]
    }

    static func batch(indices: [Int], size: Int) throws -> ImageBatch {
        try ImageBatch(count: indices.count, channels: 3, height: size, width: size,
                       pixels: indices.flatMap { image(index: $0, size: size) })
    }

    /// One formula network for the whole test run: folding 24M parameters takes a moment.
    static let formulaNetwork: InceptionNetwork = try! InceptionNetwork(weights: .formula())
    /// The same network with `standard` rounding (Winograd F(2×2, 3×3) at most).
    static let standardRoundingNetwork: InceptionNetwork = try! InceptionNetwork(weights: .formula(), rounding: .standard)
}

extension TensorData {
    func float64Values() throws -> [Double] {
        switch dtype {
        case .float64: return try doubles()
        default: return try floats().map(Double.init)
        }
    }
}
