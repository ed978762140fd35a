import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks

@Suite struct DiffTests {
    static let base: [TensorEntry] = [
        TensorEntry(name: "same", kind: .parameter, data: Samples.ramp([8])),
        TensorEntry(name: "nudged", kind: .parameter, data: Samples.floats([1, 2, 3, 4], shape: [4])),
        TensorEntry(name: "gone", kind: .parameter, data: Samples.ramp([2])),
        TensorEntry(name: "reshaped", kind: .parameter, data: Samples.ramp([2, 3])),
        TensorEntry(name: "recast", kind: .buffer, data: Samples.ramp([3])),
    ]

    static let changed: [TensorEntry] = [
        TensorEntry(name: "same", kind: .parameter, data: Samples.ramp([8])),
        TensorEntry(name: "nudged", kind: .parameter, data: Samples.floats([1, 2, 3, 4.002], shape: [4])),
        TensorEntry(name: "reshaped", kind: .parameter, data: Samples.ramp([3, 2])),
        TensorEntry(name: "recast", kind: .buffer, data: try! TensorData(dtype: .float64, shape: [3], bytes: [0.0, 1.0, 2.0].withUnsafeBytes { Data($0) })),
        TensorEntry(name: "new", kind: .parameter, data: Samples.ramp([1])),
    ]

    static func pair(in folder: TemporaryDirectory, _ a: [TensorEntry], _ b: [TensorEntry]) throws -> (String, String) {
        (try Samples.write(folder.path("a.h5"), networks: [("toy", a)]), try Samples.write(folder.path("b.h5"), networks: [("toy", b)]))
    }

