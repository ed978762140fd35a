import Foundation

/// A validator for the subset of JSON Schema (2020-12) that `schemas/checkpoint-v1.schema.json` uses.
/// Loading a schema that uses any other validation keyword fails, so the pinned schema can never
/// contain a rule that is silently not enforced.
struct JSONSchema {
    /// One failed rule: where in the instance (path of keys/indices) and what was expected.
    struct Failure: Equatable {
        var location: [String]
        var message: String
    }

    static let validationKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
        "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "items", "minItems",
        "maxItems", "$ref", "anyOf",
    ]
    static let annotationKeywords: Set<String> = ["$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default"]

    let root: JSONValue
    private let patterns: [String: NSRegularExpression]

    init(_ root: JSONValue) throws {
        self.root = root
        var patterns: [String: NSRegularExpression] = [:]
        try JSONSchema.checkKeywords(root, at: "#", patterns: &patterns)
        self.patterns = patterns
    }

    private static func checkKeywords(_ schema: JSONValue, at location: String, patterns: inout [String: NSRegularExpression]) throws {
        guard case .object(let members) = schema else {
            if case .bool = schema { return }
            throw CheckpointError.invalidArgument("schema at \(location) is not an object")
        }
        for (keyword, value) in members {
            guard validationKeywords.contains(keyword) || annotationKeywords.contains(keyword) else {
                throw CheckpointError.invalidArgument("schema at \(location) uses unsupported keyword \(keyword)")
            }
            if keyword == "pattern", case .string(let pattern) = value { try compile(pattern, into: &patterns) }
            switch (keyword, value) {
            case ("properties", .object(let children)), ("patternProperties", .object(let children)), ("$defs", .object(let children)):
                for (name, child) in children {
                    if keyword == "patternProperties" { try compile(name, into: &patterns) }
                    try checkKeywords(child, at: "\(location)/\(keyword)/\(name)", patterns: &patterns)
                }
            case ("items", _), ("additionalProperties", _), ("propertyNames", _):
                try checkKeywords(value, at: "\(location)/\(keyword)", patterns: &patterns)
            case ("anyOf", .array(let options)):
                for (index, option) in options.enumerated() {
                    try checkKeywords(option, at: "\(location)/anyOf/\(index)", patterns: &patterns)
                }
            default: break
            }
        }
    }

    private static func compile(_ pattern: String, into patterns: inout [String: NSRegularExpression]) throws {
        patterns[pattern] = try NSRegularExpression(pattern: pattern)
    }

    func validate(_ instance: JSONValue) -> [Failure] {
        var failures: [Failure] = []
        check(instance, against: root, at: [], into: &failures)
        return failures
    }

    private func check(_ instance: JSONValue, against schema: JSONValue, at location: [String], into failures: inout [Failure]) {
        guard case .object(let rules) = schema else {
            if case .bool(false) = schema { failures.append(Failure(location: location, message: "is not allowed here")) }
            return
        }
        if case .string(let reference)? = rules["$ref"] {
            check(instance, against: resolve(reference), at: location, into: &failures)
        }
        if let expected = rules["type"], !matchesType(instance, expected) {
            failures.append(Failure(location: location, message: "must be \(describeType(expected)), found \(describe(instance))"))
            return
        }
        if let expected = rules["const"], instance != expected {
            failures.append(Failure(location: location, message: "must be \(expected.serialized()), found \(describe(instance))"))
        }
        if case .array(let allowed)? = rules["enum"], !allowed.contains(instance) {
            let list = allowed.map { $0.serialized() }.joined(separator: ", ")
            failures.append(Failure(location: location, message: "must be one of [\(list)], found \(describe(instance))"))
        }
        if case .array(let options)? = rules["anyOf"], !options.contains(where: { option in
            var trial: [Failure] = []
            check(instance, against: option, at: location, into: &trial)
            return trial.isEmpty
        }) {
            failures.append(Failure(location: location, message: "matches none of the allowed forms, found \(describe(instance))"))
        }
        switch instance {
        case .string(let text): checkString(text, rules, at: location, into: &failures)
        case .number(let value): checkNumber(value, rules, at: location, into: &failures)
        case .array(let elements): checkArray(elements, rules, at: location, into: &failures)
        case .object(let members): checkObject(members, rules, at: location, into: &failures)
        default: break
        }
    }

    private func resolve(_ reference: String) -> JSONValue {
        // Only local references ("#/$defs/name") are used; a bad one is caught by the schema tests.
        let path = reference.split(separator: "/").dropFirst().map(String.init)
        return path.reduce(root) { node, key in node[key] ?? .bool(true) }
    }

    private func checkString(_ text: String, _ rules: [String: JSONValue], at location: [String], into failures: inout [Failure]) {
        if case .number(let minimum)? = rules["minLength"], Double(text.count) < minimum {
            failures.append(Failure(location: location, message: "must have at least \(Int(minimum)) characters"))
        }
        if case .number(let maximum)? = rules["maxLength"], Double(text.count) > maximum {
            failures.append(Failure(location: location, message: "must have at most \(Int(maximum)) characters"))
        }
        if case .string(let pattern)? = rules["pattern"], !matches(text, pattern) {
            failures.append(Failure(location: location, message: "must match /\(pattern)/, found \(JSONValue.string(text).serialized())"))
        }
    }

    private func checkNumber(_ value: Double, _ rules: [String: JSONValue], at location: [String], into failures: inout [Failure]) {
        if case .number(let minimum)? = rules["minimum"], value < minimum {
            failures.append(Failure(location: location, message: "must be at least \(JSONValue.number(minimum).serialized()), found \(JSONValue.number(value).serialized())"))
        }
        if case .number(let maximum)? = rules["maximum"], value > maximum {
            failures.append(Failure(location: location, message: "must be at most \(JSONValue.number(maximum).serialized()), found \(JSONValue.number(value).serialized())"))
        }
    }

    private func checkArray(_ elements: [JSONValue], _ rules: [String: JSONValue], at location: [String], into failures: inout [Failure]) {
        if case .number(let minimum)? = rules["minItems"], Double(elements.count) < minimum {
            failures.append(Failure(location: location, message: "must have at least \(Int(minimum)) elements"))
        }
        if case .number(let maximum)? = rules["maxItems"], Double(elements.count) > maximum {
            failures.append(Failure(location: location, message: "must have at most \(Int(maximum)) elements"))
        }
        if let itemSchema = rules["items"] {
            for (index, element) in elements.enumerated() {
                check(element, against: itemSchema, at: location + ["[\(index)]"], into: &failures)
            }
        }
    }

    private func checkObject(_ members: [String: JSONValue], _ rules: [String: JSONValue], at location: [String], into failures: inout [Failure]) {
        if case .array(let required)? = rules["required"] {
            for case .string(let name) in required where members[name] == nil {
                failures.append(Failure(location: location + [name], message: "is required but missing"))
            }
        }
        let properties = rules["properties"]
        let patternProperties: [String: JSONValue]
        if case .object(let patterned)? = rules["patternProperties"] { patternProperties = patterned } else { patternProperties = [:] }
        for name in members.keys.sorted() {
            let value = members[name]!
            if let nameSchema = rules["propertyNames"] {
                var nameFailures: [Failure] = []
                check(.string(name), against: nameSchema, at: location + [name], into: &nameFailures)
                failures += nameFailures.map { Failure(location: $0.location, message: "name \($0.message)") }
            }
            var matched = false
            if let propertySchema = properties?[name] {
                matched = true
                check(value, against: propertySchema, at: location + [name], into: &failures)
            }
            for (pattern, propertySchema) in patternProperties where matches(name, pattern) {
                matched = true
                check(value, against: propertySchema, at: location + [name], into: &failures)
            }
            if !matched, let additional = rules["additionalProperties"] {
                check(value, against: additional, at: location + [name], into: &failures)
            }
        }
    }

    private func matches(_ text: String, _ pattern: String) -> Bool {
        guard let expression = patterns[pattern] else { return false }
        let range = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, range: range) != nil
    }

    private func matchesType(_ instance: JSONValue, _ expected: JSONValue) -> Bool {
        switch expected {
        case .string(let name):
            if name == "number", case .number = instance { return true }
            return instance.typeName == name
        case .array(let names): return names.contains { matchesType(instance, $0) }
        default: return true
        }
    }

    private func describeType(_ expected: JSONValue) -> String {
        switch expected {
        case .string(let name): return ["array", "integer", "object"].contains(name) ? "an \(name)" : "a \(name)"
        case .array(let names): return names.map { describeType($0) }.joined(separator: " or ")
        default: return expected.serialized()
        }
    }

    private func describe(_ instance: JSONValue) -> String {
        switch instance {
        case .object: return "an object"
        case .array: return "an array"
        default: return instance.serialized()
        }
    }
}
