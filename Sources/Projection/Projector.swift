import Engine
import Foundation
import Metrics
import Networks
import Training

/// One finished optimisation step, for progress reports and the loss curve.
public struct ProjectionStep: Sendable {
    public let step: Int
    public let steps: Int
    /// The image distance (LPIPS, plus the pixel term when enabled).
    public let distance: Float
    /// The distance plus the weighted noise regulariser: what Adam minimised.
    public let loss: Float
    public let learningRate: Double
}

/// A projection's outcome: the latent with the lowest distance seen, and the history.
public struct ProjectionResult {
    /// [1, num_ws, w_dim]; in W mode every row is the same w.
    public let ws: Tensor
    public let bestStep: Int
    public let bestDistance: Float
    public let history: [ProjectionStep]
    /// True when the observer asked to stop before the last step.
    public let stoppedEarly: Bool
}

/// StyleGAN2-ADA's projector on the engine's autograd (docs/projection.md): finds the latent (one w,
/// or one per synthesis input with `wPlus`) and noise images whose synthesis is closest to a target.
public struct Projector {
    public let generator: Generator
    public let lpips: LPIPS?
    public let settings: ProjectionSettings
    static let wName = "w"
    /// VGG16 was trained at 224²; the reference compares larger images area-downsampled to 256².
    static let distanceResolution = 256

    /// Throws when there is no distance to minimise or the generator does not make RGB images.
    public init(generator: Generator, lpips: LPIPS?, settings: ProjectionSettings) throws {
        guard lpips != nil || settings.pixelWeight > 0 else {
            throw ProjectionError("the projector needs a distance: LPIPS weights, a pixel weight above 0, or both")
        }
        guard generator.architecture.imgChannels == 3 else {
            throw ProjectionError("the projector compares RGB images; this generator makes \(generator.architecture.imgChannels)-channel images")
        }
        guard settings.steps >= 1, settings.averageSamples >= 1 else {
            throw ProjectionError("steps and average samples must be at least 1 (got \(settings.steps) and \(settings.averageSamples))")
        }
        // Every step synthesises with the same weights; only ws and the noise images are optimised.
        self.generator = try generator.preparedForInference()
        self.lpips = lpips
        self.settings = settings
    }

    /// Projects `target` ([1, 3, R, R] in [−1, 1], R the generator's resolution). `observe` sees every
    /// step and returns false to stop early (the best latent so far is still returned). W+ runs the W
    /// projection first and then refines its w per synthesis input for as many steps again
    /// (docs/projection.md §Method).
    public func project(target: Tensor, observe: (ProjectionStep) -> Bool = { _ in true }) throws -> ProjectionResult {
        let resolution = generator.architecture.resolution
        guard target.shape == [1, 3, resolution, resolution] else {
            throw ProjectionError("the target must be [1, 3, \(resolution), \(resolution)] for this generator, got \(target.shape)")
        }
        let (wAverage, wStd) = try wStatistics()
        var run = Run(distance: try ImageDistance(target: target, lpips: lpips, pixelWeight: settings.pixelWeight),
                      rng: RandomState(seed: settings.seed), totalSteps: settings.steps * (settings.wPlus ? 2 : 1))
        let noiseNames = settings.optimizesNoise ? generator.network.synthesis.noiseConstants.map(\.name) : []
        var variables = ParameterSet(network: "projection")
        variables.set(Self.wName, try wAverage.reshaped([1, 1, wAverage.count]))
        for name in noiseNames {
            variables.set(name, try NoiseRegularizer.renormalized(run.rng.normalTensor(generator.parameters.tensor(name).shape)))
        }
        try optimize(&variables, noiseNames: noiseNames, wStd: wStd, run: &run, observe: observe)
        if settings.wPlus, !run.stopped, let best = run.best {
            // Starting at an optimum, the refinement adds no noise to w: it would only throw it out again.
            variables.set(Self.wName, best.ws)
            try optimize(&variables, noiseNames: noiseNames, wStd: 0, run: &run, observe: observe)
        }
        let best = run.best!
        return ProjectionResult(ws: best.ws, bestStep: best.step, bestDistance: best.distance, history: run.history, stoppedEarly: run.stopped)
    }

    /// The state of one projection across its stages.
    private struct Run {
        let distance: ImageDistance
        var rng: RandomState
        let totalSteps: Int
        var history: [ProjectionStep] = []
        var best: (step: Int, distance: Float, ws: Tensor)?
        var stopped = false
    }

