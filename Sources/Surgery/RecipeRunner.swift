import Foundation

/// What running a recipe produced.
public enum RecipeOutcome: Sendable {
    case written(SurgeryResult)
    case swept(SweepResult)
    /// `--dry-run`: the plan text; nothing was written.
    case planned(String)
}

/// Runs any recipe: the one entry point behind `toonkit run` and every surgery command.
public enum RecipeRunner {
    /// With `dryRun`, the inputs are opened and checked and the plan is returned; no file is created.
    public static func run(_ recipe: Recipe, dryRun: Bool = false, durable: Bool = true,
                           progress: (String) -> Void = { _ in }) throws -> RecipeOutcome {
        if case .sweep(let sweep) = recipe.action {
            let job = try SweepJob(sweep, output: recipe.output)
            return dryRun ? .planned(job.planText) : .swept(try job.run(progress: progress))
        }
        let job = try SurgeryJob(recipe)
        return dryRun ? .planned(job.plan.text) : .written(try job.run(durable: durable, progress: progress))
    }
}
