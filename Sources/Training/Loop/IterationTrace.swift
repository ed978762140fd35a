import Engine
import Foundation
import Networks

/// One training iteration observed phase by phase (docs/training-loop.md §11): what each phase computed
/// and both networks after its optimizer step, then G_ema after the EMA update.
public struct IterationTrace {
    public var phases: [TrainingRun.PhaseOutcome]
    /// pl_mean and the EMA's β before the iteration.
    public var pathLengthMeanBefore: Float
    public var emaBeta: Double
    public var generatorEMA: ParameterSet
    public var report: TrainingRun.StepReport

    public subscript(phase: TrainingPhase) -> TrainingRun.PhaseOutcome? { phases.first { $0.phase == phase } }
}

extension TrainingRun {
    /// Runs the next iteration through the normal loop (`step(inputs:observe:)`) and records every phase.
    /// With `RecordedTrainingInputs` and `TrainingOptions.replaying(...)` this reproduces an iteration
    /// recorded from another implementation, for a parity check of the code users run.
    public mutating func traceIteration(inputs: inout some TrainingInputSource) throws -> IterationTrace {
        var phases: [PhaseOutcome] = []
        let (plMean, beta) = (loss.pathLengthMean, emaBeta)
        let report = try step(inputs: &inputs) { phases.append($0) }
        return IterationTrace(phases: phases, pathLengthMeanBefore: plMean, emaBeta: beta,
                              generatorEMA: generatorEMA.parameters, report: report)
    }
}

extension TrainingOptions {
    /// The settings of a recorded iteration that `RecordedTrainingInputs` can replay: no augmentation and
    /// no style mixing (their draws are not inputs), the given batch, R1 γ, learning rate, EMA half-life and
    /// path-length weight; everything else as the `auto` config derives it.
    public static func replaying(batch: Int, gamma: Double, learningRate: Double, emaKimg: Double,
                                 pathLengthWeight: Double) -> TrainingOptions {
        var options = TrainingOptions()
        (options.batch, options.gamma, options.learningRate) = (batch, gamma, learningRate)
        (options.emaKimg, options.pathLengthWeight) = (emaKimg, pathLengthWeight)
        // Augmentation and style mixing draw from `random`, which a recording cannot supply.
        (options.augmentation, options.styleMixing) = (.noaug, 0)
        return options
    }
}
