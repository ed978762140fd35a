import Engine
import Foundation
import Metrics
import Networks
import Projection

/// `toonkit bench project`: seconds per projection step (synthesis, LPIPS-VGG16 on the image and its
/// backward pass through both, noise regulariser, Adam) of a randomly initialised generator, with
/// formula LPIPS weights (the timing does not depend on the values). The target is the generator's own
/// image of seed 0.
public enum ProjectionBenchmark {
    public struct Report: Codable, Sendable {
        public let network: String
        public let resolution: Int
        public let wPlus: Bool
        public let blasCore: String
        public let threads: Int
        public let steps: Int
        /// Median over the measured steps (the first step is a warm-up and not counted).
        public let secondsPerStep: Double
        /// The mean-w start (mapping of the w samples), paid once per projection.
        public let startSeconds: Double
        public let averageSamples: Int
    }

    public static func run(architecture: Architecture, name: String, steps: Int, wPlus: Bool, averageSamples: Int,
                           progress: (String) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Report {
        let generator = try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: 1))
        let target = try GradMode.withoutGrad { try generator.generate(z: Latents.z(seeds: [0], zDim: architecture.zDim), noise: .const) }
        var settings = ProjectionSettings()
        settings.steps = steps + 1
        settings.wPlus = wPlus
        settings.averageSamples = averageSamples
        let projector = try Projector(generator: generator, lpips: LPIPS(weights: .formula()), settings: settings)
        let started = Date()
        _ = try projector.wStatistics()
        let startSeconds = Date().timeIntervalSince(started)
        var stepSeconds: [Double] = []
        var last = Date()
        _ = try projector.project(target: target) { step in
            let now = Date()
            if step.step > 1 { stepSeconds.append(now.timeIntervalSince(last)) }
            last = now
            progress(step.step == 1 ? "\(name) step 1/\(step.steps): warm-up, not counted"
                                    : String(format: "%@ step %d/%d: %.2f s", name, step.step, step.steps, stepSeconds.last ?? 0))
            return !shouldStop()
        }
        guard !stepSeconds.isEmpty else { throw ProjectionError("the benchmark stopped before a step was measured") }
        return Report(network: name, resolution: architecture.resolution, wPlus: wPlus, blasCore: EngineThreads.blasCoreName,
                      threads: EngineThreads.count, steps: stepSeconds.count, secondsPerStep: median(stepSeconds),
                      startSeconds: startSeconds, averageSamples: averageSamples)
    }
}