    /// One stage: `settings.steps` Adam steps on the variables (w, with as many rows as it has, and the
    /// noise images), with the learning-rate and w-noise schedules restarted.
    private func optimize(_ variables: inout ParameterSet, noiseNames: [String], wStd: Double, run: inout Run,
                          observe: (ProjectionStep) -> Bool) throws {
        var adam = AdamOptimizer(settings: AdamSettings(learningRate: settings.initialLearningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8))
        for step in 0..<settings.steps {
            let w = try variables.tensor(Self.wName)
            let learningRate = settings.learningRate(at: step)
            let wNoise = try run.rng.normalTensor(w.shape) * Float(settings.wNoiseScale(at: step, wStd: wStd))
            let (losses, gradients) = try evaluate(variables, noiseNames: noiseNames, distance: run.distance, wNoise: wNoise)
            let record = ProjectionStep(step: run.history.count + 1, steps: run.totalSteps, distance: losses.distance, loss: losses.total, learningRate: learningRate)
            if run.best == nil || losses.distance < run.best!.distance {
                run.best = (record.step, losses.distance, try broadcast(w))
            }
            try adam.update(&variables, gradients: gradients, learningRate: learningRate)
            for name in noiseNames { variables.set(name, try NoiseRegularizer.renormalized(variables.tensor(name))) }
            run.history.append(record)
            guard observe(record) else { run.stopped = record.step < run.totalSteps; return }
        }
    }

    /// The mean w of `averageSamples` mapped z (numpy RandomState draws, as the reference) and the
    /// root mean squared distance of those ws from it.
    public func wStatistics() throws -> (average: Tensor, std: Double) {
        let zDim = generator.architecture.zDim, count = settings.averageSamples
        var rng = RandomState(seed: settings.averageSeed)
        let z = rng.randn(count * zDim).map { Float($0) }
        var sum = [Double](repeating: 0, count: generator.architecture.wDim)
        var samples: [[Float]] = []
        let batch = 1000
        for start in stride(from: 0, to: count, by: batch) {
            let length = min(batch, count - start)
            let zBatch = try Tensor(shape: [length, zDim], values: Array(z[(start * zDim)..<((start + length) * zDim)]))
            let w = try GradMode.withoutGrad { try generator.mappingOutput(z: zBatch) }.scalars
            for row in 0..<length {
                let sample = Array(w[(row * sum.count)..<((row + 1) * sum.count)])
                for i in sum.indices { sum[i] += Double(sample[i]) }
                samples.append(sample)
            }
        }
        let average = sum.map { Float($0 / Double(count)) }
        let squares = samples.reduce(0.0) { total, sample in
            zip(sample, average).reduce(total) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        }
        return (try Tensor(shape: [average.count], values: average), (squares / Double(count)).squareRoot())
    }

    /// One forward and backward pass: the distance and loss, and the loss's gradients by variable name.
    private func evaluate(_ variables: ParameterSet, noiseNames: [String], distance: ImageDistance,
                          wNoise: Tensor) throws -> (losses: (distance: Float, total: Float), gradients: [String: Tensor]) {
        let names = [Self.wName] + noiseNames
        let (parameters, leaves) = variables.withGradientLeaves(Set(names))
        var synthesizer = generator
        for (name, leaf) in leaves where name != Self.wName { synthesizer.parameters.set(name, leaf, kind: .buffer) }
        let w = try parameters.tensor(Self.wName)
        let images = try synthesizer.synthesize(ws: broadcast(w + wNoise), noise: .const)
        let imageDistance = try distance(images)
        let regularizer = try NoiseRegularizer.loss(noiseNames.map { try parameters.tensor($0) })
        let loss = try imageDistance + regularizer * settings.noiseRegularizationWeight
        let gradients = try Engine.gradients(of: loss, withRespectTo: leaves.map(\.1))
        return ((try imageDistance.item(), try loss.item()),
                Dictionary(uniqueKeysWithValues: zip(leaves.map(\.0), gradients)))
    }

    /// [1, rows, w_dim] → [1, num_ws, w_dim] (W mode repeats its single w).
    private func broadcast(_ w: Tensor) throws -> Tensor {
        try w.expand(to: [1, generator.numWs, generator.architecture.wDim])
    }
}

public struct ProjectionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
