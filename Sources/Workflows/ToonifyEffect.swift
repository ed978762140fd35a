import Foundation
import Imaging
import Metrics
import Surgery
import Training

/// How far each sweep column (the face model, every swap, the cartoon model) lies from the cartoon
/// data and from the face data: KID on Inception features, plus a plain rendering statistic (edge density). Every column draws the same seeds through the base's mapping, as
/// the sweep picture does, so along the table only the synthesis blocks change.
public struct ToonifyEffect {
    public var base: URL
    public var style: URL
    public var cartoons: ImageDataset
    public var faces: ImageDataset
    /// Generated and real images per measurement (KID's subsets are this large).
    public var images: Int
    public var truncation: Double
    /// More models measured like the cartoon column (their synthesis fed the base's ws), e.g. the live fine-tune.
    public var others: [(label: String, checkpoint: URL)] = []

    public init(base: URL, style: URL, cartoons: ImageDataset, faces: ImageDataset, images: Int, truncation: Double) {
        self.base = base
        self.style = style
        self.cartoons = cartoons
        self.faces = faces
        self.images = images
        self.truncation = truncation
    }

    public struct Row: Sendable, Codable {
        public var label: String
        /// The swap resolution of a swap column (nil for every other row).
        public var swapAt: Int?
        /// nil for the cartoon data's distance to itself.
        public var kidToCartoons: Double?
        /// nil for the face data's distance to itself.
        public var kidToFaces: Double?
        public var rendering: RenderingStatistics

        enum CodingKeys: String, CodingKey { case label, rendering, swapAt = "swap_at", kidToCartoons = "kid_to_cartoons", kidToFaces = "kid_to_faces" }
    }

    public struct Report: Sendable, Codable {
        /// The two data sets first, then the sweep's columns in order, then the other models.
        public var rows: [Row]
        public var images: Int
        public var truncation: Double
        public var extractor: String
        /// Set when the Inception weights are stand-ins: the KIDs then only compare rows of this table.
        public var warning: String?

        public func row(_ label: String) -> Row? { rows.first { $0.label == label } }

        /// The cartoon model's KID to the cartoon data over the face model's (the demo aims for ≤ 0.5).
        public var cartoonToBaseRatio: Double? {
            guard let style = row(ToonifyEffect.styleLabel)?.kidToCartoons, let base = row(ToonifyEffect.baseLabel)?.kidToCartoons, base > 0 else { return nil }
            return style / base
        }

        /// For every swap column: whether its KID to the cartoon data lies between the cartoon model's and the face model's.
        public var swapsBetween: [(label: String, between: Bool)] {
            guard let style = row(ToonifyEffect.styleLabel)?.kidToCartoons, let base = row(ToonifyEffect.baseLabel)?.kidToCartoons else { return [] }
            return rows.filter { $0.swapAt != nil }.map { swap in
                (swap.label, swap.kidToCartoons.map { (min(style, base)...max(style, base)).contains($0) } ?? false)
            }
        }
    }

    /// Labels of the data rows and of the sweep's end columns, as the table and the tests name them.
    public static let cartoonData = "cartoon data", faceData = "face data"
    public static let baseLabel = "face model (base)", styleLabel = "cartoon model"
    public static func swapLabel(_ resolution: Int) -> String { "swap at \(resolution)" }

    /// Rows measured for a network of `resolution` with `others` extra models: two data sets, the face
    /// model, a swap at every block below the top one, the cartoon model.
    public static func rowCount(resolution: Int, others: Int) -> Int {
        let blocks = resolution.trailingZeroBitCount - 1
        return 2 + blocks + 1 + others
    }

    /// Measures every row; `progress` gets a fraction of the whole measurement in [0, 1] and what is measured.
    public func run(inception: InceptionWeights, progress: (Double, String) -> Void = { _, _ in }) throws -> Report {
        guard images >= 2 else { throw TrainingError("the effect measurement needs at least 2 images per row, got \(images)") }
        let evaluator = try FIDEvaluator(inception: inception)
        let seeds = Array(0..<UInt32(images))
        let sweep = try SweepJob(SweepRecipe(base: base.path, style: style.path, seeds: seeds, truncation: truncation), output: "")
        var sources: [(label: String, swapAt: Int?, images: ImageSource)] = [
            (Self.cartoonData, nil, try Self.firstImages(of: cartoons, count: images)),
            (Self.faceData, nil, try Self.firstImages(of: faces, count: images)),
        ]
        for (column, cells) in zip(sweep.columns, try sweep.columnImages().cells) {
            let label = column.swapAt.map(Self.swapLabel) ?? (column.input == 0 ? Self.baseLabel : Self.styleLabel)
            sources.append((label, column.swapAt, Self.source(cells, description: label)))
        }
        for other in others {
            let otherSweep = try SweepJob(SweepRecipe(base: base.path, style: other.checkpoint.path, seeds: seeds, truncation: truncation), output: "")
            let cells = try otherSweep.columnImages(of: Array(otherSweep.columns.suffix(1))).cells[0]
            sources.append((other.label, nil, Self.source(cells, description: other.label)))
        }
        var features: [FeatureStatistics] = []
        for (index, (label, _, source)) in sources.enumerated() {
            features.append(try evaluator.statistics(of: source, keepFeatures: true) { step in
                progress((Double(index) + Double(step.done) / Double(max(step.total, 1))) / Double(sources.count), "Inception features of the \(label)")
            })
        }
        let kid = KIDOptions(subsets: 100, maxSubsetSize: images)
        var rows: [Row] = []
        for ((label, swapAt, source), statistics) in zip(sources, features) {
            let toCartoons = label == Self.cartoonData ? nil : try KernelInceptionDistance.distance(real: features[0], generated: statistics, options: kid)
            let toFaces = label == Self.faceData ? nil : try KernelInceptionDistance.distance(real: features[1], generated: statistics, options: kid)
            rows.append(Row(label: label, swapAt: swapAt, kidToCartoons: toCartoons, kidToFaces: toFaces, rendering: try RenderingStatistics(of: source)))
        }
        return Report(rows: rows, images: images, truncation: truncation, extractor: evaluator.network.identity,
                      warning: evaluator.network.comparabilityWarning)
    }

    static func firstImages(of dataset: ImageDataset, count: Int) throws -> ImageSource {
        guard dataset.count >= count else { throw TrainingError("\(dataset.source) has \(dataset.count) images; the effect measurement needs \(count)") }
        let all = dataset.imageSource
        return ImageSource(count: count, channels: all.channels, height: all.height, width: all.width, description: all.description) {
            try all.image(at: $0)
        }
    }

    static func source(_ images: [Image8], description: String) -> ImageSource {
        ImageSource(count: images.count, channels: 3, height: images[0].height, width: images[0].width, description: description) {
            images[$0].planar(channels: 3)
        }
    }

    /// The report as a Markdown table (KIDs ×10³, as StyleGAN2-ADA's papers print them).
    public static func table(_ report: Report) -> String {
        func kid(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 1000) } ?? "—" }
        var lines = ["| | KID×10³ to cartoon data | KID×10³ to face data | edge density |", "|---|---:|---:|---:|"]
        for row in report.rows {
            lines.append("| \(row.label) | \(kid(row.kidToCartoons)) | \(kid(row.kidToFaces)) | "
                + String(format: "%.3f |", row.rendering.edgeDensity))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
