import Checkpoint
import Networks
import Foundation
import Generation
import Interop
import Surgery
import TestSupport

/// Fixture checkpoints for surgery: NAME.pkl as the base, NAME.b.pkl (moved synthesis weights) as the style.
enum Inputs {
    static func pair(_ name: String, in folder: TemporaryDirectory) throws -> (base: String, style: String) {
        let base = folder.file("\(name).base.h5"), style = folder.file("\(name).style.h5")
        try ModelImporter.importCheckpoint(from: Fixtures.url("\(name).pkl"), to: base)
        try ModelImporter.importCheckpoint(from: Fixtures.url("\(name).b.pkl"), to: style)
        return (base.path, style.path)
    }

    static func reference(_ name: String) throws -> [String: TensorData] {
        try NumpyArchive.read(Fixtures.url("\(name).ref.npz"))
    }

    /// `generate CHECKPOINT --ws ws.npy -o out.npy` with constant noise: the reference blends are synthesis(ws_psi07).
    static func synthesize(_ checkpoint: String, ws: TensorData, in folder: TemporaryDirectory) throws -> [Float] {
        let wsFile = folder.file("ws-\(UUID().uuidString).npy"), output = folder.file("images-\(UUID().uuidString).npy")
        try NumpyArray.write(ws, to: wsFile)
        var job = GenerateJob(checkpoint: URL(fileURLWithPath: checkpoint), source: .ws(wsFile))
        job.output = output
        _ = try job.run()
        return try NumpyArray.read(output).floats()
    }

    /// float64 or float32 values as Double (the fixtures' blend_mask is float64; float32 would round it).
    static func doubles(_ data: TensorData) throws -> [Double] {
        guard data.dtype == .float64 else { return try data.floats().map(Double.init) }
        return data.bytes.withUnsafeBytes { raw in (0..<data.count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }

    static func swap(_ base: String, _ style: String, at resolution: Int, output: String, invert: Bool = false, keepD: Bool = false) throws -> SurgeryResult {
        let recipe = BlendRecipe(base: base, style: style, schedule: .swap(at: resolution), invert: invert, keepDiscriminator: keepD)
        return try SurgeryJob(Recipe(action: .blend(recipe), output: output)).run(durable: false)
    }

    /// sha256 of every tensor of a network, by name (from the header: no data read).
    static func digests(_ reader: CheckpointReader, _ network: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try reader.tensorInfos(network: network).map { ($0.name, $0.sha256) })
    }
}

/// A copy of `source` with tensors renamed, dropped or reshaped, for incompatibility tests.
enum Tampered {
    static func write(_ source: String, to path: String, edit: (String, TensorEntry) throws -> TensorEntry?) throws {
        let reader = try CheckpointReader.open(source)
        let writer = try CheckpointWriter(path: path, architecture: reader.architecture, durable: false)
        for network in reader.networkNames {
            for name in try reader.tensorNames(network: network) {
                if let entry = try edit(network, try reader.readTensor(network: network, name: name)) {
                    try writer.write(network: network, entry: entry)
                }
            }
        }
        try writer.commit()
    }
}
