import Foundation

/// Turns a place in the manifest (`networks / G_ema / tensors / NAME / attributes / kind`) back into the
/// HDF5 object and the part of it a rule is about, so messages name what a user can find with h5ls.
enum ManifestLocation {
    static func problem(for failure: JSONSchema.Failure) -> CheckpointProblem {
        let (object, part) = split(failure.location)
        return CheckpointProblem(object: object, rule: part.isEmpty ? failure.message : "\(part) \(failure.message)")
    }

    static func objectPath(_ location: [String]) -> String { split(location).object }

    private static func split(_ location: [String]) -> (object: String, part: String) {
        let rest = Array(location.dropFirst())
        switch location.first {
        case nil: return ("/", "")
        case "attributes": return ("/", attributePart(rest))
        case "networks":
            guard let network = rest.first else { return ("/networks", "") }
            let inside = Array(rest.dropFirst())
            if inside.first == "link_creation_order_tracked" { return ("/networks/\(network)", "link creation order tracking") }
            guard inside.first == "tensors", inside.count > 1 else { return ("/networks/\(network)", "") }
            return ("/networks/\(network)/\(inside[1])", tensorPart(Array(inside.dropFirst(2))))
        case "training":
            switch rest.first {
            case "attributes": return ("/training", attributePart(Array(rest.dropFirst())))
            case "state": return ("/training/state", jsonPart(Array(rest.dropFirst())))
            case "tensors" where rest.count > 1: return ("/training/tensors/\(rest[1])", tensorPart(Array(rest.dropFirst(2))))
            default: return ("/training" + (rest.first.map { "/\($0)" } ?? ""), "")
            }
        case "provenance":
            guard let index = rest.first else { return ("/provenance", "") }
            let record = "record \(index.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))"
            let field = jsonPart(Array(rest.dropFirst()))
            return ("/provenance", field.isEmpty ? record : "\(record) \(field)")
        case "extra":
            guard let name = rest.first else { return ("/extra", "") }
            return ("/extra/\(name)", jsonPart(Array(rest.dropFirst())))
        case let name?:
            return ("/\(name)", jsonPart(rest))
        }
    }

    private static func attributePart(_ rest: [String]) -> String {
        guard let name = rest.first else { return "attributes" }
        return "attribute \"\(name)\""
    }

    private static func tensorPart(_ rest: [String]) -> String {
        guard let first = rest.first else { return "" }
        return first == "attributes" ? attributePart(Array(rest.dropFirst())) : first
    }

    private static func jsonPart(_ rest: [String]) -> String {
        guard !rest.isEmpty else { return "" }
        let path = rest.map { $0.hasPrefix("[") ? $0 : ".\($0)" }.joined()
        return "JSON field \(path.hasPrefix(".") ? String(path.dropFirst()) : path)"
    }
}
