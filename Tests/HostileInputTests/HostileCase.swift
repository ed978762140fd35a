import Foundation
import Testing
import TestSupport

/// One entry of `Corpus/cases.json` (written by scripts/make_hostile_corpus.py; its docstring describes the fields).
struct HostileCase: Decodable, Sendable, CustomTestStringConvertible {
    enum Expectation: String, Decodable, Sendable {
        /// Exit with one of `status`, the message naming the input (`toonkit: error: <input>`), nothing written.
        case refusal
        /// Exit 0 with a warning on stderr (non-finite weights are clamped, not a crash).
        case warning
        /// Any orderly outcome: success, or a well-formed refusal that writes nothing (flipped bytes may be harmless).
        case survive
        /// `diff` must not call the files the same: exit 1 (a difference) or a refusal.
        case different
    }

    /// A small file described by the manifest and made at test time (too big to commit, or a FIFO, device, loop…).
    struct Build: Decodable, Sendable {
        var kind: String
        var name: String?
        var depth: Int?
        var opener: String?
        var closer: String?
        var bytes: Int?
        var inflated: Int?
        var declared: Int?
        var copies: Int?
        var member: String?
        var pickle: String?
        var entries: Int?
        var side: Int?
        var container: String?
    }

    /// A corpus file cut short or with bytes XOR-ed, applied at test time.
    struct Derivation: Decodable, Sendable {
        struct Flip: Decodable, Sendable { var offset: Int; var xor: UInt8 }
        var from: String
        var truncate: Int?
        var flips: [Flip]?
    }

    /// A file the harness writes into the case folder; its text must never reach an output.
    struct Canary: Decodable, Sendable {
        var file: String
        var text: String
    }

    var name: String
    var `class`: String
    var command: [String]
    var inputs: [String]
    var expect: Expectation
    var status: [Int32]
    var mentions: [String]
    /// `validate` reports an invalid file on stdout with exit 1; `diff` reports differences with exit 1.
    var report: String?
    var build: Build?
    var derive: Derivation?
    var canary: Canary?
    var markers: [String]?
    /// Paths relative to the case folder (or absolute) that a hostile input tries to create.
    var mustNotExist: [String]?
    /// The path the error message must start with, when it is not `{input}` (placeholders allowed).
    var errorPath: String?
    /// Copy the inputs into a folder and pass the folder as `{input}` (PNG folder data sets).
    var inputFolder: Bool?

    enum CodingKeys: String, CodingKey {
        case name, `class`, command, inputs, expect, status, mentions, report, build, derive, canary, markers
        case mustNotExist = "must_not_exist", errorPath = "error_path", inputFolder = "input_folder"
    }

    var testDescription: String { name }

    /// Text that must appear in no output: canary contents and link-target markers.
    var secrets: [String] { (canary.map { [$0.text] } ?? []) + (markers ?? []) }
}

enum HostileCorpus {
    static let folder = Fixtures.repository.appendingPathComponent("Tests/HostileInputTests/Corpus")

    static let cases: [HostileCase] = {
        let manifest = folder.appendingPathComponent("cases.json")
        struct Manifest: Decodable { var cases: [HostileCase] }
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifest)).cases
        } catch {
            fatalError("cannot read \(manifest.path): \(error)")
        }
    }()
}
