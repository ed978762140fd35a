import CHDF5
import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

/// Checkpoints whose HDF5 structure reaches outside the file, loops, or crashes libhdf5: each is refused
/// before any tensor data is read (docs/untrusted-files.md).
@Suite struct HostileStructureTests {
    static let tensor = "synthesis.b4.const"
    static let object = "/networks/toy/\(tensor)"

    /// A valid checkpoint edited by `body`, and the refusal message `CheckpointReader` gives for it.
    func refusal(_ body: (H5Handle) throws -> Void) throws -> (path: String, message: String, folder: TemporaryDirectory) {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("hostile.h5"))
        try Tamper.edit(path, body)
        let error = try #require(throws: CheckpointError.self) { try CheckpointReader(path: path) }
        guard case .refused = error else {
            Issue.record("expected a refusal, got \(error)")
            return (path, "\(error)", folder)
        }
        #expect(CheckpointValidator.validate(path: path).status == .unreadable)
        return (path, "\(error)", folder)
    }

    /// Replaces the sample tensor with a dataset made with `properties`, keeping its attributes.
    func replaceTensor(_ file: H5Handle, properties: H5Handle, shape: [Int]) throws {
        try h5("delete") { H5Ldelete(file.id, Self.object, h5Default) }
        let space = try HDF5.dataspace(shape: shape)
        let type = try DType.float32.makeHDF5Type()
        let dataset = try H5Handle.make("create") { H5Dcreate2(file.id, Self.object, type.id, space.id, h5Default, properties.id, h5Default) }
        try HDF5.writeAttribute(dataset, "kind", string: "parameter")
        try HDF5.writeAttribute(dataset, "trainable", flag: true)
        try HDF5.writeAttribute(dataset, "sha256", string: String(repeating: "0", count: 64))
    }

    @Test func externalStorageIsRefusedAndTheOutsideFileIsNeverRead() throws {
        let secret = try TemporaryDirectory()
        let outside = secret.path("secret.bin")
        try Data(repeating: 0x41, count: 256).write(to: URL(fileURLWithPath: outside))
        let (_, message, _) = try refusal { file in
            let properties = try HDF5.propertyList(toon_H5P_DATASET_CREATE())
            try h5("set external") { H5Pset_external(properties.id, outside, 0, 256) }
            try replaceTensor(file, properties: properties, shape: [4, 4, 4])
        }
        #expect(message.contains("\(Self.object) keeps its data in an external file"), "\(message)")
    }

    @Test func chunkedDataDeclaringATerabyteIsRefusedUnread() throws {
        let (_, message, _) = try refusal { file in
            let properties = try HDF5.propertyList(toon_H5P_DATASET_CREATE())
            let chunk: [hsize_t] = [1024, 1024]
            try h5("set chunk") { H5Pset_chunk(properties.id, 2, chunk) }
            try replaceTensor(file, properties: properties, shape: [1 << 20, 1 << 20])
        }
        #expect(message.contains("\(Self.object) is chunked"), "\(message)")
    }

    @Test func externalAndSoftLinksAreRefused() throws {
        let external = try refusal { file in
            try h5("external link") { H5Lcreate_external("/etc/hostname", "/", file.id, "/networks/toy/elsewhere", h5Default, h5Default) }
        }
        #expect(external.message.contains("/networks/toy/elsewhere is an external link"), "\(external.message)")
        let soft = try refusal { file in
            try h5("soft link") { H5Lcreate_soft(Self.object, file.id, "/networks/toy/alias", h5Default, h5Default) }
        }
        #expect(soft.message.contains("/networks/toy/alias is a soft link"), "\(soft.message)")
    }

    @Test func aHardLinkCycleIsRefusedWithoutRecursing() throws {
        let (_, message, _) = try refusal { file in
            try h5("hard link") { H5Lcreate_hard(file.id, "/networks", file.id, "/networks/toy/loop", h5Default, h5Default) }
        }
        #expect(message.contains("/networks/toy/loop is a second hard link"), "\(message)")
    }

    /// Flipped metadata bytes make libhdf5 1.10 read through wild pointers; in this process that would kill
    /// the test runner. Every flip must end as a clean error or a readable file, never a crash.
    @Test func flippedMetadataBytesNeverCrashThisProcess() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let dataStart = try Samples.generator.map { try Tamper.dataOffset(path, network: "toy", name: $0.name) }.min()!
        var outcomes: [String: Int] = [:]
        var generator = SplitMix64(seed: 11)
        for _ in 0..<60 {
            var bytes = [UInt8](original)
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                bytes[Int(generator.next() % dataStart)] ^= UInt8(1 << (generator.next() % 8))
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let reader = try CheckpointReader(path: path)
                for name in try reader.tensorNames(network: reader.networkNames.first ?? "toy") {
                    _ = try? reader.readTensor(network: reader.networkNames[0], name: name)
                }
                outcomes["opened", default: 0] += 1
            } catch let error as CheckpointError {
                #expect("\(error)".hasPrefix(path), "\(error)")
                outcomes["\(error.category)", default: 0] += 1
            }
        }
        print("60 checkpoints with 1–4 flipped metadata bits: \(outcomes)")
    }
}

/// A small deterministic generator for the flips (the same bytes on every run).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
