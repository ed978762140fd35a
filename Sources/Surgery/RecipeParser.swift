import Foundation
import Networks
import UntrustedInput
import Yams

extension Recipe {
    /// Reads a recipe file. Relative paths in it are relative to the file's folder, so a recipe travels
    /// with its checkpoints; the file's text is kept as the recipe to store in the output.
    public static func load(path: String) throws -> Recipe {
        let url = URL(fileURLWithPath: path)
        do {
            try InputFile.checkRegular(path)
        } catch let error as InputFileError {
            throw SurgeryError.invalidRecipe(path: path, problem: error.reason)
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SurgeryError.invalidRecipe(path: path, problem: "cannot be read as UTF-8 text")
        }
        return try parse(text, source: path, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses recipe YAML; `source` names it in errors, `baseDirectory` anchors relative paths (nil keeps them as written).
    public static func parse(_ text: String, source: String = "recipe", baseDirectory: URL? = nil) throws -> Recipe {
        var recipe = try RecipeParser(source: source, baseDirectory: baseDirectory).recipe(text)
        recipe.text = text
        return recipe
    }
}

extension RecipeParser {
    /// Why `text` is too large or too deeply nested to hand to the YAML parser, or nil. Brackets inside
    /// quoted strings count too: a recipe never needs 64 of them.
    static func tooLarge(_ text: String) -> String? {
        guard text.utf8.count <= maxBytes else { return "is larger than \(maxBytes >> 20) MiB; a recipe is a few lines of YAML" }
        var depth = 0, deepest = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { depth += 1; deepest = max(deepest, depth) }
            if (byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")) && depth > 0 { depth -= 1 }
        }
        var indentation = 0, column = 0, atLineStart = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") { (column, atLineStart) = (0, true); continue }
            if atLineStart && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-")) { column += 1 } else { atLineStart = false }
            indentation = max(indentation, column)
        }
        guard deepest <= maxDepth, indentation <= 4 * maxDepth else {
            return "nests deeper than \(maxDepth) levels; a recipe needs three"
        }
        return nil
    }
}

/// Turns a YAML document into a `Recipe`, naming the file, line and field of the first problem.
/// Unknown keys are errors, so a misspelt parameter can never be silently ignored.
struct RecipeParser {
    let source: String
    let baseDirectory: URL?

    /// A recipe is a few dozen lines. The YAML parser recurses once per nesting level (flow brackets or
    /// block indentation), so a hostile file of nested `[` overflows the stack before any rule applies;
    /// the size and depth are bounded on the raw text first.
    static let maxBytes = 1 << 20
    static let maxDepth = 64

    func recipe(_ text: String) throws -> Recipe {
        if let reason = Self.tooLarge(text) { throw SurgeryError.invalidRecipe(path: source, problem: reason) }
        let root: Node
        do {
            guard let document = try Yams.compose(yaml: text) else { throw problem(nil, "recipe", "the file is empty") }
            root = document
        } catch let error as SurgeryError {
            throw error
        } catch {
            throw SurgeryError.invalidRecipe(path: source, problem: "not valid YAML: \(error)")
        }
        let top = try mapping(root, "recipe", keys: ["toonkit_recipe", "operation", "description", "inputs", "parameters", "output"])
        let version = try integer(try required(top, "toonkit_recipe", in: root), "toonkit_recipe")
        guard version == Recipe.formatVersion else {
            throw problem(top["toonkit_recipe"], "toonkit_recipe", "version \(version) is not supported (this toonkit reads version \(Recipe.formatVersion))")
        }
        let operationNode = try required(top, "operation", in: root)
        let operation = try string(operationNode, "operation")
        let inputs = try required(top, "inputs", in: root)
        let parameters = try top["parameters"].map { try mapping($0, "parameters", keys: nil) } ?? Node.Mapping([])
        let output = try path(try required(top, "output", in: root), "output")
        let note = try top["description"].map { try string($0, "description") }
        let action: Recipe.Action
        switch operation {
        case "swap", "blend": action = .blend(try blend(operation, inputs, parameters))
        case "freeze": action = .freeze(try freeze(inputs, parameters))
        case "merge": action = .merge(try merge(inputs, parameters))
        case "sweep": action = .sweep(try sweep(inputs, parameters))
        default: throw problem(operationNode, "operation", "must be one of swap, blend, freeze, merge, sweep; got '\(operation)'")
        }
        return Recipe(action: action, output: output, note: note)
    }

