import Checkpoint
import Foundation

/// One image's label as dataset.json holds it: a class index (1-D label lists) or a vector (2-D lists).
public enum DatasetLabel: Equatable, Sendable {
    case classIndex(Int)
    case vector([Double])

    var json: JSONValue {
        switch self {
        case .classIndex(let index): return .number(Double(index))
        case .vector(let values): return .array(values.map { .number($0) })
        }
    }
}

/// The labels of dataset.json, `{"labels": [[name, label], …]}` or `{"labels": null}`, checked as
/// the reference's loader reads them: all class indices or all vectors of one length.
public struct DatasetLabelTable: Equatable, Sendable {
    /// Labels by the image's relative path; nil when the file says `"labels": null`.
    public let labels: [String: DatasetLabel]?

    public init(labels: [String: DatasetLabel]?) { self.labels = labels }

    public static func parse(_ data: Data, source: String) throws -> DatasetLabelTable {
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TrainingError("\(source): not valid JSON")
        }
        guard case .object(let members) = document, let list = members["labels"] else {
            throw TrainingError("\(source): expected an object with a \"labels\" member")
        }
        if list == .null { return DatasetLabelTable(labels: nil) }
        guard case .array(let pairs) = list else { throw TrainingError("\(source): \"labels\" must be a list of [name, label] pairs or null") }
        var labels: [String: DatasetLabel] = [:]
        for (position, pair) in pairs.enumerated() {
            guard case .array(let parts) = pair, parts.count == 2, case .string(let name) = parts[0] else {
                throw TrainingError("\(source): labels entry \(position) is not a [name, label] pair")
            }
            guard labels[name] == nil else { throw TrainingError("\(source): '\(name)' is labelled twice") }
            labels[name] = try label(parts[1], of: name, source: source)
        }
        let names = labels.keys.sorted(by: DatasetFileListing.byteOrder)
        _ = try dimension(names.map { labels[$0]! }, names: names, source: source)
        return DatasetLabelTable(labels: labels)
    }

    private static func label(_ value: JSONValue, of name: String, source: String) throws -> DatasetLabel {
        switch value {
        case .number(let number):
            guard number >= 0, number.rounded() == number, number < Double(1 << 20) else {
                throw TrainingError("\(source): the label of '\(name)' is \(number); class labels must be whole numbers ≥ 0")
            }
            return .classIndex(Int(number))
        case .array(let items):
            let values = try items.map { item -> Double in
                guard case .number(let number) = item, number.isFinite else {
                    throw TrainingError("\(source): the label vector of '\(name)' holds a non-number")
                }
                return number
            }
            return .vector(values)
        default:
            throw TrainingError("\(source): the label of '\(name)' must be a class index or a list of numbers")
        }
    }

    /// Width of the label vectors of the images `names`, labelled `labels`: max class + 1 for class
    /// indices (one-hot), else the common vector length.
    static func dimension(_ labels: [DatasetLabel], names: [String], source: String) throws -> Int {
        var maximumClass = -1
        var vectorLength: Int?
        for (name, label) in zip(names, labels) {
            switch label {
            case .classIndex(let index): maximumClass = max(maximumClass, index)
            case .vector(let values):
                if let vectorLength, vectorLength != values.count {
                    throw TrainingError("\(source): the label of '\(name)' has \(values.count) values, earlier ones have \(vectorLength)")
                }
                vectorLength = values.count
            }
            if maximumClass >= 0, vectorLength != nil {
                throw TrainingError("\(source): labels mix class indices and vectors (at '\(name)')")
            }
        }
        return vectorLength ?? (maximumClass + 1)
    }

    /// The labels of `names` in order; nil for `"labels": null`. A missing label is an error, as in the
    /// reference's loader.
    func labels(for names: [String], source: String) throws -> [DatasetLabel]? {
        guard let labels else { return nil }
        return try names.map { name in
            guard let label = labels[name] else { throw TrainingError("\(source): dataset.json has no label for '\(name)'") }
            return label
        }
    }

    /// The label as the training loop consumes it: one-hot float for a class, the vector as float.
    static func floats(_ label: DatasetLabel, dimension: Int) -> [Float] {
        switch label {
        case .classIndex(let index):
            var oneHot = [Float](repeating: 0, count: dimension)
            oneHot[index] = 1
            return oneHot
        case .vector(let values): return values.map { Float($0) }
        }
    }

    /// The dataset.json text for images written under `names`, in that order; `"labels": null` when
    /// `labels` is nil.
    static func documentText(names: [String], labels: [DatasetLabel]?) -> String {
        guard let labels else { return JSONText.encode(JSONValue.object(["labels": .null]), pretty: false) }
        precondition(labels.count == names.count, "one label per image")
        let pairs = zip(names, labels).map { JSONValue.array([.string($0), $1.json]) }
        return JSONText.encode(JSONValue.object(["labels": .array(pairs)]), pretty: false)
    }
}
