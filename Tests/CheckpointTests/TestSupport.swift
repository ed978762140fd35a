import Foundation
import Testing
@testable import Checkpoint
import Networks
import CHDF5
import TestSupport

enum Samples {
    static let architecture = Architecture(resolution: 32, zDim: 32, wDim: 32, mappingLayers: 2, channelBase: 256, channelMax: 32)

    static func floats(_ values: [Float], shape: [Int]) -> TensorData {
        try! TensorData(float32: values, shape: shape)
    }

    static func ramp(_ shape: [Int], scale: Float = 1, offset: Float = 0) -> TensorData {
        let count = shape.reduce(1, *)
        return floats((0..<count).map { Float($0) * scale + offset }, shape: shape)
    }

    static func raw(_ dtype: DType, shape: [Int], seed: UInt8 = 1) -> TensorData {
        let count = shape.reduce(1, *) * dtype.byteSize
        var bytes = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
        if dtype == .bool { bytes = Data(bytes.map { $0 & 1 }) }
        return try! TensorData(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// A small generator-like network in state-dict order (deliberately not alphabetical).
    static let generator: [TensorEntry] = [
        TensorEntry(name: "synthesis.b8.conv0.weight", kind: .parameter, data: ramp([4, 2, 3, 3], scale: 0.01)),
        TensorEntry(name: "synthesis.b4.const", kind: .parameter, data: ramp([4, 4, 4], scale: 0.1)),
        TensorEntry(name: "mapping.w_avg", kind: .buffer, trainable: false, data: ramp([32], scale: -0.5)),
        TensorEntry(name: "synthesis.b16.conv1.noise_strength", kind: .parameter, data: floats([0.25], shape: [])),
        TensorEntry(name: "mapping.fc0.weight", kind: .parameter, data: ramp([32, 32], scale: 0.001)),
        TensorEntry(name: "synthesis.b32.torgb.bias", kind: .parameter, data: ramp([3])),
    ]

    /// Writes a checkpoint with the given networks and commits it.
    @discardableResult
    static func write(_ path: String, networks: [(String, [TensorEntry])] = [("toy", generator)],
                      provenance: [ProvenanceRecord] = [ProvenanceRecord(operation: "test")]) throws -> String {
        let writer = try CheckpointWriter(path: path, architecture: architecture, durable: false)
        for (network, entries) in networks {
            for entry in entries { try writer.write(network: network, entry: entry) }
        }
        writer.appendProvenance(contentsOf: provenance)
        try writer.commit()
        return path
    }
}

enum Tamper {
    /// Opens with HDF5's file locking off. A child process that another test is spawning holds a copy of every open
    /// descriptor, and so of the writer's flock, until its closefrom runs; an open for writing in that moment failed with
    /// "unable to lock the file" (errno 11), twice in fresh-clone CI runs (ValidationTests, HostileStructureTests), right
    /// after `Samples.write` had closed the file. Nothing else writes these files.
    static func edit(_ path: String, _ body: (H5Handle) throws -> Void) throws {
        let access = try HDF5.propertyList(toon_H5P_FILE_ACCESS())
        try h5("turn file locking off") { H5Pset_file_locking(access.id, false, true) }
        let file = try HDF5.openFile("open \(path) for writing") { H5Fopen(path, toon_H5F_ACC_RDWR(), access.id) }
        try body(file)
        try file.close("close \(path)")
    }

    static func setStringAttribute(_ path: String, object: String = "/", name: String, to value: String) throws {
        try edit(path) { file in
            let target = try H5Handle.make("open \(object)") { H5Oopen(file.id, object, h5Default) }
            try h5("delete attribute \(name)") { H5Adelete(target.id, name) }
            try HDF5.writeAttribute(target, name, string: value)
        }
    }

    static func deleteObject(_ path: String, _ object: String) throws {
        try edit(path) { file in try h5("delete \(object)") { H5Ldelete(file.id, object, h5Default) } }
    }

    static func flipByte(_ path: String, at offset: UInt64) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0x40]))
    }

    /// File offset of a network tensor's raw data, from the header.
    static func dataOffset(_ path: String, network: String, name: String) throws -> UInt64 {
        let file = try CheckpointFile(path: path, layout: StyleGAN2Layout())
        let tensor = try #require(file.networks.first { $0.name == network }?.tensors.first { $0.name == name })
        return try #require(tensor.description.offset)
    }
}
