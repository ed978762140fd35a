import Foundation
@testable import Interop

/// Issue 11's hostile inputs: files that crashed, hung or took gigabytes before the readers
/// checked their arithmetic, bounded what a file may expand to and escaped names for display.
extension BadInputCorpus {
    mutating func addHostileCases() {
        addDeflatedMemberCases()
        addExpandingViewCases()
        addHugeIntegerCases()
        addControlCharacterCases()
        addAmplificationCases()
    }

    /// A one-float storage `a/data/0` and a state dict pickle of `tensors`, all members deflated.
    static func deflatedStateDict(_ tensors: [UInt8], extra: [DeflatedZip.Member] = []) -> [UInt8] {
        DeflatedZip.archive([DeflatedZip.Member(name: "a/data.pkl", chunk: tensors)] + extra
            + [DeflatedZip.Member(name: "a/data/0", chunk: [0, 0, 0x80, 0x3f])])
    }

    private mutating func addDeflatedMemberCases() {
        typealias P = PickleBytes
        let scalar = P.stateDict(P.tensor(size: [], stride: [], numel: 1))
        // The byteorder member used to be decoded after its inflated buffer was freed.
        add("torch zip: deflated byteorder 'big'",
            Self.deflatedStateDict(scalar, extra: [DeflatedZip.Member(name: "a/byteorder", chunk: Array("big".utf8))]),
            mentions: "byte order 'big'")
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        add("torch zip: deflated storage of 100 MiB zeros in a ~100 KB file",
            DeflatedZip.archive([DeflatedZip.Member(name: "a/data.pkl", chunk: P.stateDict(P.tensor(size: [1], stride: [1], numel: 25 << 20))),
                                 DeflatedZip.Member(name: "a/data/0", chunk: zeros, repeats: 100)]),
            mentions: "inflating member 'a/data/0'")
        var understated = Self.deflatedStateDict(scalar, extra: [DeflatedZip.Member(name: "a/byteorder", chunk: Array("little".utf8))])
        Self.patchSizes(&understated, uncompressed: 2)  // a/data.pkl declares 2 bytes
        add("torch zip: member inflates beyond its declared size", understated, mentions: "more than the declared 2 bytes")
    }

