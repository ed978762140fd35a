import Foundation
import Testing
import TestSupport
@testable import Checkpoint

@Suite struct FormatTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func pinnedSchemaFileMatchesTheBuiltInSchema() throws {
        let url = Self.repository.appendingPathComponent("schemas/checkpoint-v1.schema.json")
        let pinned = try String(contentsOf: url, encoding: .utf8)
        #expect(pinned == CheckpointFormat.schemaText)
        _ = try JSONSchema(JSONValue.parse(pinned))
    }

    @Test func schemaLoaderRefusesKeywordsItDoesNotEnforce() throws {
        #expect(throws: CheckpointError.self) { try JSONSchema(["type": "object", "minProperties": 1]) }
        #expect(throws: CheckpointError.self) { try JSONSchema(["properties": ["x": ["format": "date-time"]]]) }
    }

    @Test func validatorReportsLocationsAndRules() throws {
        let schema = try JSONSchema([
            "type": "object", "required": ["a"],
            "properties": ["a": ["type": "integer", "minimum": 1], "b": ["type": "array", "items": ["enum": ["x", "y"]]]],
            "additionalProperties": false,
        ])
        let failures = schema.validate(["a": 0, "b": ["x", "z"], "c": true])
        #expect(failures.contains(.init(location: ["a"], message: "must be at least 1, found 0")))
        #expect(failures.contains(.init(location: ["b", "[1]"], message: #"must be one of ["x", "y"], found "z""#)))
        #expect(failures.contains(.init(location: ["c"], message: "is not allowed here")))
        #expect(schema.validate([:]) == [.init(location: ["a"], message: "is required but missing")])
        #expect(schema.validate(["a": 1.5]).first?.message == "must be an integer, found 1.5")
    }

    @Test func manifestLocationsNameHDF5Objects() {
        func problem(_ location: [String]) -> String {
            ManifestLocation.problem(for: .init(location: location, message: "m")).description
        }
        #expect(problem(["attributes", "format"]) == #"/: attribute "format" m"#)
        #expect(problem(["networks", "G", "tensors", "x.w", "attributes", "kind"]) == #"/networks/G/x.w: attribute "kind" m"#)
        #expect(problem(["networks", "G", "tensors", "x.w", "layout"]) == "/networks/G/x.w: layout m")
        #expect(problem(["architecture", "resolution"]) == "/architecture: JSON field resolution m")
        #expect(problem(["provenance", "[2]", "inputs", "[0]", "sha256"]) == "/provenance: record 2 JSON field inputs[0].sha256 m")
        #expect(problem(["training", "tensors", "adam/G/w/m", "dtype"]) == "/training/tensors/adam/G/w/m: dtype m")
    }

    @Test func jsonValueKeepsBooleansApartFromNumbers() throws {
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse("1") == .number(1))
        #expect(try JSONValue.parse(#"{"a": [1, 2.5, null, "s"]}"#) == ["a": [1, 2.5, nil, "s"]])
        #expect(JSONValue.number(64).serialized() == "64")
        #expect(throws: CheckpointError.self) { try JSONValue.parse("{oops") }
    }

    @Test func formatVersionsParseAsMajorDotMinor() {
        #expect(FormatVersion("1.0") == FormatVersion(major: 1, minor: 0))
        #expect(FormatVersion("12.34") == FormatVersion(major: 12, minor: 34))
        for bad in ["1", "1.", ".1", "1.0.0", "+1.0", "v1.0", ""] { #expect(FormatVersion(bad) == nil, "\(bad)") }
    }

    @Test func h5lsAndH5dumpOpenAWrittenFile() throws {
        let folder = try TemporaryDirectory()
        let path = try Samples.write(folder.path("g.h5"))
        guard let listing = try runTool("h5ls", ["-r", path]), let dump = try runTool("h5dump", ["-H", path]) else {
            print("skipped: h5ls/h5dump not installed (apt install hdf5-tools)")
            return
        }
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("/networks/toy/synthesis.b8.conv0.weight Dataset {4, 2, 3, 3}"))
        #expect(listing.stdout.contains("/networks/toy/synthesis.b16.conv1.noise_strength Dataset {SCALAR}"))
        #expect(dump.status == 0)
        #expect(dump.stdout.contains("H5T_IEEE_F32LE"))
        let data = try #require(try runTool("h5dump", ["-d", "/networks/toy/synthesis.b32.torgb.bias", path]))
        #expect(data.stdout.contains("(0): 0, 1, 2"))
    }
}
