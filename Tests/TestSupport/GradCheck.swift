import Engine
import Foundation
import Testing

/// Finite-difference gradient checking for float32 ops, shared by the engine's and the augment
/// pipeline's tests.
///
/// Tolerance reasoning: the objective is evaluated in float32, so each evaluation carries a rounding
/// error of roughly 1e-7·|f|·√n. A central difference with step h = 1e-2 divides that by 2h, and
/// its truncation error is O(h²·f‴). For our test sizes (|f| ≲ 10, n ≲ 500) both terms stay
/// below ~1e-4 per element, while gradients are O(0.1–1); the relative L2 error of the whole
/// gradient therefore sits around 1e-4–1e-3 when the analytic gradient is right, and near 1 when
/// it is wrong. Measured errors are 1e-6–1e-4 (first order) and up to 7e-4 (second order, whose
/// objective already contains a backward pass); we accept ≤ 2e-3 and ≤ 1e-2 — a few times the worst
/// measured value, far below the O(1) error of a wrong gradient — and print the measured value.
public enum GradCheck {

    public static func random(_ shape: [Int], scale: Float = 1, awayFromZero: Float = 0, seed: UInt32) -> Tensor {
        var rng = RandomState(seed: seed)
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ -> Float in
            var v = Float(rng.nextGaussian()) * scale
            if awayFromZero > 0 && abs(v) < awayFromZero { v = v < 0 ? v - awayFromZero : v + awayFromZero }
            return v
        }
        return try! Tensor(shape: shape, values: values)
    }

    /// Central differences of `f` at `inputs[index]`, one element at a time.
    public static func numericGradient(_ f: ([Tensor]) throws -> Float, _ inputs: [Tensor], index: Int, step: Float) throws -> [Float] {
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

    /// Relative L2 error of `analytic` against `numeric`; infinite when the lengths differ or the numeric
    /// gradient is zero (a check against a zero gradient proves nothing, so it must not pass).
    public static func relativeError(_ analytic: [Float], _ numeric: [Float]) -> Double {
        guard analytic.count == numeric.count else { return .infinity }
        let difference = zip(analytic, numeric).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = numeric.reduce(0.0) { $0 + Double($1) * Double($1) }
        guard norm > 0 else { return .infinity }
        return (difference / norm).squareRoot()
    }

    /// Relative errors of d objective / d inputs[i] for each i in `checked` (all by default), autograd
    /// against central differences. `objective` maps tensors (that may require grad) to a scalar tensor.
    public static func firstOrderErrors(_ inputs: [Tensor], checked: [Int]? = nil, step: Float = 1e-2,
                                        objective: @escaping ([Tensor]) throws -> Tensor) throws -> [Double] {
        let leaves = inputs.map { $0.requiringGrad() }
        let grads = try gradients(of: objective(leaves), withRespectTo: leaves)
        return try (checked ?? Array(inputs.indices)).map { index in
            let numeric = try numericGradient({ tensors in try GradMode.withoutGrad { try objective(tensors).item() } }, inputs, index: index, step: step)
            return relativeError(grads[index].scalars, numeric)
        }
    }

    /// Second order: h(θ) = Σ (∂f/∂x)², differentiated with respect to the inputs in `checked` by
    /// autograd (create-graph) and by central differences of h. Returns one relative error per checked input.
    public static func secondOrderErrors(_ inputs: [Tensor], differentiate x: Int, checked: [Int], step: Float = 1e-2,
                                         objective: @escaping ([Tensor]) throws -> Tensor) throws -> [Double] {
        func penalty(_ tensors: [Tensor], createGraph: Bool) throws -> Tensor {
            let gx = try gradients(of: objective(tensors), withRespectTo: [tensors[x]], createGraph: createGraph)[0]
            return try gx.square().sum()
        }
        // Only x and the checked inputs take part in autograd; the rest stay constants.
        let active = Set(checked + [x])
        func prepared(_ tensors: [Tensor]) -> [Tensor] {
            tensors.enumerated().map { active.contains($0.offset) ? $0.element.requiringGrad() : $0.element }
        }
        let leaves = prepared(inputs)
        let grads = try gradients(of: penalty(leaves, createGraph: true), withRespectTo: checked.map { leaves[$0] })
        return try checked.enumerated().map { position, index in
            let numeric = try numericGradient({ try penalty(prepared($0), createGraph: false).item() }, inputs, index: index, step: step)
            return relativeError(grads[position].scalars, numeric)
        }
    }

    /// Checks and prints the first-order errors of `firstOrderErrors`.
    public static func check(_ name: String, _ inputs: [Tensor], checked: [Int]? = nil, step: Float = 1e-2,
                             tolerance: Double = 2e-3, objective: @escaping ([Tensor]) throws -> Tensor) throws {
        let indices = checked ?? Array(inputs.indices)
        let errors = try firstOrderErrors(inputs, checked: indices, step: step, objective: objective)
        for (index, error) in zip(indices, errors) {
            print("gradcheck \(name) input \(index): relative error \(String(format: "%.2e", error))")
            #expect(error <= tolerance, "\(name): gradient of input \(index) has relative error \(error)")
        }
    }

    /// Checks and prints the second-order errors of `secondOrderErrors`.
    public static func checkSecondOrder(_ name: String, _ inputs: [Tensor], differentiate x: Int, checked: [Int],
                                        step: Float = 1e-2, tolerance: Double = 1e-2,
                                        objective: @escaping ([Tensor]) throws -> Tensor) throws {
        let errors = try secondOrderErrors(inputs, differentiate: x, checked: checked, step: step, objective: objective)
        for (index, error) in zip(checked, errors) {
            print("second-order check \(name) input \(index): relative error \(String(format: "%.2e", error))")
            #expect(error <= tolerance, "\(name): second-order gradient of input \(index) has relative error \(error)")
        }
    }

    /// Σ y ⊙ R with a fixed random R, so that every output element matters with its own weight.
    public static func weightedSum(_ y: Tensor, seed: UInt32 = 99) throws -> Tensor {
        try (y * random(y.shape, seed: seed)).sum()
    }
}
