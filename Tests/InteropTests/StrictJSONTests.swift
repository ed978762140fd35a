import Foundation
import Testing
import Checkpoint
@testable import Interop

struct StrictJSONTests {
    @Test(arguments: ["0", "-0", "7", "-12", "3.25", "1e9", "1E+9", "2.5e-3", "-0.0e0", "9007199254740992"])
    func validNumbers(text: String) throws {
        guard case .number(let value) = try Self.parse(text) else { Issue.record("\(text) is not a number"); return }
        #expect(value == Double(text))
    }

    @Test(arguments: ["01", "+1", "1.", ".5", "1e", "1e+", "--1", "1.2.3", "1e5e5", "-", "0x10", "1-2"])
    func invalidNumbers(text: String) {
        #expect(throws: InteropError.self, "\(text)") { try Self.parse(text) }
    }

    /// 1 M small numbers took the regex-based check about two minutes; linear parsing takes well under one second.
    @Test func manySmallNumbersParseInLinearTime() throws {
        let text = "[" + Array(repeating: "0", count: 1 << 20).joined(separator: ",") + "]"
        let elapsed = try ContinuousClock().measure { _ = try Self.parse(text) }
        #expect(elapsed < .seconds(20), "parsing 1 M numbers took \(elapsed)")
    }

    static func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try StrictJSON.parse($0) }
    }
}
