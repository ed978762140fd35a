import Foundation
import Imaging

/// A data set of PNG files: the zip that `toonkit dataset` or the reference's dataset_tool.py writes,
/// or a folder of PNGs (walked recursively). Images are the `.png` files in byte order of their
/// relative paths; other files are ignored. Labels come from a root `dataset.json`.
///
/// Opening checks every image header that can be read without decoding (all of them for stored zips
/// and folders), so a wrong-sized image fails at open rather than hours into training. The zip stays
/// mapped; images are decoded on demand and kept in a bounded cache.
public final class PNGDataset: ImageDataset {
    public static let defaultCacheBytes = 256 << 20

    public let count: Int
    public let resolution: Int
    public let channels: Int
    public let labelDimension: Int
    public var source: String { files.location }
    /// Relative paths of the images, in data set order.
    public let imageNames: [String]
    /// Files that are not PNG images (the labels file excluded).
    public let ignoredFileCount: Int

    private let files: DatasetFiles
    private let labels: [DatasetLabel]?
    private let cache: DecodedImageCache

    public init(url: URL, cacheBytes: Int = PNGDataset.defaultCacheBytes) throws {
        files = try DatasetFileListing.open(url)
        let kinds = files.names.map { DatasetFileListing.kind(of: $0) }
        imageNames = zip(files.names, kinds).filter { $0.1 == .png }.map(\.0)
        ignoredFileCount = files.names.count - imageNames.count - (files.names.contains(DatasetFileListing.labelsName) ? 1 : 0)
        guard let first = imageNames.first else {
            throw DatasetFileListing.noImagesError(files.location, unsupported: kinds.filter { $0 == .unsupportedImage }.count)
        }
        let firstHeader = try PNGHeader(files.contents(of: first), name: files.displayPath(first))
        try Self.checkShape(firstHeader, name: files.displayPath(first))
        resolution = firstHeader.width
        channels = firstHeader.channels
        count = imageNames.count
        let labels = try Self.readLabels(files, imageNames: imageNames)
        self.labels = labels
        labelDimension = try labels.map { [imageNames, files] in
            try DatasetLabelTable.dimension($0, names: imageNames, source: files.location)
        } ?? 0
        cache = DecodedImageCache(byteBudget: cacheBytes)
        for name in imageNames.dropFirst() {
            guard let prefix = try files.cheapPrefix(of: name, count: PNGHeader.byteCount) else { continue }
            try check(PNGHeader(prefix, name: files.displayPath(name)), name: files.displayPath(name))
        }
    }

    public func image(at index: Int) throws -> [UInt8] {
        guard imageNames.indices.contains(index) else { throw TrainingError("\(source): no image \(index) (the set holds \(count))") }
        if let cached = cache.image(at: index) { return cached }
        let planar = try decodeImage(index).planar(channels: channels)
        cache.insert(planar, at: index)
        return planar
    }

    public func label(at index: Int) throws -> [Float] {
        guard imageNames.indices.contains(index) else { throw TrainingError("\(source): no image \(index) (the set holds \(count))") }
        guard let labels else { return [] }
        return DatasetLabelTable.floats(labels[index], dimension: labelDimension)
    }

    /// Decodes every image once (bypassing the cache), to find corrupt files before training does.
    public func verifyAll(progress: (Int) -> Void = { _ in }) throws {
        for index in 0..<count {
            _ = try decodeImage(index)
            progress(index + 1)
        }
    }

    private func decodeImage(_ index: Int) throws -> Image8 {
        let name = imageNames[index]
        return try files.decodePNG(name) { try check($0, name: files.displayPath(name)) }
    }

    private static func checkShape(_ header: PNGHeader, name: String) throws {
        guard header.width == header.height else {
            throw TrainingError("\(name): not square (\(header.width)×\(header.height)); `toonkit dataset` crops and resizes images")
        }
        guard header.width & (header.width - 1) == 0 else {
            throw TrainingError("\(name): resolution \(header.width) is not a power of two; `toonkit dataset --resolution` resizes images")
        }
    }

    private func check(_ header: PNGHeader, name: String) throws {
        guard header.width == resolution, header.height == resolution else {
            throw TrainingError("\(name): \(header.width)×\(header.height) pixels, the data set's images are \(resolution)×\(resolution)")
        }
        guard header.channels == channels else {
            let describe = { (c: Int) in c == 1 ? "grey (1 channel)" : "colour (3 channels)" }
            throw TrainingError("\(name): \(describe(header.channels)), the data set's images are \(describe(channels))")
        }
    }

    private static func readLabels(_ files: DatasetFiles, imageNames: [String]) throws -> [DatasetLabel]? {
        guard files.names.contains(DatasetFileListing.labelsName) else { return nil }
        let source = files.displayPath(DatasetFileListing.labelsName)
        let table = try DatasetLabelTable.parse(files.contents(of: DatasetFileListing.labelsName), source: source)
        return try table.labels(for: imageNames, source: source)
    }
}

/// Decoded images by index, up to a byte budget. Training visits the set in a shuffled order, so
/// which image comes next is unpredictable and first-in-first-out eviction does as well as LRU
/// without its bookkeeping.
final class DecodedImageCache {
    private let byteBudget: Int
    private let lock = NSLock()
    private var images: [Int: [UInt8]] = [:]
    private var insertionOrder: [Int] = []
    private var oldest = 0
    private var bytes = 0

    init(byteBudget: Int) { self.byteBudget = byteBudget }

    func image(at index: Int) -> [UInt8]? {
        lock.lock(); defer { lock.unlock() }
        return images[index]
    }

    func insert(_ image: [UInt8], at index: Int) {
        guard image.count <= byteBudget else { return }
        lock.lock(); defer { lock.unlock() }
        guard images[index] == nil else { return }
        while bytes + image.count > byteBudget, oldest < insertionOrder.count {
            if let evicted = images.removeValue(forKey: insertionOrder[oldest]) { bytes -= evicted.count }
            oldest += 1
        }
        if oldest > 4096, oldest * 2 > insertionOrder.count {
            insertionOrder.removeFirst(oldest)
            oldest = 0
        }
        images[index] = image
        insertionOrder.append(index)
        bytes += image.count
    }
}
