import ArgumentParser
import Foundation
import Surgery

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a surgery recipe (YAML): swap, blend, freeze, merge or sweep.",
        discussion: """
        A recipe describes one operation as data (format: schemas/recipe-v1.schema.json; a sample is \
        fixtures/toonify-blend.recipe.yaml):

          toonkit_recipe: 1
          operation: blend              # swap | blend | freeze | merge | sweep
          description: optional text
          inputs: {base: ffhq.h5, style: toon.h5}   # freeze: {checkpoint: X}; merge: a list of files
          parameters: {at: 32, width: 0.75}         # the options of the command of the same name
          output: toonified.h5

        Relative paths are relative to the recipe's folder. Unknown keys are errors. The recipe text is \
        stored in the output's provenance record (parameter "recipe"), as mergekit stores its config; the \
        commands swap, blend, freeze, merge and sweep store the recipe equivalent to their flags.

        Exit status: 0 done, 2 error (nothing is written then).
        """)

    @Argument(help: "The recipe file (.yaml).") var recipe: String
    @Flag(help: "Print the plan and write nothing.") var dryRun = false

    func run() throws {
        try SurgeryCommand.execute(dryRun: dryRun) { try Recipe.load(path: recipe) }
    }
}

/// `-o` and `--dry-run`, shared by every surgery command.
struct SurgeryOutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Flag(help: "Print the per-tensor plan (which tensor comes from where, with which weight), check the inputs, write nothing.")
    var dryRun = false
}

/// Runs a recipe built from a command's flags: plan or result on stdout, progress on stderr.
enum SurgeryCommand {
    static func execute(dryRun: Bool, _ makeRecipe: () throws -> Recipe) throws {
        let recipe = try makeRecipe()
        let outcome = try RecipeRunner.run(recipe, dryRun: dryRun) { Console.progress($0) }
        Console.finishProgress()
        switch outcome {
        case .planned(let plan):
            print(plan, terminator: "")
            print("dry run: nothing written")
        case .written(let result):
            print("\(recipe.operation): wrote \(result.output) (\(result.tensors) tensors, "
                  + String(format: "%.1f MB, %.2f s", Double(result.bytes) / 1e6, result.seconds) + ")")
        case .swept(let result):
            result.warning.map(Console.warn)
            print("sweep: wrote \(result.output) (\(result.rows) rows; columns \(result.columns.joined(separator: ", ")))")
        }
    }

    /// "0.5,0.5" → [0.5, 0.5].
    static func numbers(_ text: String, option: String) throws -> [Double] {
        try text.split(separator: ",").map { item in
            guard let value = Double(item.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw SurgeryError.invalidParameter("\(option): '\(item)' is not a number")
            }
            return value
        }
    }
}
