import Foundation
import UntrustedInput

public enum DiffStatus: String, Codable, Sendable, CaseIterable {
    /// Equal within tolerance (or bitwise equal by checksum).
    case same
    /// Same shape and dtype, some element outside tolerance.
    case different
    case onlyA = "only_a"
    case onlyB = "only_b"
    /// Shapes differ (dtype may differ too); values are not compared.
    case shape
    /// Same shape, different dtype; values are not compared.
    case dtype
}

public struct DiffOptions: Sendable {
    public var atol: Double
    public var rtol: Double
    /// Only these networks; nil compares every network of either file.
    public var networks: [String]?
    /// Tensors whose stored sha256 attributes are equal count as the same without their data being read.
    /// Off by default: a stored checksum says nothing about the bytes beside it until they are hashed.
    public var trustChecksums: Bool

    public init(atol: Double = 0, rtol: Double = 0, networks: [String]? = nil, trustChecksums: Bool = false) {
        self.atol = atol
        self.rtol = rtol
        self.networks = networks
        self.trustChecksums = trustChecksums
    }
}

/// One tensor's comparison. `maxAbs` and `relL2` are nil unless values were compared.
public struct TensorDifference: Codable, Equatable, Sendable {
    public var network: String
    public var name: String
    public var status: DiffStatus
    /// max |a − b| over elements; infinite when a non-finite value differs.
    public var maxAbs: Double?
    /// ‖a − b‖₂ / ‖b‖₂; 0 when both are 0, infinite when only ‖b‖₂ is 0 or a non-finite value differs.
    public var relL2: Double?
    /// For `shape` and `dtype`: what each side has, e.g. `[512, 512] float32 vs [256, 512] float32`.
    public var detail: String?
    /// Changes that do not make a tensor different, e.g. `trainable true → false`.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case network, name, status, detail, note
        case maxAbs = "max_abs", relL2 = "rel_l2"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(network, forKey: .network)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        // Always present (null when not compared), so consumers can rely on the keys.
        try container.encode(maxAbs, forKey: .maxAbs)
        try container.encode(relL2, forKey: .relL2)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(note, forKey: .note)
    }
}

public struct DiffReport: Codable, Sendable {
    public var a: String
    public var b: String
    public var atol: Double
    public var rtol: Double
    public var networks: [String]
    /// True when tensors with equal stored checksums were called the same without reading their data.
    public var checksumsTrusted: Bool
    public var tensors: [TensorDifference]
    /// Non-fatal remarks about either file (e.g. a newer minor format version).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case a, b, atol, rtol, networks, tensors, warnings
        case checksumsTrusted = "checksums_trusted"
    }

    public var counts: [DiffStatus: Int] {
        tensors.reduce(into: [:]) { counts, tensor in counts[tensor.status, default: 0] += 1 }
    }

    public var allSame: Bool { tensors.allSatisfy { $0.status == .same } }

    /// 0 when every tensor is the same within tolerance, 1 otherwise (2, for errors, is the caller's).
    public var exitCode: Int32 { allSame ? 0 : 1 }

    /// Pretty JSON, non-finite numbers as the strings "inf"/"nan".
    public func json() -> String { JSONText.encode(self, pretty: true) }

    public func text(showSame: Bool = false) -> String {
        var lines = ["a: \(a.escapedForDisplay)", "b: \(b.escapedForDisplay)", "tolerance: |a-b| <= \(atol) + \(rtol)*|b|"]
        lines.append(checksumsTrusted ? "compared: stored sha256 checksums where they match (--trust-checksums), data elsewhere"
                                      : "compared: the data of every tensor, each checked against its stored sha256")
        for tensor in tensors where showSame || tensor.status != .same {
            var line = "\(tensor.status.rawValue.padded(to: 9)) \("\(tensor.network)/\(tensor.name)".escapedForDisplay)"
            if let maxAbs = tensor.maxAbs, let relL2 = tensor.relL2 {
                line += String(format: "  max_abs %.6g  rel_l2 %.6g", maxAbs, relL2)
            }
            if let detail = tensor.detail { line += "  \(detail)" }
            if let note = tensor.note { line += "  (\(note))" }
            lines.append(line)
        }
        let summary = DiffStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        lines.append("\(tensors.count) tensors: \(summary.joined(separator: ", "))")
        return lines.joined(separator: "\n") + "\n"
    }
}

public enum CheckpointDiffer {
    /// Compares two checkpoints tensor by tensor (one tensor of each in memory at a time).
    /// Element rule: equal when a == b, when both are NaN, or when |a − b| ≤ atol + rtol·|b|.
    /// A NaN (or infinity) facing anything else is a difference. Values are compared as Double.
    public static func diff(_ a: String, _ b: String, layout: any CheckpointLayout, options: DiffOptions = DiffOptions()) throws -> DiffReport {
        try diff(CheckpointReader(path: a, layout: layout), CheckpointReader(path: b, layout: layout), options: options)
    }

