import Checkpoint
import Networks
import Foundation

/// What a checkpoint operation wrote.
public struct SurgeryResult: Sendable {
    public var output: String
    public var tensors: Int
    public var bytes: Int
    /// Wall time of `run`: streaming, hashing the inputs and the commit (the inputs were opened and the plan made before).
    public var seconds: Double
    public var commit: CommitTimings
}

/// swap, blend, merge or freeze as a file operation: the inputs are opened and checked and the plan is
/// made on construction (headers only, nothing written), then `run` streams the plan tensor by tensor
/// into an atomic writer. No network is ever built.
public final class SurgeryJob {
    public let recipe: Recipe
    public let plan: SurgeryPlan
    let executor: PlanExecutor

    public init(_ recipe: Recipe) throws {
        self.recipe = recipe
        let readers: [CheckpointReader]
        switch recipe.action {
        case .blend(let blend):
            readers = [try CheckpointReader.open(blend.base), try CheckpointReader.open(blend.style)]
            plan = try BlendPlanner.plan(blend, base: readers[0], style: readers[1], output: recipe.output)
        case .merge(let merge):
            readers = try merge.inputs.map(CheckpointReader.open)
            plan = try MergePlanner.plan(merge, readers: readers, output: recipe.output)
        case .freeze(let freeze):
            readers = [try CheckpointReader.open(freeze.checkpoint)]
            plan = try FreezePlanner.plan(freeze, reader: readers[0], output: recipe.output)
        case .sweep:
            throw SurgeryError.invalidParameter("sweep writes an image, not a checkpoint (use SweepJob)")
        }
        executor = PlanExecutor(readers: readers)
    }

    /// Writes the output. Input files are hashed for the provenance record on another core meanwhile.
    /// On any error the writer is aborted, so nothing appears at the output path.
    public func run(durable: Bool = true, progress: (String) -> Void = { _ in }) throws -> SurgeryResult {
        let clock = ContinuousClock()
        let start = clock.now
        let digests = InputDigests(paths: plan.inputs.map(\.path))
        let source = executor.readers[0]
        let writer = try CheckpointWriter(path: plan.output, architecture: source.architecture, durable: durable)
        do {
            var tensors = 0, bytes = 0
            for network in plan.networks {
                for step in network.steps {
                    let entry = try executor.entry(network: network.network, step: step, releasingInputs: true)
                    try writer.write(network: network.network, entry: entry)
                    if case .copy = step.source { MappedPages.release(entry.data) }
                    tensors += 1
                    bytes += entry.data.bytes.count
                }
                progress("\(plan.operation): \(network.network) \(network.steps.count) tensors written")
            }
            if plan.keepsTrainingState {
                try writer.copyContents(of: source, networks: [])
            } else {
                writer.appendProvenance(contentsOf: source.provenance)
            }
            writer.appendProvenance(ProvenanceRecord(operation: plan.operation, parameters: provenanceParameters(), inputs: try digests.values()))
            let commit = try writer.commit()
            return SurgeryResult(output: plan.output, tensors: tensors, bytes: bytes, seconds: Self.seconds(clock.now - start), commit: commit)
        } catch {
            writer.abort()
            throw error
        }
    }

    /// The recipe's parameters, the recipe text itself (as mergekit stores its config), the networks written
    /// and, for swap/blend, the resolved weight of every block.
    func provenanceParameters() -> [String: JSONValue] {
        var parameters: [String: JSONValue] = [:]
        if case .object(let members) = recipe.parametersJSON { parameters = members }
        parameters["recipe"] = .string(recipe.text)
        parameters["networks"] = .array(plan.networks.map { .string($0.network) })
        if !plan.styleWeights.isEmpty {
            parameters["style_weights"] = .object(Dictionary(uniqueKeysWithValues: plan.styleWeights.map { (String($0.resolution), .number($0.weight)) }))
        }
        return parameters
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// Produces the output tensors a plan describes, one at a time, from the open inputs.
struct PlanExecutor {
    let readers: [CheckpointReader]

    /// Every input tensor is verified against its stored checksum as it is read, so surgery never launders
    /// bit rot into a fresh checksum. With `releasingInputs`, inputs consumed by a computation give their
    /// pages back at once (copies are released by the caller after writing).
    func entry(network: String, step: TensorStep, releasingInputs: Bool) throws -> TensorEntry {
        func read(_ input: Int) throws -> TensorData {
            try readers[input].readTensor(network: network, name: step.name, verifyChecksum: true).data
        }
        func finished(_ data: TensorData) { if releasingInputs { MappedPages.release(data) } }
        switch step.source {
        case .copy(let input):
            var entry = try readers[input].readTensor(network: network, name: step.name, verifyChecksum: true)
            if let trainable = step.trainable { entry.trainable = trainable }
            return entry
        case .linear(let weights):
            let info = try readers[0].tensorInfo(network: network, name: step.name)
            let data = try TensorMath.linear(weights: weights, shape: info.shape, dtype: info.dtype, input: read, finished: finished)
            return TensorEntry(name: step.name, kind: info.kind, trainable: step.trainable ?? info.trainable, data: data)
        case .slerp(let t):
            let info = try readers[0].tensorInfo(network: network, name: step.name)
            let a = try read(0), b = try read(1)
            let data = try TensorMath.slerp(a, b, t: t, dtype: info.dtype)
            finished(a)
            finished(b)
            return TensorEntry(name: step.name, kind: info.kind, trainable: step.trainable ?? info.trainable, data: data)
        }
    }
}

/// SHA-256 of the input files for the provenance record, computed once, streaming, on another core
/// while the tensors are written (hashing a 300 MB input costs about as much as the copy itself).
final class InputDigests: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<[ProvenanceInput], Error> = .success([])

    init(paths: [String]) {
        DispatchQueue.global(qos: .userInitiated).async(group: group) { [self] in
            result = Result { try paths.map(ProvenanceInput.file(at:)) }
        }
    }

    func values() throws -> [ProvenanceInput] {
        group.wait()
        return try result.get()
    }
}