    // MARK: operations

    private func blend(_ operation: String, _ inputs: Node, _ parameters: Node.Mapping) throws -> BlendRecipe {
        let roles = try mapping(inputs, "inputs", keys: ["base", "style"])
        let keys = operation == "swap" ? ["at", "invert", "keep_d"] : ["weights", "at", "width", "invert", "keep_d"]
        try checkKeys(parameters, "parameters", keys)
        let schedule: BlockSchedule
        if operation == "swap" {
            schedule = .swap(at: try integer(try required(parameters, "at", in: inputs, field: "parameters.at"), "parameters.at"))
        } else if let weights = parameters["weights"] {
            guard parameters["width"] == nil, parameters["at"] == nil else {
                throw problem(weights, "parameters", "give either weights or at + width, not both")
            }
            var table: [Int: Double] = [:]
            for (key, value) in try mapping(weights, "parameters.weights", keys: nil) {
                table[try integer(key, "parameters.weights (a key)")] = try number(value, "parameters.weights.\(key.string ?? "")")
            }
            schedule = .weights(table)
        } else {
            guard let at = parameters["at"], let width = parameters["width"] else {
                throw problem(parameters["at"] ?? parameters["width"], "parameters", "blend needs weights, or at and width")
            }
            schedule = .logistic(at: try integer(at, "parameters.at"), width: try number(width, "parameters.width"))
        }
        return BlendRecipe(base: try path(try required(roles, "base", in: inputs, field: "inputs.base"), "inputs.base"),
                           style: try path(try required(roles, "style", in: inputs, field: "inputs.style"), "inputs.style"),
                           schedule: schedule,
                           invert: try parameters["invert"].map { try boolean($0, "parameters.invert") } ?? false,
                           keepDiscriminator: try parameters["keep_d"].map { try boolean($0, "parameters.keep_d") } ?? false)
    }

    private func freeze(_ inputs: Node, _ parameters: Node.Mapping) throws -> FreezeRecipe {
        let roles = try mapping(inputs, "inputs", keys: ["checkpoint"])
        try checkKeys(parameters, "parameters", ["network", "layers", "blocks", "names", "unfreeze"])
        let given = ["layers", "blocks", "names"].filter { parameters[$0] != nil }
        guard given.count == 1 else {
            throw problem(inputs, "parameters", "give exactly one of layers, blocks or names (found \(given.isEmpty ? "none" : given.joined(separator: ", ")))")
        }
        let selection: TensorSelection
        if let layers = parameters["layers"] {
            selection = .layers(try integer(layers, "parameters.layers"))
        } else if let blocks = parameters["blocks"] {
            selection = .blocks(try list(blocks, "parameters.blocks").map { try integer($0, "parameters.blocks") })
        } else {
            let names = parameters["names"]!
            selection = .names(names.sequence == nil ? [try string(names, "parameters.names")]
                                                     : try list(names, "parameters.names").map { try string($0, "parameters.names") })
        }
        return FreezeRecipe(checkpoint: try path(try required(roles, "checkpoint", in: inputs, field: "inputs.checkpoint"), "inputs.checkpoint"),
                            network: try parameters["network"].map { try string($0, "parameters.network") } ?? "D",
                            selection: selection,
                            unfreeze: try parameters["unfreeze"].map { try boolean($0, "parameters.unfreeze") } ?? false)
    }

