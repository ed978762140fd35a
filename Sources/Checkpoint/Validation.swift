import Foundation

public enum ValidationStatus: String, Codable, Sendable {
    case valid, invalid, unreadable
}

public struct ValidationReport: Codable, Sendable {
    public var path: String
    public var status: ValidationStatus
    /// Every schema, storage and checksum problem, each naming its HDF5 object.
    public var problems: [CheckpointProblem]
    /// Why the file could not be read at all (status `unreadable`).
    public var error: String?
    public var warnings: [String]
    public var tensorsChecked: Int
    public var bytesChecked: Int

    enum CodingKeys: String, CodingKey {
        case path, status, problems, error, warnings
        case tensorsChecked = "tensors_checked", bytesChecked = "bytes_checked"
    }

    public func json() -> String { JSONText.encode(self, pretty: true) }
}

public enum CheckpointValidator {
    /// Checks the schema and the networks against `layout`, and recomputes every tensor's sha256 (networks
    /// and training state), one tensor at a time.
    public static func validate(path: String, layout: any CheckpointLayout) -> ValidationReport {
        var report = ValidationReport(path: path, status: .valid, problems: [], error: nil, warnings: [], tensorsChecked: 0, bytesChecked: 0)
        let file: CheckpointFile
        do {
            file = try CheckpointFile(path: path, layout: layout)
        } catch {
            report.status = .unreadable
            report.error = "\(error)"
            return report
        }
        report.warnings = file.warnings
        report.problems = file.problems
        for dataset in file.allDatasets {
            guard let stored = dataset.sha256, dataset.layout != nil else { continue }
            do {
                let bytes = try file.bytes(of: dataset)
                let computed = Checksum.sha256Hex(bytes)
                if computed != stored {
                    report.problems.append(CheckpointProblem(object: dataset.objectPath,
                                                             rule: "sha256 mismatch: stored \(stored), data hashes to \(computed)"))
                }
                report.tensorsChecked += 1
                report.bytesChecked += bytes.count
            } catch {
                report.problems.append(CheckpointProblem(object: dataset.objectPath, rule: "data cannot be read: \(error)"))
            }
        }
        if !report.problems.isEmpty { report.status = .invalid }
        return report
    }
}
