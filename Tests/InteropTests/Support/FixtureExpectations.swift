import Foundation
import Testing
import TestSupport
import Checkpoint
@testable import Interop

extension JSONValue {
    var intValue: Int? { if case .number(let n) = self { return Int(exactly: n) } else { return nil } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// `NAME.json`: the config and every expected tensor name and shape.
struct FixtureExpectations {
    let resolution, zDim, wDim, mappingLayers, channelBase, channelMax, mbstdGroup: Int
    let generator: [(name: String, shape: [Int])]
    let discriminator: [(name: String, shape: [Int])]

    init(_ name: String) throws {
        let text = try String(contentsOf: Fixtures.url("\(name).json"), encoding: .utf8)
        let json = try JSONValue.parse(text)
        func int(_ key: String) throws -> Int { try #require(json["config"]?[key]?.intValue) }
        (resolution, zDim, wDim) = (try int("res"), try int("z"), try int("w"))
        (mappingLayers, channelBase, channelMax, mbstdGroup) = (try int("map"), try int("cbase"), try int("cmax"), try int("mbstd"))
        func tensors(_ key: String) throws -> [(name: String, shape: [Int])] {
            guard case .array(let rows) = try #require(json[key]) else { throw InteropError("bad \(key)") }
            return try rows.map { row in
                guard case .array(let pair) = row, case .array(let dims) = pair[1] else { throw InteropError("bad row") }
                guard case .string(let name) = pair[0] else { throw InteropError("bad name") }
                return (name, try dims.map { try #require($0.intValue) })
            }
        }
        generator = try tensors("G")
        discriminator = try tensors("D")
    }

    func expected(for network: String) -> [(name: String, shape: [Int])] {
        network == "D" ? discriminator : generator
    }
}