    @Test func everyStatusIsReportedByName() throws {
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, Self.base, Self.changed)
        let report = try CheckpointDiffer.diff(a, b)
        let statuses = Dictionary(uniqueKeysWithValues: report.tensors.map { ($0.name, $0.status) })
        #expect(statuses == ["same": .same, "nudged": .different, "gone": .onlyA, "reshaped": .shape, "recast": .dtype, "new": .onlyB])
        #expect(report.tensors.map(\.name) == ["same", "nudged", "gone", "reshaped", "recast", "new"])
        #expect(report.exitCode == 1)
        let nudged = try #require(report.tensors.first { $0.name == "nudged" })
        #expect(abs(nudged.maxAbs! - 0.002) < 1e-6)
        #expect(abs(nudged.relL2! - 0.002 / 30.0.squareRoot()) < 1e-6)
        #expect(report.tensors.first { $0.name == "reshaped" }?.detail == "[2, 3] float32 vs [3, 2] float32")
        #expect(report.tensors.first { $0.name == "gone" }?.maxAbs == nil)
    }

    @Test func tolerancesFollowAbsolutePlusRelativeRule() throws {
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, [Self.base[1]], [Self.changed[1]])
        // |a - b| = 0.002 (to float32 precision) against |b| = 4.002.
        #expect(try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: 0.0021)).exitCode == 0)
        #expect(try CheckpointDiffer.diff(a, b, options: DiffOptions(rtol: 0.0006)).exitCode == 0)
        #expect(try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: 0.001, rtol: 0.0003)).exitCode == 0)
        #expect(try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: 0.001, rtol: 0.0002)).exitCode == 1)
        let within = try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: 0.01)).tensors[0]
        #expect(within.status == .same)
        #expect(within.maxAbs! > 0)
    }

    @Test func identicalFilesAreSameWithoutDifference() throws {
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, Self.base, Self.base)
        let report = try CheckpointDiffer.diff(a, b)
        #expect(report.exitCode == 0)
        #expect(report.tensors.allSatisfy { $0.status == .same && $0.maxAbs == 0 && $0.relL2 == 0 })
    }

    /// A flipped bit in b's data keeps b's stored checksum equal to a's: diff reads the data, so it reports
    /// the damage as an error instead of "same"; only --trust-checksums compares the stored checksums.
    @Test func damagedDataIsNeverSameUnlessChecksumsAreTrusted() throws {
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, Self.base, Self.base)
        try Tamper.flipByte(b, at: try Tamper.dataOffset(b, network: "toy", name: "same"))
        let error = try #require(throws: CheckpointError.self) { try CheckpointDiffer.diff(a, b) }
        #expect("\(error)".hasPrefix("\(b): /networks/toy/same: sha256 mismatch"), "\(error)")
        let trusted = try CheckpointDiffer.diff(a, b, options: DiffOptions(trustChecksums: true))
        #expect(trusted.allSame && trusted.checksumsTrusted)
        #expect(trusted.text().contains("stored sha256 checksums"))
    }

    @Test func nanMatchesOnlyNanAtTheSamePosition() throws {
        let nan = Float.nan
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder,
            [TensorEntry(name: "x", kind: .parameter, data: Samples.floats([nan, 1], shape: [2])),
             TensorEntry(name: "y", kind: .parameter, data: Samples.floats([nan, 1], shape: [2]))],
            [TensorEntry(name: "x", kind: .parameter, data: Samples.floats([-nan, 1], shape: [2])),
             TensorEntry(name: "y", kind: .parameter, data: Samples.floats([1, nan], shape: [2]))])
        let report = try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: 1))
        #expect(report.tensors[0].status == .same)
        #expect(report.tensors[1].status == .different)
        #expect(report.tensors[1].maxAbs == .infinity)
    }

    @Test func relativeL2IsDefinedForAZeroReference() throws {
        let zeros = Samples.floats([0, 0], shape: [2])
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder,
            [TensorEntry(name: "x", kind: .parameter, data: Samples.floats([0, 1], shape: [2])),
             TensorEntry(name: "z", kind: .parameter, data: Samples.floats([-0.0, 0], shape: [2]))],
            [TensorEntry(name: "x", kind: .parameter, data: zeros), TensorEntry(name: "z", kind: .parameter, data: zeros)])
        let report = try CheckpointDiffer.diff(a, b)
        #expect(report.tensors[0].relL2 == .infinity)
        #expect(report.tensors[1].relL2 == 0)
        #expect(report.tensors[1].status == .same)
    }

    @Test func networkSelectionAndUnknownNetworks() throws {
        let folder = try TemporaryDirectory()
        let a = try Samples.write(folder.path("a.h5"), networks: [("toy", Self.base), ("critic", [Self.base[0]])])
        let b = try Samples.write(folder.path("b.h5"), networks: [("other", Self.changed)])
        #expect(try CheckpointDiffer.diff(a, b, options: DiffOptions(networks: ["critic"])).tensors.map(\.status) == [.onlyA])
        #expect(throws: CheckpointError.self) { try CheckpointDiffer.diff(a, b, options: DiffOptions(networks: ["nothing"])) }
    }

    @Test func jsonListsEveryTensorWithNullsWhenNotCompared() throws {
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, Self.base, Self.changed)
        let report = try CheckpointDiffer.diff(a, b)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let tensors = try #require(document["tensors"] as? [[String: Any]])
        #expect(tensors.count == 6)
        for tensor in tensors {
            #expect(Set(tensor.keys).isSuperset(of: ["network", "name", "status", "max_abs", "rel_l2"]))
        }
        let gone = try #require(tensors.first { $0["name"] as? String == "gone" })
        #expect(gone["status"] as? String == "only_a")
        #expect(gone["max_abs"] is NSNull)
    }

    @Test func trainableChangesAreNotesNotDifferences() throws {
        var frozen = Self.base[0]
        frozen.trainable = false
        let folder = try TemporaryDirectory()
        let (a, b) = try Self.pair(in: folder, [Self.base[0]], [frozen])
        let tensor = try CheckpointDiffer.diff(a, b).tensors[0]
        #expect(tensor.status == .same)
        #expect(tensor.note == "trainable true → false")
    }
}