    private mutating func addExpandingViewCases() {
        typealias P = PickleBytes
        let oneFloat = [UInt8](repeating: 0, count: 4)
        add("torch zip: one float viewed as 2^31 × 2^31 (stride 0)",
            Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: [1 << 31, 1 << 31], stride: [0, 0], numel: 1))), ("a/data/0", oneFloat)]),
            mentions: "too many to count in bytes")
        add("torch zip: one float viewed as 1.5 GiB three times (stride 0)",
            Self.zip([("a/data.pkl", P.stateDict(entries: ["a", "b", "c"].map { ($0, P.tensor(size: [3 << 27], stride: [0], numel: 1)) })),
                      ("a/data/0", oneFloat)]),
            mentions: "may expand to")
        // Each view fits the budget alone; the second one is refused because the total does not.
        add("torch zip: two 40 MiB stride-0 views",
            Self.zip([("a/data.pkl", P.stateDict(entries: ["a", "b"].map { ($0, P.tensor(size: [10 << 20], stride: [0], numel: 1)) })),
                      ("a/data/0", oneFloat)]),
            mentions: "on top of the 41943040 already read")
        add("NVIDIA pickle: an embedded one-float storage viewed as 1.5 GiB (stride 0)",
            PickleBytes.nvidiaPickle(size: [3 << 27], stride: [0], floats: [1]), mentions: "may expand to")
        add("torch zip: view whose strides overflow",
            Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: [3, 3], stride: [Int.max / 2, 1], numel: 1))), ("a/data/0", oneFloat)]),
            mentions: "overflows")
    }

    private mutating func addHugeIntegerCases() {
        typealias P = PickleBytes
        let long4 = [0x8b] + withUnsafeBytes(of: UInt32(4096).littleEndian, Array.init) + [UInt8](repeating: 0x7f, count: 4096)
        add("LONG4 of 4096 bytes in init kwargs", P.proto() + [0x7d] + P.string("G_kwargs") + long4 + [0x73] + P.stop,
            mentions: "LONG4: an integer of 4096 bytes")
        add("LONG1 of 255 bytes", P.proto() + [0x8a, 255] + [UInt8](repeating: 1, count: 255) + P.stop, mentions: "LONG1")
    }

    private mutating func addControlCharacterCases() {
        typealias P = PickleBytes
        add("global name with an ANSI escape", P.call("os\u{1b}[2J", "system", "true"), mentions: "refusing global 'os\\u{1b}[2J.system'")
        add("zip member name with an ANSI escape", Self.zip([("a/../\u{1b}[31mred", [0])]), mentions: "a/../\\u{1b}[31mred")
        add("state dict key with a carriage return",
            Self.zip([("a/data.pkl", P.stateDict(entries: [("fake\rtoonkit: ok", [0x4e])]))]), mentions: "fake\\u{d}toonkit: ok")
        let header = Array(#"{"\u001b]0;title\u0007":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#.utf8)
        add("safetensors tensor name with an OSC escape",
            withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [UInt8](repeating: 0, count: 8),
            mentions: "\\u{1b}]0;title\\u{7}")
    }

    /// Few bytes of input that ask for much work or memory.
    private mutating func addAmplificationCases() {
        typealias P = PickleBytes
        let text = [0x58] + withUnsafeBytes(of: UInt32(1 << 16).littleEndian, Array.init) + [UInt8](repeating: 0x61, count: 1 << 16)
        let memo = P.global("_codecs", "encode") + [0x71, 1, 0x30] + text + [0x71, 0, 0x30] + P.string("latin1") + [0x71, 2, 0x30]
        let encodeAgain: [UInt8] = [0x68, 1, 0x68, 0, 0x68, 2, 0x86, 0x52]
        add("a memoized 64 KiB string encoded 20 000 times",
            P.proto() + memo + [0x5d, 0x28] + Array([[UInt8]](repeating: encodeAgain, count: 20_000).joined()) + [0x65] + P.stop,
            mentions: "_codecs.encode has produced")
        add("a million and one empty dicts", P.proto() + [0x5d] + Array([[UInt8]](repeating: [0x7d, 0x61], count: (1 << 20) + 1).joined()) + P.stop,
            mentions: "more than 1048576 containers, tensors and storages")
        add("a million and one memo entries", P.proto(4) + Array([[UInt8]](repeating: [0x4e, 0x94, 0x30], count: (1 << 20) + 1).joined()) + [0x4e] + P.stop,
            mentions: "more than 1048576 memo entries")
        let longKey = [0x58] + withUnsafeBytes(of: UInt32(300).littleEndian, Array.init) + [UInt8](repeating: 0x6b, count: 300)
        add("a dict key of 300 bytes", P.proto() + [0x7d] + longKey + [0x4e, 0x73] + P.stop, mentions: "dict key")
        let name = [0x58] + withUnsafeBytes(of: UInt32(200).littleEndian, Array.init) + [UInt8](repeating: 0x6b, count: 200) + [0x71, 0]
        add("a dict key of 16 × one memoized 200-byte string", P.proto() + [0x7d, 0x28] + name + Array([[UInt8]](repeating: [0x68, 0], count: 15).joined())
            + [0x74, 0x4e, 0x73] + P.stop, mentions: "dict key")
        let header = Array(#"{"a":{"dtype":"F32","shape":[1\#(String(repeating: "0", count: 100))],"data_offsets":[0,4]}}"#.utf8)
        add("safetensors: a number of 101 digits",
            withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [0, 0, 0, 0], mentions: "number longer than 64")
        add("torch zip: a tensor of 33 dimensions",
            Self.zip([("a/data.pkl", P.stateDict(P.tensor(size: Array(repeating: 1, count: 33), stride: Array(repeating: 1, count: 33), numel: 1))),
                      ("a/data/0", [0, 0, 0, 0])]),
            mentions: "33 dimensions")
    }
}
