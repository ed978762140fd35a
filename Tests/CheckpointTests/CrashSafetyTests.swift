import Foundation
import Testing
import TestSupport
@testable import Checkpoint
import Networks
#if canImport(Glibc)
import Glibc
#endif

/// A child process rewrites a checkpoint in a loop and is SIGKILLed at random moments; the target must
/// always validate and hold one complete generation (the old file or one of the child's commits).
///
/// The child is this test bundle itself, relaunched with `--filter` on `rewriteLoop` and an environment
/// variable naming the target: in the child, that test loops until it is killed.
@Suite(.serialized) struct CrashSafetyTests {
    static let targetVariable = "TOONKIT_CRASH_CHILD_TARGET"
    static let tensorCount = 8
    static let tensorShape = [64, 64, 16]

    /// Every tensor of generation g is filled with g, so a mix of generations is detectable.
    static func writeGeneration(_ generation: Int, to path: String) throws {
        let writer = try CheckpointWriter(path: path, architecture: Samples.architecture)
        let count = tensorShape.reduce(1, *)
        for index in 0..<tensorCount {
            let data = try TensorData(float32: [Float](repeating: Float(generation), count: count), shape: tensorShape)
            try writer.write(network: "toy", entry: TensorEntry(name: "t\(index)", kind: .parameter, data: data))
        }
        try writer.commit()
    }

    static func generation(of path: String) throws -> Int {
        let reader = try CheckpointReader(path: path)
        let values = try (0..<tensorCount).map { try reader.readTensor(network: "toy", name: "t\($0)").data.floats() }
        let generations = Set(values.flatMap { $0 })
        #expect(generations.count == 1, "mixed generations \(generations)")
        return Int(generations.first ?? -1)
    }

    /// In a normal run: three rewrites, each leaving a valid file. In the child: rewrites until killed.
    @Test func rewriteLoop() throws {
        let childTarget = ProcessInfo.processInfo.environment[Self.targetVariable]
        let folder = childTarget == nil ? try TemporaryDirectory() : nil
        let target = childTarget ?? folder!.path("loop.h5")
        var generation = 1
        while childTarget != nil || generation <= 3 {
            try Self.writeGeneration(generation, to: target)
            if childTarget == nil {
                #expect(CheckpointValidator.validate(path: target).status == .valid)
                #expect(try Self.generation(of: target) == generation)
            }
            generation += 1
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/exe"), "skipped: relaunching the test bundle needs /proc/self/exe (Linux)"))
    func killedWriterNeverLeavesAHalfWrittenTarget() throws {
        let bundle = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let folder = try TemporaryDirectory()
        let target = folder.path("victim.h5")
        try Self.writeGeneration(0, to: target)
        var seen = Set<Int>()
        var generator = SystemRandomNumberGenerator()
        // 20 kills at least; on a loaded machine, where a child may be killed before its first commit every
        // time, up to 20 more with longer waits so that some kill lands after a replacement.
        var round = 0
        while round < 20 || (seen.count < 2 && round < 40) {
            defer { round += 1 }
            let child = try spawnClosingOtherDescriptors(bundle, ["--testing-library", "swift-testing", "--filter", "CrashSafetyTests/rewriteLoop"],
                                                         environment: ProcessInfo.processInfo.environment.merging([Self.targetVariable: target]) { _, new in new })
            // Startup takes ~50 ms; later kills land inside writes, flushes, renames.
            usleep(UInt32.random(in: 30_000...(round < 4 ? 150_000 : round < 20 ? 400_000 : 1_000_000), using: &generator))
            kill(child, SIGKILL)
            let ended = try waitForExit(child)
            #expect(ended.signal == SIGKILL, "the child exited by itself (status \(ended.code)); is the bundle relaunchable?")
            let report = CheckpointValidator.validate(path: target)
            #expect(report.status == .valid, "round \(round): \(report.problems) \(report.error ?? "")")
            seen.insert(try Self.generation(of: target))
        }
        // Killed children leave their temporary files behind; they are recognisable and removable.
        #expect(folder.contents.allSatisfy { $0 == "victim.h5" || $0.hasPrefix(".victim.h5.tmp-") })
        // The next write of the same target clears them.
        _ = try Samples.write(target)
        #expect(folder.contents == ["victim.h5"])
        #expect(seen.count > 1, "no kill happened after a commit; the test did not exercise replacement")
    }
}
