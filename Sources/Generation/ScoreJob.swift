import Checkpoint
import Engine
import Foundation
import Imaging
import Interop
import Networks
import UntrustedInput

/// `toonkit score`: discriminator logits for a batch of images and, per image, the R1 penalty
/// ‖∂(Σ logits)/∂image‖². The batch runs as one minibatch, so minibatch-std groups match the reference.
public struct ScoreJob {
    public var checkpoint: URL
    /// A `.npy` of float32 [N, C, R, R] in [−1, 1], or a folder of PNGs.
    public var images: URL
    /// A `.npy` of float32 [N, c_dim] one-hot labels (conditional models).
    public var labels: URL?
    /// One class for every image (conditional models), instead of `labels`.
    public var classIndex: Int?
    public var network = "D"

    public init(checkpoint: URL, images: URL, labels: URL? = nil) {
        self.checkpoint = checkpoint
        self.images = images
        self.labels = labels
    }

    public struct Result: Codable, Sendable {
        public var logits: [Float]
        public var r1Penalty: [Float]
        /// File names when the images came from a folder.
        public var files: [String]?

        enum CodingKeys: String, CodingKey { case logits, r1Penalty = "r1_penalty", files }
    }

    public func run() throws -> Result {
        let reader = try CheckpointReader.open(checkpoint.path)
        let discriminator = try Discriminator(reader: reader, network: network)
        let (batch, files) = try loadImages(resolution: discriminator.architecture.resolution, channels: discriminator.architecture.imgChannels)
        let labelTensor = try labelBatch(count: batch.shape[0], cDim: discriminator.architecture.cDim)
        return try Self.score(discriminator, images: batch, labels: labelTensor, files: files)
    }

    /// The labels for `count` images: a conditional discriminator needs one per image (`labels` or one
    /// `classIndex` for all), and an unconditional one takes none, so that labels are never silently ignored.
    private func labelBatch(count: Int, cDim: Int) throws -> Tensor? {
        switch (labels, classIndex) {
        case (.some, .some):
            throw GenerationError("give the labels either as a file (--labels) or as one class for every image (--class), not both")
        case (nil, let classIndex?):
            return try Latents.oneHot(classIndex: classIndex, count: count, cDim: cDim)
        case (nil, nil):
            guard cDim == 0 else {
                throw GenerationError("this discriminator is conditional (c_dim = \(cDim)): give the labels with --labels FILE.npy (float32 [\(count), \(cDim)], one-hot) or one class for every image with --class 0…\(cDim - 1)")
            }
            return nil
        case (let url?, nil):
            guard cDim > 0 else { throw GenerationError("--labels was given, but this discriminator is unconditional (c_dim = 0)") }
            let data = try NumpyArray.read(url)
            guard data.shape == [count, cDim] else {
                throw GenerationError("\(url.path.escapedForDisplay): labels must have shape [\(count), \(cDim)] (one row per image), got \(data.shape)")
            }
            return try Tensor(shape: data.shape, values: data.floats())
        }
    }

    public static func score(_ discriminator: Discriminator, images: Tensor, labels: Tensor?, files: [String]? = nil) throws -> Result {
        let input = images.requiringGrad()
        let logits = try discriminator(input, labels: labels)
        let gradient = try gradients(of: logits.sum(), withRespectTo: [input])[0]
        let penalty = try gradient.square().sum(axes: [1, 2, 3])
        return Result(logits: logits.scalars, r1Penalty: penalty.scalars, files: files)
    }

    private func loadImages(resolution: Int, channels: Int) throws -> (Tensor, [String]?) {
        if try !InputFile.checkFileOrFolder(images.path) {
            let data = try NumpyArray.read(images)
            guard data.shape.count == 4, data.shape[1] == channels, data.shape[2] == resolution, data.shape[3] == resolution else {
                throw GenerationError("\(images.path.escapedForDisplay): images must have shape [N, \(channels), \(resolution), \(resolution)], got \(data.shape)")
            }
            return (try Tensor(shape: data.shape, values: data.floats()), nil)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: images.path)
            .filter { $0.lowercased().hasSuffix(".png") }.sorted()
        guard !names.isEmpty else { throw GenerationError("\(images.path.escapedForDisplay): the folder holds no .png files") }
        var values: [Float] = []
        for name in names {
            let file = images.appendingPathComponent(name)
            let image = try PNG.read(file)
            guard image.width == resolution, image.height == resolution else {
                throw GenerationError("\(file.path.escapedForDisplay): is \(image.width)×\(image.height), the discriminator needs \(resolution)×\(resolution)")
            }
            values += ImageConversion.planar(from: image)
        }
        return (try Tensor(shape: [names.count, 3, resolution, resolution], values: values), names)
    }
}
