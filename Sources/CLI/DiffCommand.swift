import ArgumentParser
import Checkpoint
import Networks
import Foundation

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the tensors of two checkpoints, with tolerances.",
        discussion: """
        Tensors are matched by network and name. Each gets a status: same (within tolerance), different, \
        only_a / only_b (present in one file only), shape (shapes differ) or dtype (same shape, different \
        dtype). Unlike h5diff, shape and dtype changes and missing tensors always count as differences.

        An element pair is equal when a == b, when both are NaN, or when |a - b| <= atol + rtol * |b|; \
        a NaN or infinity facing anything else is a difference. For compared tensors, max_abs is \
        max |a - b| and rel_l2 is ||a - b||_2 / ||b||_2 (0 when both norms are 0, inf when only ||b|| is \
        0). Every tensor's data is read and hashed: a tensor whose bytes do not match its stored SHA-256 \
        is an error (exit 2), so a damaged file is never reported the same. --trust-checksums skips \
        reading tensors whose stored SHA-256 are equal (fast on large files, but only as good as the \
        stored checksums; the report says so). kind/trainable changes are shown as notes and do not make \
        a tensor different.

        With --json, stdout holds one JSON document with a "tensors" array of {network, name, status, \
        max_abs, rel_l2} (null when not compared, "inf" when infinite).

        Exit status: 0 every tensor the same within tolerance, 1 some difference, 2 error (a file \
        missing, not HDF5, invalid or unreadable, or an unknown network).
        """
    )

    @Argument(help: "The first checkpoint (a).")
    var a: String

    @Argument(help: "The second checkpoint (b), the reference for relative tolerances.")
    var b: String

    @Option(help: "Absolute tolerance.")
    var atol: Double = 0

    @Option(help: "Relative tolerance, relative to b.")
    var rtol: Double = 0

    @Option(help: "Comma-separated networks to compare, e.g. G_ema,D (default: all).")
    var networks: String?

    @Flag(help: "Call tensors with equal stored SHA-256 the same without reading their data (checksums only).")
    var trustChecksums = false

    @Flag(help: "Print one JSON document.")
    var json = false

    @Flag(help: "In the text report, list tensors that are the same too.")
    var all = false

    func validate() throws {
        guard atol >= 0, rtol >= 0, atol.isFinite, rtol.isFinite else {
            throw ValidationError("--atol and --rtol must be finite and not negative")
        }
    }

    func run() throws {
        let selection = networks.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let report = try CheckpointDiffer.diff(a, b, options: DiffOptions(atol: atol, rtol: rtol, networks: selection, trustChecksums: trustChecksums))
        report.warnings.forEach(Console.warn)
        if json { print(report.json()) } else { print(report.text(showSame: all), terminator: "") }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