    private func merge(_ inputs: Node, _ parameters: Node.Mapping) throws -> MergeRecipe {
        try checkKeys(parameters, "parameters", ["method", "weights", "normalize", "networks"])
        let paths = try list(inputs, "inputs").map { try path($0, "inputs") }
        let weights = try list(try required(parameters, "weights", in: inputs, field: "parameters.weights"), "parameters.weights")
            .map { try number($0, "parameters.weights") }
        let methodNode = parameters["method"]
        let methodName = try methodNode.map { try string($0, "parameters.method") } ?? "linear"
        guard let method = MergeMethod(rawValue: methodName) else {
            throw problem(methodNode, "parameters.method", "must be linear or slerp, got '\(methodName)'")
        }
        return MergeRecipe(inputs: paths, weights: weights, method: method,
                           normalize: try parameters["normalize"].map { try boolean($0, "parameters.normalize") } ?? false,
                           networks: try parameters["networks"].map { try list($0, "parameters.networks").map { try string($0, "parameters.networks") } })
    }

    private func sweep(_ inputs: Node, _ parameters: Node.Mapping) throws -> SweepRecipe {
        let roles = try mapping(inputs, "inputs", keys: ["base", "style"])
        try checkKeys(parameters, "parameters", ["seeds", "trunc", "network"])
        let seedsNode = try required(parameters, "seeds", in: inputs, field: "parameters.seeds")
        var seeds: [UInt32] = []
        for item in seedsNode.sequence.map(Array.init) ?? [seedsNode] {
            do {
                seeds += try Latents.parseSeeds(try string(item, "parameters.seeds"))
            } catch let error as NetworkError {
                throw problem(item, "parameters.seeds", error.description)
            }
        }
        return SweepRecipe(base: try path(try required(roles, "base", in: inputs, field: "inputs.base"), "inputs.base"),
                           style: try path(try required(roles, "style", in: inputs, field: "inputs.style"), "inputs.style"),
                           seeds: seeds,
                           truncation: try parameters["trunc"].map { try number($0, "parameters.trunc") } ?? 1,
                           network: try parameters["network"].map { try string($0, "parameters.network") } ?? "G_ema")
    }

    // MARK: values

    private func problem(_ node: Node?, _ field: String, _ message: String) -> SurgeryError {
        let place = node?.mark.map { ":\($0.line):\($0.column)" } ?? ""
        return .invalidRecipe(path: source + place, problem: "\(field): \(message)")
    }

    private func mapping(_ node: Node, _ field: String, keys: [String]?) throws -> Node.Mapping {
        guard let mapping = node.mapping else { throw problem(node, field, "must be a mapping (key: value lines)") }
        if let keys { try checkKeys(mapping, field, keys) }
        return mapping
    }

    private func checkKeys(_ mapping: Node.Mapping, _ field: String, _ keys: [String]) throws {
        for key in mapping.keys where !keys.contains(key.string ?? "") {
            throw problem(key, field, "unknown key '\(key.string ?? "\(key)")' (expected \(keys.joined(separator: ", ")))")
        }
    }

    private func required(_ mapping: Node.Mapping, _ key: String, in parent: Node, field: String? = nil) throws -> Node {
        guard let value = mapping[key] else { throw problem(parent, field ?? key, "is required") }
        return value
    }

    private func list(_ node: Node, _ field: String) throws -> [Node] {
        guard let sequence = node.sequence else { throw problem(node, field, "must be a list") }
        return Array(sequence)
    }

    private func string(_ node: Node, _ field: String) throws -> String {
        guard let scalar = node.scalar else { throw problem(node, field, "must be a single value") }
        return scalar.string
    }

    private func path(_ node: Node, _ field: String) throws -> String {
        let text = try string(node, field)
        guard !text.isEmpty else { throw problem(node, field, "must not be empty") }
        guard let baseDirectory, !text.hasPrefix("/") else { return text }
        return baseDirectory.appendingPathComponent(text).standardizedFileURL.path
    }

    private func integer(_ node: Node, _ field: String) throws -> Int {
        guard node.scalar != nil, let value = Int(try string(node, field)) else { throw problem(node, field, "must be an integer") }
        return value
    }

    private func number(_ node: Node, _ field: String) throws -> Double {
        guard node.scalar != nil, let value = node.float, value.isFinite else { throw problem(node, field, "must be a finite number") }
        return value
    }

    private func boolean(_ node: Node, _ field: String) throws -> Bool {
        guard node.scalar != nil, let value = node.bool else { throw problem(node, field, "must be true or false") }
        return value
    }
}
