import Checkpoint
import Engine
import Foundation
import Networks

public struct AdamSettings: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// Adam as torch.optim.Adam computes it (bias-corrected step size, ε added after the square root),
/// over the trainable tensors of one network. Frozen tensors have no state and are never touched.
public struct AdamOptimizer {
    public let settings: AdamSettings
    public private(set) var step: Int = 0
    private(set) var firstMoments: [String: Tensor] = [:]
    private(set) var secondMoments: [String: Tensor] = [:]

    public init(settings: AdamSettings) {
        self.settings = settings
    }

    /// Applies one update. Non-finite gradients are sanitised first as the reference does (NaN → 0, ±inf → ±1e5).
    /// `learningRate` replaces the settings' for this step (a schedule, like setting torch's param_group['lr']).
    public mutating func update(_ parameters: inout ParameterSet, gradients: [String: Tensor], learningRate: Double? = nil) throws {
        step += 1
        let correction1 = 1 - pow(settings.beta1, Double(step))
        let correction2 = 1 - pow(settings.beta2, Double(step))
        // torch rounds 1 − β to float32 after subtracting in double; 1 − Float(β₂) differs by up to 7.5e-6
        // relative at β₂ = 0.99^0.8, which moved every step by ~2 tolerances of the reference's Adam check.
        let adam = AdamStep(beta1: Float(settings.beta1), oneMinusBeta1: Float(1 - settings.beta1),
                            beta2: Float(settings.beta2), oneMinusBeta2: Float(1 - settings.beta2),
                            stepSize: Float((learningRate ?? settings.learningRate) / correction1),
                            root2: Float(correction2.squareRoot()), epsilon: Float(settings.epsilon))
        for (name, gradient) in gradients {
            var value = try parameters.tensor(name).detached()
            var m = try firstMoments[name] ?? Tensor.zeros(value.shape)
            var v = try secondMoments[name] ?? Tensor.zeros(value.shape)
            guard gradient.shape == value.shape else {
                throw TrainingError("gradient of \(name) has shape \(gradient.shape), the tensor \(value.shape)")
            }
            gradient.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        value.withUnsafeMutableBufferPointer { p in adam.apply(gradient: g, firstMoment: m, secondMoment: v, parameter: p) }
                    }
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
            parameters.set(name, value, kind: parameters.kind(of: name) ?? .parameter)
        }
    }

    // MARK: Snapshot state

    /// The moments and step count as a checkpoint stores them.
    public func stored() throws -> StoredAdamState {
        StoredAdamState(step: step, moments: Dictionary(uniqueKeysWithValues: try firstMoments.keys.map { name in
            (name, StoredAdamState.Moments(first: try TensorData(float32: firstMoments[name]!.scalars, shape: firstMoments[name]!.shape),
                                           second: try TensorData(float32: secondMoments[name]!.scalars, shape: secondMoments[name]!.shape)))
        }))
    }

    public mutating func restore(_ state: StoredAdamState) throws {
        step = state.step
        for (name, moments) in state.moments {
            firstMoments[name] = try Tensor(shape: moments.first.shape, values: moments.first.floats())
            secondMoments[name] = try Tensor(shape: moments.second.shape, values: moments.second.floats())
        }
    }
}
