import Checkpoint
import Networks
import Foundation
import Surgery
import TestSupport
import Testing

struct RecipeParsingTests {
    static let recipes: [Recipe] = [
        Recipe(action: .blend(BlendRecipe(base: "a.h5", style: "b.h5", schedule: .swap(at: 64), invert: true, keepDiscriminator: true)), output: "o.h5"),
        Recipe(action: .blend(BlendRecipe(base: "a.h5", style: "b.h5", schedule: .weights([4: 0, 16: 0.25, 64: 1]))), output: "o.h5", note: "masked"),
        Recipe(action: .blend(BlendRecipe(base: "a.h5", style: "123", schedule: .logistic(at: 32, width: 1.5))), output: "true"),
        Recipe(action: .freeze(FreezeRecipe(checkpoint: "t.h5", selection: .layers(4))), output: "f.h5"),
        Recipe(action: .freeze(FreezeRecipe(checkpoint: "t.h5", network: "G_ema", selection: .names(["mapping.*", "affine"]), unfreeze: true)), output: "f.h5"),
        Recipe(action: .freeze(FreezeRecipe(checkpoint: "t.h5", selection: .blocks([256, 128]))), output: "f.h5"),
        Recipe(action: .merge(MergeRecipe(inputs: ["a.h5", "b.h5", "c.h5"], weights: [0.2, 0.3, 1e-05], normalize: true, networks: ["G_ema"])), output: "m.h5"),
        Recipe(action: .merge(MergeRecipe(inputs: ["a.h5", "b.h5"], weights: [0.5, 0.5], method: .slerp)), output: "m.h5"),
        Recipe(action: .sweep(SweepRecipe(base: "a.h5", style: "b.h5", seeds: [0, 1, 2, 7], truncation: 0.7)), output: "s.png"),
    ]

    @Test(arguments: recipes)
    func yamlRoundTrips(recipe: Recipe) throws {
        let parsed = try Recipe.parse(recipe.yaml)
        #expect(parsed.action == recipe.action)
        #expect(parsed.output == recipe.output && parsed.note == recipe.note)
    }

    @Test func theSampleRecipeParses() throws {
        let path = Fixtures.repository.appendingPathComponent("fixtures/toonify-blend.recipe.yaml").path
        let recipe = try Recipe.load(path: path)
        let folder = Fixtures.repository.appendingPathComponent("fixtures").path
        #expect(recipe.action == .blend(BlendRecipe(base: folder + "/ffhq-256.h5", style: folder + "/cartoon-256.h5", schedule: .logistic(at: 16, width: 0.5))))
        #expect(recipe.output == folder + "/toonified-256.h5")
        #expect(recipe.text == (try String(contentsOfFile: path, encoding: .utf8)))
    }

    @Test func theSchemaNamesTheOperationsTheParserAccepts() throws {
        let url = Fixtures.repository.appendingPathComponent("schemas/recipe-v1.schema.json")
        let schema = try JSONValue.parse(String(contentsOf: url, encoding: .utf8))
        #expect(schema["properties"]?["operation"]?["enum"] == ["swap", "blend", "freeze", "merge", "sweep"])
        #expect(schema["properties"]?["toonkit_recipe"]?["const"] == .number(Double(Recipe.formatVersion)))
    }

    @Test(arguments: [
        ("toonkit_recipe: 1\noperation: swap\ninputs: {base: a, style: b}\nparameters: {at: 8, widht: 1}\noutput: o\n", "r.yaml:4:21: parameters: unknown key 'widht' (expected at, invert, keep_d)"),
        ("toonkit_recipe: 1\noperation: swap\ninputs: {base: a, style: b}\nparameters: {at: 8}\n", "output: is required"),
        ("toonkit_recipe: 2\noperation: swap\n", "toonkit_recipe: version 2 is not supported"),
        ("toonkit_recipe: 1\noperation: mix\ninputs: []\noutput: o\n", "r.yaml:2:12: operation: must be one of swap, blend"),
        ("toonkit_recipe: 1\noperation: blend\ninputs: {base: a, style: b}\nparameters: {at: 8}\noutput: o\n", "blend needs weights, or at and width"),
        ("toonkit_recipe: 1\noperation: merge\ninputs: [a, b]\nparameters: {weights: [0.5, x]}\noutput: o\n", "parameters.weights: must be a finite number"),
        ("toonkit_recipe: 1\noperation: freeze\ninputs: {checkpoint: a}\nparameters: {layers: 2, names: x}\noutput: o\n", "give exactly one of layers, blocks or names"),
        ("toonkit_recipe: 1\noperation: sweep\ninputs: {base: a, style: b}\nparameters: {seeds: 3-1}\noutput: o\n", "parameters.seeds: cannot parse seeds"),
        ("[1, 2", "r.yaml: not valid YAML"),
    ])
    func errorsNameTheFileLineAndField(text: String, message: String) {
        #expect { try Recipe.parse(text, source: "r.yaml") } throws: { error in
            "\(error)".contains(message)
        }
    }
}

@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct RecipeRunTests {
    /// `toonkit run` with relative paths: they resolve against the recipe's folder, and the file's text is stored.
    @Test func runningARecipeFileStoresItsText() throws {
        let folder = try TemporaryDirectory()
        _ = try Inputs.pair("tiny32", in: folder)
        let text = """
            # relative to this file
            toonkit_recipe: 1
            operation: blend
            inputs: {base: tiny32.base.h5, style: tiny32.style.h5}
            parameters:
              weights: {8: 0.5, 16: 1}
            output: blended.h5

            """
        let path = folder.file("recipe.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        guard case .written(let result) = try RecipeRunner.run(try Recipe.load(path: path)) else { Issue.record("nothing written"); return }
        #expect(result.output == folder.file("blended.h5").path)
        let record = try #require(try CheckpointReader.open(result.output).provenance.last)
        #expect(record.operation == "blend")
        #expect(record.parameters["recipe"] == .string(text))
        #expect(record.parameters["weights"] == ["8": 0.5, "16": 1])
        #expect(record.parameters["style_weights"] == ["4": 0, "8": 0.5, "16": 1, "32": 0])
    }
}
