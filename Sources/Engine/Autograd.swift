/// Reverse-mode automatic differentiation.
///
/// Every differentiable op records a `GradNode` whose backward function is written with ordinary
/// tensor ops. Running a backward pass with `createGraph: true` therefore records the backward
/// computation itself, so a gradient can be differentiated again (R1 and path-length penalties).
final class GradNode {
    typealias Backward = (_ gradOutput: Tensor, _ output: Tensor?, _ needsInputGrad: [Bool]) throws -> [Tensor?]

    let op: String
    let inputs: [GradNode?]
    let backward: Backward?
    let outputShape: [Int]
    /// Kept only for ops whose backward needs their own output (sqrt, exp, bias_act, …).
    let savedOutput: TensorStorage?

    init(op: String, inputs: [GradNode?], outputShape: [Int], savedOutput: TensorStorage?, backward: Backward?) {
        self.op = op
        self.inputs = inputs
        self.outputShape = outputShape
        self.savedOutput = savedOutput
        self.backward = backward
    }

    var isLeaf: Bool { backward == nil }
}

/// Whether ops record graph nodes. Task-local, so concurrently running tests and workers do not interfere.
public enum GradMode {
    @TaskLocal public static var isEnabled = true

    /// Runs `body` without recording (inference, optimiser updates, EMA).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false, operation: body)
    }
}

extension Tensor {
    /// True when this tensor is a leaf that asks for gradients or was computed from one.
    public var requiresGrad: Bool { gradNode != nil }

    /// A leaf that gradients can be taken with respect to (shares the storage).
    public func requiringGrad() -> Tensor {
        Tensor(shape: shape, storage: storage, gradNode: GradNode(op: "leaf", inputs: [], outputShape: shape, savedOutput: nil, backward: nil))
    }

    /// The same values, outside any graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Attaches a backward function to a freshly computed `output` when recording is on and an input needs it.
    static func record(_ op: String, output: Tensor, inputs: [Tensor], savesOutput: Bool = false,
                       backward: @escaping GradNode.Backward) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return output }
        let node = GradNode(op: op, inputs: inputs.map { $0.gradNode }, outputShape: output.shape,
                            savedOutput: savesOutput ? output.storage : nil, backward: backward)
        return Tensor(shape: output.shape, storage: output.storage, gradNode: node)
    }
}

/// Gradients of `output` with respect to each of `inputs` (which may be leaves or intermediate tensors).
///
/// - Parameters:
///   - seed: the gradient of the final objective with respect to `output`; defaults to ones, which is
///     the usual choice for a scalar loss.
///   - createGraph: record the backward computation so that the returned gradients can be
///     differentiated again.
/// - Returns: one gradient per input, zeros where `output` does not depend on it.
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil,
                      createGraph: Bool = false) throws -> [Tensor] {
    let seedGradient = try seed ?? Tensor.ones(output.shape)
    guard seedGradient.shape == output.shape else {
        throw EngineError.shapes("gradients", "seed shape differs from the output shape", seedGradient.shape, output.shape)
    }
    guard let root = output.gradNode else {
        return try inputs.map { try Tensor.zeros($0.shape) }
    }
    let targets = Set(inputs.compactMap { $0.gradNode.map(ObjectIdentifier.init) })
    let order = reverseTopologicalOrder(from: root, reaching: targets)
    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seedGradient]
    var collected: [ObjectIdentifier: Tensor] = [:]

    try GradMode.$isEnabled.withValue(createGraph) {
        for node in order {
            let id = ObjectIdentifier(node)
            guard let gradient = pending.removeValue(forKey: id) else { continue }
            if targets.contains(id) { collected[id] = gradient }
            guard let backward = node.backward else { continue }
            let needs = node.inputs.map { input in input.map { order.contains(node: $0) } ?? false }
            guard needs.contains(true) else { continue }
            let output = node.savedOutput.map { Tensor(shape: node.outputShape, storage: $0, gradNode: createGraph ? node : nil) }
            let inputGradients = try backward(gradient, output, needs)
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard let input, let inputGradient, order.contains(node: input) else { continue }
                let inputID = ObjectIdentifier(input)
                guard inputGradient.shape == input.outputShape else {
                    throw EngineError.shapes("gradients", "backward of \(node.op) produced a gradient of the wrong shape",
                                             inputGradient.shape, input.outputShape)
                }
                guard var accumulated = pending.removeValue(forKey: inputID) else {
                    pending[inputID] = inputGradient
                    continue
                }
                // Without a graph to record, a sum held by nothing else takes the new gradient in place.
                if createGraph || !accumulated.addInPlaceIfUnique(inputGradient) { accumulated = try accumulated + inputGradient }
                pending[inputID] = accumulated
            }
        }
    }
    return try inputs.map { input in
        if let node = input.gradNode, let gradient = collected[ObjectIdentifier(node)] { return gradient }
        return try Tensor.zeros(input.shape)
    }
}

/// Nodes from which a target is reachable, parents before children (so each node's gradient is complete
/// when it is processed). Iterative, because generator graphs are thousands of nodes deep.
private struct NodeOrder: Sequence {
    var nodes: [GradNode]
    var members: Set<ObjectIdentifier>

    func contains(node: GradNode) -> Bool { members.contains(ObjectIdentifier(node)) }
    func makeIterator() -> IndexingIterator<[GradNode]> { nodes.makeIterator() }
}

private func reverseTopologicalOrder(from root: GradNode, reaching targets: Set<ObjectIdentifier>) -> NodeOrder {
    var postOrder: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var reachesTarget = Set<ObjectIdentifier>()
    var stack: [(node: GradNode, nextInput: Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while !stack.isEmpty {
        let (node, next) = stack[stack.count - 1]
        if next < node.inputs.count {
            stack[stack.count - 1].nextInput += 1
            if let input = node.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
                stack.append((input, 0))
            }
            continue
        }
        stack.removeLast()
        let id = ObjectIdentifier(node)
        if targets.contains(id) || node.inputs.contains(where: { $0.map { reachesTarget.contains(ObjectIdentifier($0)) } ?? false }) {
            reachesTarget.insert(id)
            postOrder.append(node)
        }
    }
    return NodeOrder(nodes: postOrder.reversed(), members: reachesTarget)
}
