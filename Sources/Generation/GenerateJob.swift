import Checkpoint
import Engine
import Foundation
import Imaging
import Interop
import Networks
import UntrustedInput

/// `toonkit generate`: images from seeds (or given ws) through a checkpoint's generator.
public struct GenerateJob {
    public enum Source: Sendable {
        case seeds([UInt32])
        /// A `.npy` of ws [N, num_ws, w_dim].
        case ws(URL)
    }

    public var checkpoint: URL
    public var source: Source
    public var network = "G_ema"
    public var truncation = Truncation.none
    public var noise = NoiseMode.const
    public var classIndex: Int?
    /// `.npy` → raw float32 [N, C, R, R]; anything else is a directory of `seedNNNN.png`.
    public var output: URL?
    public var grid: URL?
    /// A title above the grid (none: the images alone, edge to edge).
    public var gridCaption: String?
    /// Each image enlarged this many times in the grid (nearest neighbour).
    public var gridMagnification = 1
    public var batchSize = 4

    public init(checkpoint: URL, source: Source) {
        self.checkpoint = checkpoint
        self.source = source
    }

    public struct Result: Sendable {
        public var images: Int
        public var written: [URL]
        /// One line per written image file (or folder) that holds NaN or infinite values.
        public var warnings: [String]
    }

    /// Generates every image, then writes the outputs; if writing fails, no new file or folder is left.
    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        guard output != nil || grid != nil else { throw GenerationError("nothing to write: give -o OUT (.npy or a folder) and/or --grid FILE.png") }
        guard batchSize >= 1 else { throw GenerationError("batch size must be at least 1") }
        guard gridMagnification >= 1 else { throw GenerationError("the grid magnification must be at least 1, got \(gridMagnification)") }
        let reader = try CheckpointReader.open(checkpoint.path)
        let generator = try Generator(reader: reader, network: network).preparedForInference()
        let (ws, names) = try latents(generator)
        let count = ws.shape[0]
        var images = GeneratedImages(names: names, keepsValues: output?.pathExtension.lowercased() == "npy",
                                     keepsPNGs: output.map { $0.pathExtension.lowercased() != "npy" } ?? false || grid != nil)
        for start in stride(from: 0, to: count, by: batchSize) {
            let length = min(batchSize, count - start)
            try images.append(GradMode.withoutGrad {
                try generator.synthesize(ws: ws.slice(axis: 0, start: start, length: length), noise: noise, noiseSeed: UInt32(start))
            })
            progress("generated \(start + length)/\(count)")
        }
        let architecture = generator.architecture
        let shape = [count, architecture.imgChannels, architecture.resolution, architecture.resolution]
        return try NewOutputs.removedOnFailure { outputs in
            var result = Result(images: count, written: [], warnings: [])
            if let output { try images.write(to: output, shape: shape, outputs: outputs, into: &result) }
            if let grid {
                let picture = try gridCaption.map { try ImageGrid.captioned(images.pngs, title: $0, magnification: gridMagnification) }
                    ?? ImageGrid.tiled(images.pngs.map { $0.magnified(by: gridMagnification) })
                try outputs.write(grid) { try PNG.write(picture, to: grid) }
                result.written.append(grid)
                if images.nonFiniteTotal > 0 { result.warnings.append(ImageConversion.nonFiniteWarning(file: grid.path, count: images.nonFiniteTotal)) }
            }
            return result
        }
    }

    /// ws for every output image and the file stem each image is saved under.
    private func latents(_ generator: Generator) throws -> (Tensor, [String]) {
        let a = generator.architecture
        switch source {
        case .seeds(let seeds):
            guard !seeds.isEmpty else { throw GenerationError("no seeds given") }
            let z = try Latents.z(seeds: seeds, zDim: a.zDim)
            let c = try Latents.oneHot(classIndex: classIndex, count: seeds.count, cDim: a.cDim)
            let ws = try GradMode.withoutGrad { try generator.map(z: z, c: c, truncation: truncation) }
            return (ws, seeds.map { String(format: "seed%04u", $0) })
        case .ws(let url):
            let ws = try LatentFile.read(url, numWs: generator.numWs, wDim: a.wDim)
            return (ws, (0..<ws.shape[0]).map { String(format: "ws%04d", $0) })
        }
    }

    /// Network output [N, C, R, R] → 8-bit images with the reference's rounding (NaN as mid-grey, see
    /// `ImageConversion.toUInt8`).
    public static func pngImages(_ images: Tensor) throws -> [Image8] {
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        return try images.withUnsafeBufferPointer { buffer in
            try (0..<n).map { i in
                try ImageConversion.image(fromPlanar: UnsafeBufferPointer(rebasing: buffer[(i * c * h * w)..<((i + 1) * c * h * w)]),
                                          channels: c, height: h, width: w)
            }
        }
    }
}

extension GenerateJob {
    /// Per image of a [N, C, R, R] batch, how many values are NaN or infinite (see `ImageConversion.toUInt8`).
    public static func nonFiniteCounts(_ batch: Tensor) -> [Int] {
        let perImage = batch.shape.dropFirst().reduce(1, *)
        return batch.withUnsafeBufferPointer { buffer in
            (0..<batch.shape[0]).map { i in
                ImageConversion.nonFiniteCount(UnsafeBufferPointer(rebasing: buffer[(i * perImage)..<((i + 1) * perImage)]))
            }
        }
    }
}

public struct GenerationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
