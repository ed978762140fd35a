import Foundation
import Testing
import TestSupport
import Checkpoint
@testable import Interop

struct NumpyTests {
    @Test(.enabled(if: Fixtures.available, Fixtures.missing))
    func readsTheDeflatedReferenceArchive() throws {
        let arrays = try NumpyArchive.read(Fixtures.url("tiny32.ref.npz"))
        #expect(arrays.count == 19)
        let seeds = try #require(arrays["seeds"])
        #expect(seeds.dtype == .int64)
        #expect(try seeds.integers() == [0, 1, 2, 7])
        // np.random.RandomState(0).randn(...)[0] = 1.764052345967664, stored as float32.
        let z = try #require(arrays["z"])
        #expect(z.shape == [4, 32])
        #expect(try z.floats()[0] == Float(1.764052345967664))
        #expect(arrays["c"]?.shape == [4, 0])
        #expect(arrays["g_loss"]?.shape == [] && arrays["g_loss"]?.dtype == .float32)
        #expect(arrays["uint8_psi10"]?.dtype == .uint8 && arrays["uint8_psi10"]?.shape == [4, 32, 32, 3])
        #expect(arrays["img_psi10"]?.shape == [4, 3, 32, 32])
    }

    @Test(arguments: [
        (DType.float32, [2, 3, 4, 5]), (.float64, [3]), (.float16, [2, 2]), (.int64, []), (.uint8, [7, 3]),
        (.int32, [0, 4]), (.bool, [5]), (.int8, [1, 1, 1]),
    ] as [(DType, [Int])])
    func arraysRoundTripThroughNpyAndNpz(dtype: DType, shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let bytes = Data((0..<(count * dtype.byteSize)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) & (dtype == .bool ? 1 : 0xff) })
        let tensor = try TensorData(dtype: dtype, shape: shape, bytes: bytes)
        let folder = try TemporaryDirectory()
        try NumpyArray.write(tensor, to: folder.file("a.npy"))
        let back = try NumpyArray.read(folder.file("a.npy"))
        #expect(back.dtype == dtype && back.shape == shape && back.bytes == bytes)
        let (header, _) = try NumpyArray.encode(tensor)
        #expect(header.count % 64 == 0, "data starts 64-byte aligned")

        try NumpyArchive.write(["x": tensor, "y": tensor], to: folder.file("a.npz"))
        let archive = try NumpyArchive.read(folder.file("a.npz"))
        #expect(archive.keys.sorted() == ["x", "y"] && archive["y"]?.bytes == bytes && archive["x"]?.shape == shape)
        #expect(folder.contents == ["a.npy", "a.npz"])
    }

    @Test func bfloat16CannotBeWrittenAsNumpy() throws {
        let tensor = try TensorData(dtype: .bfloat16, shape: [1], bytes: Data([0, 0]))
        let folder = try TemporaryDirectory()
        #expect(throws: InteropError.self) { try NumpyArray.write(tensor, to: folder.file("b.npy")) }
        #expect(folder.contents.isEmpty)
    }

    static func npy(_ header: String, _ data: [UInt8]) -> ByteSlice {
        let bytes = NumpyArray.magic + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + data
        return ByteBuffer.copying(Data(bytes), location: SourceLocation(path: "test.npy")).whole
    }

    @Test(arguments: [UInt8(2), 3])
    func laterHeaderVersionsUseFourByteLengths(major: UInt8) throws {
        let header = Array("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }\n".utf8)
        let bytes = NumpyArray.magic + [major, 0] + withUnsafeBytes(of: UInt32(header.count).littleEndian, Array.init) + header + [1, 0, 0xff, 0xff]
        let tensor = try NumpyArray.read(ByteBuffer.copying(Data(bytes), location: SourceLocation(path: "v.npy")).whole)
        #expect(tensor.dtype == .int16)
        #expect(try tensor.integers() == [1, -1])
    }

    @Test func bigEndianArraysAreSwapped() throws {
        let tensor = try NumpyArray.read(Self.npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0x3f, 0x80, 0, 0]))
        #expect(try tensor.floats() == [1])
    }

    @Test(arguments: [
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "Fortran"),
        ("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "object"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "needs 8 bytes"),
        ("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", "unsupported numpy dtype"),
        ("{'descr': '<f4', 'shape': (1,), }", "lacks"),
    ])
    func unsupportedArraysAreRefusedClearly(header: String, reason: String) throws {
        let error = try #require(throws: InteropError.self) { try NumpyArray.read(Self.npy(header, [0, 0, 0, 0])) }
        #expect(error.description.contains(reason), "\(error)")
        #expect(error.description.hasPrefix("test.npy: byte"))
    }
}
