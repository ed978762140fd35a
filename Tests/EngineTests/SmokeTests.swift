import Testing
@testable import Engine
@Test func core() { #expect(!BLASInfo.coreName.isEmpty) }
