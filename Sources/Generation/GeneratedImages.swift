import Checkpoint
import Engine
import Foundation
import Imaging
import Interop

/// The images of one `generate` run, gathered batch by batch: raw values for a `.npy`, 8-bit images
/// for PNGs, and per image how many of its values were NaN or infinite.
struct GeneratedImages {
    let names: [String]
    let keepsValues: Bool
    let keepsPNGs: Bool
    private(set) var values: [Float] = []
    private(set) var pngs: [Image8] = []
    private var nonFinite: [Int] = []

    init(names: [String], keepsValues: Bool, keepsPNGs: Bool) {
        self.names = names
        self.keepsValues = keepsValues
        self.keepsPNGs = keepsPNGs
    }

    var nonFiniteTotal: Int { nonFinite.reduce(0, +) }

    mutating func append(_ batch: Tensor) throws {
        if keepsValues { values += batch.scalars }
        guard keepsPNGs else { return }
        pngs += try GenerateJob.pngImages(batch)
        nonFinite += GenerateJob.nonFiniteCounts(batch)
    }

    /// `-o`: the raw values as a `.npy`, or a folder of NAME.png. Every file is recorded in `outputs`.
    func write(to output: URL, shape: [Int], outputs: NewOutputs, into result: inout GenerateJob.Result) throws {
        if output.pathExtension.lowercased() == "npy" {
            try outputs.write(output) { try NumpyArray.write(TensorData(float32: values, shape: shape), to: output) }
            result.written.append(output)
            return
        }
        try outputs.createFolder(output)
        for (image, name) in zip(pngs, names) {
            let url = output.appendingPathComponent(name + ".png")
            try outputs.write(url) { try PNG.write(image, to: url) }
            result.written.append(url)
        }
        let affected = nonFinite.filter { $0 > 0 }.count
        if affected > 0 {
            result.warnings.append(ImageConversion.nonFiniteWarning(file: output.path, count: nonFiniteTotal, images: (affected, pngs.count)))
        }
    }

}