    public static func diff(_ a: CheckpointReader, _ b: CheckpointReader, options: DiffOptions = DiffOptions()) throws -> DiffReport {
        let all = a.networkNames + b.networkNames.filter { !a.networkNames.contains($0) }
        if let requested = options.networks, let unknown = requested.first(where: { !all.contains($0) }) {
            throw CheckpointError.invalidArgument("network \(unknown) is in neither \(a.path) nor \(b.path) (they have \(all.joined(separator: ", ")))")
        }
        let networks = options.networks ?? all
        var report = DiffReport(a: a.path, b: b.path, atol: options.atol, rtol: options.rtol, networks: networks,
                                checksumsTrusted: options.trustChecksums, tensors: [], warnings: a.warnings + b.warnings)
        for network in networks {
            let namesA = a.networkNames.contains(network) ? try a.tensorNames(network: network) : []
            let namesB = b.networkNames.contains(network) ? try b.tensorNames(network: network) : []
            let setA = Set(namesA), setB = Set(namesB)
            for name in namesA {
                guard setB.contains(name) else {
                    report.tensors.append(TensorDifference(network: network, name: name, status: .onlyA))
                    continue
                }
                report.tensors.append(try compare(network: network, name: name, a, b, options))
            }
            for name in namesB where !setA.contains(name) {
                report.tensors.append(TensorDifference(network: network, name: name, status: .onlyB))
            }
        }
        return report
    }

    private static func compare(network: String, name: String, _ a: CheckpointReader, _ b: CheckpointReader,
                                _ options: DiffOptions) throws -> TensorDifference {
        let infoA = try a.tensorInfo(network: network, name: name)
        let infoB = try b.tensorInfo(network: network, name: name)
        var result = TensorDifference(network: network, name: name, status: .same)
        result.note = attributeChanges(infoA, infoB)
        if infoA.shape != infoB.shape || infoA.dtype != infoB.dtype {
            result.status = infoA.shape != infoB.shape ? .shape : .dtype
            result.detail = "\(infoA.shape) \(infoA.dtype.rawValue) vs \(infoB.shape) \(infoB.dtype.rawValue)"
            return result
        }
        if options.trustChecksums && infoA.sha256 == infoB.sha256 {
            (result.maxAbs, result.relL2) = (0, 0)
            return result
        }
        // A tensor whose bytes do not hash to its stored sha256 is an error, never "same" or "different".
        let dataA = try a.readTensor(network: network, name: name, verifyChecksum: true).data
        let dataB = try b.readTensor(network: network, name: name, verifyChecksum: true).data
        let comparison = ElementComparison.run(dataA, dataB, atol: options.atol, rtol: options.rtol)
        result.status = comparison.withinTolerance ? .same : .different
        (result.maxAbs, result.relL2) = (comparison.maxAbs, comparison.relL2)
        return result
    }

    private static func attributeChanges(_ a: TensorInfo, _ b: TensorInfo) -> String? {
        var changes: [String] = []
        if a.kind != b.kind { changes.append("kind \(a.kind.rawValue) → \(b.kind.rawValue)") }
        if a.trainable != b.trainable { changes.append("trainable \(a.trainable) → \(b.trainable)") }
        return changes.isEmpty ? nil : changes.joined(separator: ", ")
    }
}

/// Element-wise comparison of two tensors of equal shape and dtype, in chunks converted to Double.
struct ElementComparison {
    var withinTolerance = true
    var maxAbs = 0.0
    var relL2 = 0.0

    private static let chunk = 1 << 16

    static func run(_ a: TensorData, _ b: TensorData, atol: Double, rtol: Double) -> ElementComparison {
        var result = ElementComparison()
        var differenceSquares = 0.0, referenceSquares = 0.0
        var nonFiniteMismatch = false
        var left = [Double](repeating: 0, count: chunk), right = left
        var start = 0
        let count = a.count
        while start < count {
            let length = min(chunk, count - start)
            a.convert(elements: start..<(start + length), into: &left)
            b.convert(elements: start..<(start + length), into: &right)
            for index in 0..<length {
                let x = left[index], y = right[index]
                if y.isFinite { referenceSquares += y * y }
                if x == y || (x.isNaN && y.isNaN) { continue }
                guard x.isFinite && y.isFinite else {
                    nonFiniteMismatch = true
                    continue
                }
                let difference = abs(x - y)
                result.maxAbs = max(result.maxAbs, difference)
                differenceSquares += difference * difference
                if difference > atol + rtol * abs(y) { result.withinTolerance = false }
            }
            start += length
        }
        if nonFiniteMismatch {
            result.withinTolerance = false
            result.maxAbs = .infinity
            result.relL2 = .infinity
        } else if referenceSquares > 0 {
            result.relL2 = differenceSquares.squareRoot() / referenceSquares.squareRoot()
        } else {
            result.relL2 = differenceSquares > 0 ? .infinity : 0
        }
        return result
    }
}

extension TensorData {
    /// Converts a range of elements to Double (integers exactly up to 2^53).
    func convert(elements range: Range<Int>, into output: inout [Double]) {
        bytes.withUnsafeBytes { raw in
            let size = dtype.byteSize
            for (slot, index) in range.enumerated() {
                let offset = index * size
                switch dtype {
                case .float32: output[slot] = Double(raw.loadUnaligned(fromByteOffset: offset, as: Float.self))
                case .float64: output[slot] = raw.loadUnaligned(fromByteOffset: offset, as: Double.self)
                case .float16: output[slot] = Double(Float(float16Bits: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case .bfloat16:
                    output[slot] = Double(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) << 16))
                case .int64: output[slot] = Double(raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                case .int32: output[slot] = Double(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
                case .int16: output[slot] = Double(raw.loadUnaligned(fromByteOffset: offset, as: Int16.self))
                case .int8: output[slot] = Double(raw.load(fromByteOffset: offset, as: Int8.self))
                case .uint8, .bool: output[slot] = Double(raw.load(fromByteOffset: offset, as: UInt8.self))
                }
            }
        }
    }
}
