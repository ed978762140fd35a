import Checkpoint
import Engine
import Foundation
import Imaging
import Interop
import Networks

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
    public var batchSize = 4

    public init(checkpoint: URL, source: Source) {
        self.checkpoint = checkpoint
        self.source = source
    }

    public struct Result: Sendable {
        public var images: Int
        public var written: [URL]
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        guard output != nil || grid != nil else { throw GenerationError("nothing to write: give -o OUT (.npy or a folder) and/or --grid FILE.png") }
        guard batchSize >= 1 else { throw GenerationError("batch size must be at least 1") }
        let reader = try CheckpointReader.open(checkpoint.path)
        let generator = try Generator(reader: reader, network: network)
        let (ws, names) = try latents(generator)
        let count = ws.shape[0]
        var npyValues: [Float] = []
        var pngs: [Image8] = []
        let wantsPNG = output.map { $0.pathExtension.lowercased() != "npy" } ?? false
        for start in stride(from: 0, to: count, by: batchSize) {
            let length = min(batchSize, count - start)
            let images = try GradMode.withoutGrad {
                try generator.synthesize(ws: ws.slice(axis: 0, start: start, length: length), noise: noise, noiseSeed: UInt32(start))
            }
            if output?.pathExtension.lowercased() == "npy" { npyValues += images.scalars }
            if wantsPNG || grid != nil { pngs += try Self.pngImages(images) }
            progress("generated \(start + length)/\(count)")
        }
        var written: [URL] = []
        if let output {
            if !wantsPNG {
                let shape = [count, generator.architecture.imgChannels, generator.architecture.resolution, generator.architecture.resolution]
                try NumpyArray.write(TensorData(float32: npyValues, shape: shape), to: output)
                written.append(output)
            } else {
                try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
                for (image, name) in zip(pngs, names) {
                    let url = output.appendingPathComponent(name + ".png")
                    try PNG.write(image, to: url)
                    written.append(url)
                }
            }
        }
        if let grid {
            try PNG.write(ImageGrid.tiled(pngs), to: grid)
            written.append(grid)
        }
        return Result(images: count, written: written)
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
            let data = try NumpyArray.read(url)
            guard data.shape.count == 3, data.shape[1] == generator.numWs, data.shape[2] == a.wDim else {
                throw GenerationError("\(url.path): ws must have shape [N, \(generator.numWs), \(a.wDim)], got \(data.shape)")
            }
            let ws = try Tensor(shape: data.shape, values: data.floats())
            return (ws, (0..<data.shape[0]).map { String(format: "ws%04d", $0) })
        }
    }

    /// Network output [N, C, R, R] → 8-bit images with the reference's rounding.
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

public struct GenerationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
