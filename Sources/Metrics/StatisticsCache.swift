import Checkpoint
import Engine
import Networks
import Foundation

/// Real-image statistics cached on disk, one file per (image content, feature extractor).
///
/// Each file is a toonkit checkpoint (format v1, so `toonkit inspect` and `validate` read it) whose
/// architecture document is `{"kind": "fid-statistics"}` (no network is computed with), with one network group
/// `real_statistics` holding `mean` (float64 [2048]), `covariance` (float64 [2048, 2048]) and, when KID
/// was asked for, `features` (float32 [N, 2048]); `/extra/fid_statistics` records the key and the
/// source. Writes are atomic (the checkpoint writer's temporary file and rename), so concurrent runs
/// at worst compute the same statistics twice.
public struct StatisticsCache: Sendable {
    public struct Key: Codable, Equatable, Sendable {
        /// `ImageSource.contentHash()`.
        public var contentHash: String
        /// `InceptionNetwork.identity`.
        public var extractor: String
        /// `InceptionNetwork.rounding`: the two round the features differently (about 1e-6 relative).
        public var rounding: ConvRounding
        /// Bumped when the statistics are computed differently. 2: the key names the rounding, and the default network's
        /// 3×3 and 5×5 layers take Winograd F(4×4, 3×3). 3: its 1×r and r×1 layers take F(4, r), and the skinny products'
        /// last columns (past a multiple of 16) round as the others. 4: on 16-lane instruction sets, the 1×r and r×1 layers'
        /// products run in the skinny kernels instead of OpenBLAS. 5: the 5×5 layers take Winograd F(4×4, 5×5) instead of
        /// four 3×3 blocks by F(4×4, 3×3) (relaxed rounding; standard files, whose features did not change, are made once more).
        public var version = 5

        public init(contentHash: String, extractor: String, rounding: ConvRounding = InceptionNetwork.defaultRounding) {
            self.contentHash = contentHash
            self.extractor = extractor
            self.rounding = rounding
        }

        enum CodingKeys: String, CodingKey {
            case contentHash = "content_sha256", extractor, rounding, version
        }

        var fileName: String {
            let digest = Checksum.sha256Hex(Data("\(version)\n\(contentHash)\n\(extractor)\n\(rounding.rawValue)".utf8))
            return "fid-real-\(digest.prefix(24)).h5"
        }
    }

    struct Metadata: Codable {
        var key: Key
        var source: String
        var images: Int
        var channels: Int
        var height: Int
        var width: Int
        var mirrored = false
    }

    static let kind = "fid-statistics"
    /// The whole architecture document of a statistics file: no network is computed with, so only the kind.
    static let architectureDocument: JSONValue = .object(["kind": .string(kind)])
    static let network = "real_statistics"
    static let metadataName = "fid_statistics"

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/toonkit/fid`, else `~/.cache/toonkit/fid`.
    public static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("toonkit").appendingPathComponent("fid")
    }

    public func path(for key: Key) -> URL { directory.appendingPathComponent(key.fileName) }

    /// The cached statistics, or nil when there are none for this key. A file that does not hold
    /// what its name promises is an error (with its path), never silently used.
    public func load(_ key: Key) throws -> FeatureStatistics? {
        let path = path(for: key).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // No network computes with these tensors, so no layout applies; the kind says what the file holds.
        let reader = try CheckpointReader(path: path, layout: UnlaidOutTensors())
        guard reader.architectureDocument == Self.architectureDocument, let document = reader.extra(Self.metadataName) else {
            throw MetricsError("\(path) is not a toonkit FID statistics file; remove it to recompute the statistics")
        }
        let metadata = try document.decode(as: Metadata.self)
        guard metadata.key == key else {
            throw MetricsError("\(path) holds statistics of other images or another feature extractor; remove it to recompute them")
        }
        func read(_ name: String) throws -> TensorData {
            try reader.readTensor(network: Self.network, name: name, verifyChecksum: true).data
        }
        let mean = try read("mean"), covariance = try read("covariance")
        let features = try reader.tensorNames(network: Self.network).contains("features") ? try read("features").floats() : nil
        return try FeatureStatistics(count: metadata.images, dimension: mean.count, mean: mean.doubles(),
                                     covariance: covariance.doubles(), features: features)
    }

    public func store(_ statistics: FeatureStatistics, key: Key, source: ImageSource) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let writer = try CheckpointWriter(path: path(for: key).path, architectureDocument: Self.architectureDocument)
        let d = statistics.dimension
        try writer.write(network: Self.network, entry: TensorEntry(name: "mean", kind: .buffer, trainable: false,
                                                                   data: TensorData(float64: statistics.mean, shape: [d])))
        try writer.write(network: Self.network, entry: TensorEntry(name: "covariance", kind: .buffer, trainable: false,
                                                                   data: TensorData(float64: statistics.covariance, shape: [d, d])))
        if let features = statistics.features {
            try writer.write(network: Self.network, entry: TensorEntry(name: "features", kind: .buffer, trainable: false,
                                                                       data: TensorData(float32: features, shape: [statistics.count, d])))
        }
        let metadata = Metadata(key: key, source: source.description, images: statistics.count,
                                channels: source.channels, height: source.height, width: source.width)
        try writer.writeExtra(name: Self.metadataName, JSONValue(encoding: metadata))
        writer.appendProvenance(ProvenanceRecord(operation: "fid-statistics", parameters: ["source": .string(source.description)]))
        try writer.commit()
    }
}

extension TensorData {
    init(float64 values: [Double], shape: [Int]) throws {
        try self.init(dtype: .float64, shape: shape, bytes: values.withUnsafeBufferPointer { Data(buffer: $0) })
    }

    func doubles() throws -> [Double] {
        guard dtype == .float64 else { throw MetricsError("expected a float64 tensor, got \(dtype.rawValue)") }
        return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }
}
