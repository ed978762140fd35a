import Checkpoint
import Networks
import Foundation

/// Whether two checkpoints can be combined tensor by tensor: same architecture, same networks, same
/// tensor names and shapes. Reads headers only.
enum Compatibility {
    /// Architecture fields that do not change what the tensors mean (toonkit always computes in float32).
    static let informationalFields: Set<String> = ["num_fp16_res"]

    /// Every difference between `reference` and `other` over `networks`, one line each.
    static func mismatches(_ reference: CheckpointReader, _ other: CheckpointReader, networks: [String]) throws -> [String] {
        var found = try architectureMismatches(reference, other)
        for network in networks {
            let inReference = reference.networkNames.contains(network), inOther = other.networkNames.contains(network)
            guard inReference, inOther else {
                found.append("network \(network): " + (inReference ? "only in \(reference.path)" : inOther ? "only in \(other.path)" : "in neither file"))
                continue
            }
            found += try tensorMismatches(reference, other, network: network)
        }
        return found
    }

    /// Throws `.incompatible` listing every mismatch of each other input against the first.
    static func check(_ readers: [CheckpointReader], networks: [String]) throws {
        var found: [String] = []
        for other in readers.dropFirst() {
            let lines = try mismatches(readers[0], other, networks: networks)
            found += readers.count > 2 ? lines.map { "\(other.path): \($0)" } : lines
        }
        if !found.isEmpty { throw SurgeryError.incompatible(paths: readers.map(\.path), mismatches: found) }
    }

    private static func architectureMismatches(_ reference: CheckpointReader, _ other: CheckpointReader) throws -> [String] {
        guard case .object(let a) = reference.architectureDocument, case .object(let b) = other.architectureDocument else { return [] }
        return Set(a.keys).union(b.keys).subtracting(informationalFields).sorted().compactMap { key in
            let left = a[key] ?? .null, right = b[key] ?? .null
            guard left != right else { return nil }
            return "architecture.\(key): \(left.serialized()) in \(reference.path), \(right.serialized()) in \(other.path)"
        }
    }

    private static func tensorMismatches(_ reference: CheckpointReader, _ other: CheckpointReader, network: String) throws -> [String] {
        let matching = NameMatching(try reference.tensorInfos(network: network), try other.tensorInfos(network: network),
                                    firstName: \.name, secondName: \.name)
        var found = matching.onlyFirst.map { "\(network)/\($0.name): only in \(reference.path)" }
        for (info, match) in matching.pairs {
            if info.shape != match.shape {
                found.append("\(network)/\(info.name): shape \(info.shape) in \(reference.path), \(match.shape) in \(other.path)")
            } else if info.dtype != match.dtype && !(info.dtype.isFloatingPoint && match.dtype.isFloatingPoint) {
                found.append("\(network)/\(info.name): dtype \(info.dtype.rawValue) in \(reference.path), \(match.dtype.rawValue) in \(other.path)")
            }
        }
        found += matching.onlySecond.map { "\(network)/\($0.name): only in \(other.path)" }
        return found
    }
}
