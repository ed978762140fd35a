import Engine
import Foundation
import Testing

/// Finite-difference gradient checking for float32 ops.
///
/// Tolerance reasoning: the objective is evaluated in float32, so each evaluation carries a rounding
/// error of roughly 1e-7·|f|·√n. A central difference with step h = 1e-2 divides that by 2h, and
/// its truncation error is O(h²·f‴). For our test sizes (|f| ≲ 10, n ≲ 500) both terms stay
/// below ~1e-4 per element, while gradients are O(0.1–1); the relative L2 error of the whole
/// gradient therefore sits around 1e-4–1e-3 when the analytic gradient is right, and near 1 when
/// it is wrong. Measured errors are 1e-6–1e-4 (first order) and up to 7e-4 (second order, whose
/// objective already contains a backward pass); we accept ≤ 2e-3 and ≤ 1e-2 — a few times the worst
/// measured value, far below the O(1) error of a wrong gradient — and print the measured value.
enum GradCheck {

    static func random(_ shape: [Int], scale: Float = 1, awayFromZero: Float = 0, seed: UInt32) -> Tensor {
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
    static func numericGradient(_ f: ([Tensor]) throws -> Float, _ inputs: [Tensor], index: Int, step: Float) throws -> [Float] {
        var result: [Float] = []
        let base = inputs[index].scalars
        for i in 0..<base.count {
            var plus = base, minus = base
            plus[i] += step
            minus[i] -= step
            var inputsPlus = inputs, inputsMinus = inputs
            inputsPlus[index] = try Tensor(shape: inputs[index].shape, values: plus)
            inputsMinus[index] = try Tensor(shape: inputs[index].shape, values: minus)
            let difference = Double(try f(inputsPlus)) - Double(try f(inputsMinus))
            result.append(Float(difference / (2 * Double(step))))
        }
        return result
    }

    static func relativeError(_ analytic: [Float], _ numeric: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for (a, n) in zip(analytic, numeric) {
            difference += Double(a - n) * Double(a - n)
            norm += Double(n) * Double(n)
        }
        return (difference / max(norm, 1e-20)).squareRoot()
    }

    /// Checks d objective / d inputs[i] for each i in `checked` (all by default).
    /// `objective` maps tensors (that may require grad) to a scalar tensor.
    static func check(_ name: String, _ inputs: [Tensor], checked: [Int]? = nil, step: Float = 1e-2,
                      tolerance: Double = 2e-3, objective: @escaping ([Tensor]) throws -> Tensor) throws {
        let leaves = inputs.map { $0.requiringGrad() }
        let loss = try objective(leaves)
        let grads = try gradients(of: loss, withRespectTo: leaves)
        for index in checked ?? Array(inputs.indices) {
            let numeric = try numericGradient({ tensors in try GradMode.withoutGrad { try objective(tensors).item() } }, inputs, index: index, step: step)
            let error = relativeError(grads[index].scalars, numeric)
            print("gradcheck \(name) input \(index): relative error \(String(format: "%.2e", error))")
            #expect(error <= tolerance, "\(name): gradient of input \(index) has relative error \(error)")
        }
    }

    /// Second order: h(θ) = Σ (∂f/∂x)², differentiated with respect to the inputs in `checked` by
    /// autograd (create-graph) and by finite differences of the first-order gradient.
    static func checkSecondOrder(_ name: String, _ inputs: [Tensor], differentiate x: Int, checked: [Int],
                                 step: Float = 1e-2, tolerance: Double = 1e-2,
                                 objective: @escaping ([Tensor]) throws -> Tensor) throws {
        func penalty(_ tensors: [Tensor], createGraph: Bool) throws -> Tensor {
            let f = try objective(tensors)
            let gx = try gradients(of: f, withRespectTo: [tensors[x]], createGraph: createGraph)[0]
            return try gx.square().sum()
        }
        // Only x and the checked inputs take part in autograd; the rest stay constants.
        let active = Set(checked + [x])
        func prepared(_ tensors: [Tensor]) -> [Tensor] {
            tensors.enumerated().map { active.contains($0.offset) ? $0.element.requiringGrad() : $0.element }
        }
        let leaves = prepared(inputs)
        let h = try penalty(leaves, createGraph: true)
        let grads = try gradients(of: h, withRespectTo: checked.map { leaves[$0] })
        for (position, index) in checked.enumerated() {
            let numeric = try numericGradient({ try penalty(prepared($0), createGraph: false).item() },
                                              inputs, index: index, step: step)
            let error = relativeError(grads[position].scalars, numeric)
            print("second-order check \(name) input \(index): relative error \(String(format: "%.2e", error))")
            #expect(error <= tolerance, "\(name): second-order gradient of input \(index) has relative error \(error)")
        }
    }

    /// Σ y ⊙ R with a fixed random R, so that every output element matters with its own weight.
    static func weightedSum(_ y: Tensor, seed: UInt32 = 99) throws -> Tensor {
        try (y * random(y.shape, seed: seed)).sum()
    }
}
