import Engine

/// Finite-difference gradient checks, trimmed from Tests/EngineTests/GradCheck.swift (test targets cannot
/// import each other); see there for the tolerance reasoning.
enum GradCheck {
    /// Central differences of `f` at `inputs[index]`, one element at a time.
    static func numericGradient(_ f: ([Tensor]) throws -> Float, _ inputs: [Tensor], index: Int, step: Float) throws -> [Float] {
        let base = inputs[index].scalars
        return try base.indices.map { i in
            var plus = base, minus = base
            plus[i] += step
            minus[i] -= step
            var inputsPlus = inputs, inputsMinus = inputs
            inputsPlus[index] = try Tensor(shape: inputs[index].shape, values: plus)
            inputsMinus[index] = try Tensor(shape: inputs[index].shape, values: minus)
            return Float((Double(try f(inputsPlus)) - Double(try f(inputsMinus))) / (2 * Double(step)))
        }
    }

    static func relativeError(_ analytic: [Float], _ numeric: [Float]) -> Double {
        let difference = zip(analytic, numeric).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = numeric.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / max(norm, 1e-20)).squareRoot()
    }

    /// Relative error of d objective / d inputs[0], autograd against central differences.
    static func firstOrderError(_ input: Tensor, step: Float = 1e-2, objective: @escaping (Tensor) throws -> Tensor) throws -> Double {
        let leaf = input.requiringGrad()
        let analytic = try gradients(of: objective(leaf), withRespectTo: [leaf])[0]
        let numeric = try numericGradient({ inputs in try GradMode.withoutGrad { try objective(inputs[0]).item() } }, [input], index: 0, step: step)
        return relativeError(analytic.scalars, numeric)
    }

    /// Second order: h = Σ (∂f/∂inputs[0])², differentiated with respect to inputs[`checked`] by autograd
    /// (create-graph) and by central differences of h. Returns the relative error.
    static func secondOrderError(_ inputs: [Tensor], checked: Int, step: Float = 1e-2,
                                 objective: @escaping ([Tensor]) throws -> Tensor) throws -> Double {
        // Only the differentiated input and the checked one take part in autograd; the rest stay constants.
        func prepared(_ tensors: [Tensor]) -> [Tensor] {
            tensors.enumerated().map { $0.offset == 0 || $0.offset == checked ? $0.element.requiringGrad() : $0.element }
        }
        func penalty(_ leaves: [Tensor], createGraph: Bool) throws -> Tensor {
            let gx = try gradients(of: objective(leaves), withRespectTo: [leaves[0]], createGraph: createGraph)[0]
            return try gx.square().sum()
        }
        let leaves = prepared(inputs)
        let analytic = try gradients(of: penalty(leaves, createGraph: true), withRespectTo: [leaves[checked]])[0]
        let numeric = try numericGradient({ try penalty(prepared($0), createGraph: false).item() }, inputs, index: checked, step: step)
        return relativeError(analytic.scalars, numeric)
    }
}
