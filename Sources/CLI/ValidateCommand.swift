import ArgumentParser
import Checkpoint
import Networks
import Foundation
import UntrustedInput

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a checkpoint against the format v1 schema and verify every tensor's SHA-256.",
        discussion: """
        Checks the root attributes (format, format_version, created_by, created_at), the architecture, \
        every network tensor (contiguous, unfiltered, supported dtype, kind/trainable/sha256 attributes), \
        the provenance log, training state and extra metadata, then reads each tensor once and compares \
        its SHA-256 with the stored one (finds bit rot and edits made behind toonkit's back). Every \
        problem is listed with the HDF5 object it concerns.

        Problems go to stderr, one `toonkit: error: FILE: OBJECT: RULE` line each (with --json, the \
        report is on stdout as well).

        Exit status: 0 valid, 2 invalid (schema violation or checksum mismatch), not an HDF5 file, \
        missing, not a regular file, unreadable or of an unknown major format version.
        """
    )

    @Argument(help: "The checkpoint file (.h5).")
    var checkpoint: String

    @Flag(help: "Print the report as one JSON document (path, status, problems, tensors_checked, …).")
    var json = false

    func run() throws {
        let report = CheckpointValidator.validate(path: checkpoint)
        report.warnings.forEach(Console.warn)
        if json { print(report.json()) }
        switch report.status {
        case .valid:
            if !json { print("\(report.path.escapedForDisplay): valid (\(report.tensorsChecked) tensors, \(report.bytesChecked) bytes checked)") }
        case .invalid:
            throw InvalidCheckpoint(report: report)
        case .unreadable:
            throw InvalidCheckpoint(message: report.error ?? "\(report.path): unreadable")
        }
    }
}

/// A checkpoint that failed validation: one line per problem, each naming the file.
struct InvalidCheckpoint: Error, CustomStringConvertible {
    let description: String

    init(message: String) { description = message }

    init(report: ValidationReport) {
        let path = report.path.escapedForDisplay
        let problems = report.problems.map { "\(path): \($0)" }
        description = (["\(path): invalid, \(report.problems.count) problem(s):"] + problems).joined(separator: "\n")
    }
}
