import ArgumentParser
import Checkpoint
import Foundation

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

        Exit status: 0 valid, 1 invalid (schema violation or checksum mismatch), 2 not an HDF5 file, \
        missing, unreadable or of an unknown major format version.
        """
    )

    @Argument(help: "The checkpoint file (.h5).")
    var checkpoint: String

    @Flag(help: "Print the report as one JSON document (path, status, problems, tensors_checked, …).")
    var json = false

    func run() throws {
        let report = CheckpointValidator.validate(path: checkpoint)
        report.warnings.forEach(CommandFailure.warn)
        if json {
            print(report.json())
        } else if report.status == .unreadable {
            FileHandle.standardError.write(Data("toonkit: error: \(report.error ?? "\(report.path): unreadable")\n".utf8))
        } else {
            print(text(report), terminator: "")
        }
        if report.status != .valid { throw ExitCode(report.status.exitCode) }
    }

    private func text(_ report: ValidationReport) -> String {
        guard report.status == .invalid else {
            return "\(report.path): valid (\(report.tensorsChecked) tensors, \(report.bytesChecked) bytes checked)\n"
        }
        let problems = report.problems.map { "  \($0.object): \($0.rule)" }.joined(separator: "\n")
        return "\(report.path): invalid, \(report.problems.count) problem(s):\n\(problems)\n"
    }
}
