import Checkpoint
import Engine
import Foundation
import Interop
import UntrustedInput

/// Files of ws [N, num_ws, w_dim] float32: a `.npy` of the array, or an `.npz` holding it as `w`, the
/// layout of StyleGAN2-ADA's projected_w.npz (so the reference generate.py --projected-w reads what
/// `toonkit project` writes, and `toonkit generate --ws` reads the reference's).
public enum LatentFile {
    public static let archiveKey = "w"

    public static func write(_ ws: Tensor, to url: URL) throws {
        try NumpyArchive.write([archiveKey: TensorData(float32: ws.scalars, shape: ws.shape)], to: url)
    }

    /// The ws, checked against the generator's num_ws and w_dim.
    public static func read(_ url: URL, numWs: Int, wDim: Int) throws -> Tensor {
        let name = url.path.escapedForDisplay
        let data: TensorData
        if url.pathExtension.lowercased() == "npz" {
            let arrays: [String: TensorData]
            do {
                arrays = try NumpyArchive.read(url)
            } catch {
                throw GenerationError("\(error) (expected a numpy .npz holding ws as '\(archiveKey)')")
            }
            guard let stored = arrays[archiveKey] else {
                throw GenerationError("\(name): an .npz of ws must hold an array named '\(archiveKey)' (as projected_w.npz does)")
            }
            data = stored
        } else {
            data = try NumpyArray.read(url)
        }
        guard data.shape.count == 3, data.shape[1] == numWs, data.shape[2] == wDim else {
            throw GenerationError("\(name): ws must have shape [N, \(numWs), \(wDim)] for this generator, got \(data.shape)")
        }
        return try Tensor(shape: data.shape, values: data.floats())
    }
}
