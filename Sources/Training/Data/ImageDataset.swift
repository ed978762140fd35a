import Engine
import Imaging

/// A training set of square 8-bit images, read by index.
/// Implementations: a zip of PNGs with dataset.json (the reference's format), a folder of PNGs, or
/// the embedded procedural sets. `mirror` is applied by `TrainingSampler`, not by the data set.
public protocol ImageDataset {
    /// Number of distinct images (before mirroring).
    var count: Int { get }
    var resolution: Int { get }
    var channels: Int { get }
    /// Label dimension: 0 for unlabelled sets, else the width of the one-hot / float label vectors.
    var labelDimension: Int { get }
    /// Where the data came from (path, or a description of the embedded set), for logs and provenance.
    var source: String { get }
    /// Image `index` as CHW uint8 (channels × resolution × resolution values).
    func image(at index: Int) throws -> [UInt8]
    /// Label vector of image `index` (labelDimension values; empty when unlabelled).
    func label(at index: Int) throws -> [Float]
}

/// Visits a data set in the reference's order: the index list (doubled with x-flipped copies when
/// mirroring) shuffled once from the seed, then each visited slot swapped with a random slot of a
/// trailing window of half the set. The whole state is the generator and the position, so a snapshot
/// resumes the exact same stream.
public struct TrainingSampler: Codable {
    public struct Item: Equatable { public let index: Int; public let flipped: Bool }

    public let datasetCount: Int
    public let mirror: Bool
    private var order: [Int]
    private var position: Int
    private var rng: [UInt32]

    /// The data set size, mirroring and position in the order, for comparing samplers across processes.
    var fingerprintWords: [UInt32] { [UInt32(truncatingIfNeeded: datasetCount), mirror ? 1 : 0, UInt32(truncatingIfNeeded: position)] + rng }

    public init(datasetCount: Int, mirror: Bool, seed: UInt32) throws {
        guard datasetCount > 0 else { throw TrainingError("the data set holds no images") }
        self.datasetCount = datasetCount
        self.mirror = mirror
        var generator = RandomState(seed: seed)
        var order = Array(0..<(datasetCount * (mirror ? 2 : 1)))
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, generator.nextInt(below: i + 1)) }
        self.order = order
        position = 0
        rng = generator.snapshot
    }

    public var length: Int { order.count }

    public mutating func next() throws -> Item {
        var generator = try RandomState(snapshot: rng)
        let slot = position % order.count
        let value = order[slot]
        let window = Int((Double(order.count) * 0.5).rounded(.toNearestOrEven))
        if window >= 2 {
            let other = slot - generator.nextInt(below: window)
            order.swapAt(slot, other >= 0 ? other : other + order.count)
        }
        position += 1
        rng = generator.snapshot
        return Item(index: value % datasetCount, flipped: value >= datasetCount)
    }
}

public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ImageDataset {
    /// Image `index` as an HWC picture (grey sets keep one channel), x-flipped as the mirror shows it
    /// when `flipped`.
    public func picture(at index: Int, flipped: Bool = false) throws -> Image8 {
        let planar = try image(at: index)
        let side = resolution, plane = side * side
        var picture = Image8(width: side, height: side, channels: channels)
        for c in 0..<channels {
            for y in 0..<side {
                for x in 0..<side { picture.pixels[(y * side + x) * channels + c] = planar[c * plane + y * side + (flipped ? side - 1 - x : x)] }
            }
        }
        return picture
    }

    /// The first `count` images tiled into one picture, for a look at a data set.
    public func previewGrid(count: Int, columns: Int? = nil) throws -> Image8 {
        try ImageGrid.tiled((0..<min(max(count, 1), self.count)).map { try picture(at: $0) }, columns: columns, gap: 2)
    }
}
