import COpenSSL
import Engine
import Foundation

/// A file an operation read, identified by its content.
public struct ProvenanceInput: Codable, Equatable, Sendable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }

    /// Hashes the file (streaming, bounded memory) to record it as an input.
    public static func file(at path: String) throws -> ProvenanceInput {
        ProvenanceInput(path: path, sha256: try Checksum.sha256Hex(ofFileAt: path))
    }
}

/// One entry of a checkpoint's append-only `/provenance` log.
public struct ProvenanceRecord: Codable, Equatable, Sendable {
    /// What was done: `import`, `swap`, `blend`, `freeze`, `merge`, `train`, …
    public var operation: String
    /// ISO 8601 with time zone.
    public var time: String
    public var toolVersion: String
    public var parameters: [String: JSONValue]
    public var inputs: [ProvenanceInput]
    public var note: String?

    public init(operation: String, parameters: [String: JSONValue] = [:], inputs: [ProvenanceInput] = [],
                note: String? = nil, time: Date = Date(), toolVersion: String = CheckpointFormat.toolVersion) {
        self.operation = operation
        self.time = Timestamp.iso8601(time)
        self.toolVersion = toolVersion
        self.parameters = parameters
        self.inputs = inputs
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case operation, time, parameters, inputs, note
        case toolVersion = "tool_version"
    }
}

public enum Timestamp {
    /// UTC, second precision: `2025-11-24T20:29:00Z`.
    public static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

public enum Checksum {
    /// Lower-case hex SHA-256 of the bytes.
    public static func sha256Hex(_ bytes: Data) -> String {
        let hasher = SHA256()
        hasher.update(data: bytes)
        return hex(hasher.finalize())
    }

    public static func sha256Hex(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileManager.default.fileExists(atPath: path)
                ? CheckpointError.unreadable(path: path, reason: "permission denied or not a regular file")
                : CheckpointError.fileNotFound(path: path)
        }
        defer { try? handle.close() }
        let hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        } catch {
            throw CheckpointError.unreadable(path: path, reason: "\(error)")
        }
        return hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-256 through OpenSSL's libcrypto (a Debian package, scripts/install-deps.sh), which uses the CPU's SHA
/// extensions where present. Its calls fail only when memory runs out or OpenSSL's configuration (OPENSSL_CONF)
/// forbids SHA-256; either stops the process with status 2 and OpenSSL's own reason, as a bad TOONKIT_SIMD does:
/// nothing toonkit does can go on without its checksums, so callers need not handle a failure that cannot be mended.
final class SHA256 {
    private let context: OpaquePointer

    /// An import hashes its source on another thread while it parses, so exit() can come mid-hash; OpenSSL's own
    /// clean-up at exit would free the digest's tables under that thread (a crash after the error was printed).
    private static let initialised: Void = {
        check(OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil), "OPENSSL_init_crypto")
    }()

    init() {
        _ = Self.initialised
        guard let context = EVP_MD_CTX_new() else { Self.fail("EVP_MD_CTX_new") }
        self.context = context
        Self.check(EVP_DigestInit_ex(context, EVP_sha256(), nil), "EVP_DigestInit_ex")
    }

    func update(data: Data) {
        data.withUnsafeBytes { Self.check(EVP_DigestUpdate(context, $0.baseAddress, $0.count), "EVP_DigestUpdate") }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// The 32-byte digest; the hasher is spent.
    func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        Self.check(EVP_DigestFinal_ex(context, &digest, &length), "EVP_DigestFinal_ex")
        return Array(digest.prefix(Int(length)))
    }

    private static func check(_ status: Int32, _ call: String) {
        if status != 1 { fail(call) }
    }

    /// Without exit's handlers: another thread may be hashing or writing, and they (HDF5's among them) would tear
    /// down what it uses. Files being written are left as their temporary files, as after a crash.
    private static func fail(_ call: String) -> Never {
        var reason = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(ERR_get_error(), &reason, reason.count)
        let configuration = ProcessInfo.processInfo.environment["OPENSSL_CONF"].map { " (OPENSSL_CONF=\($0))" } ?? ""
        stopProcess(error: "OpenSSL's \(call) failed for SHA-256: \(String(cString: reason))\(configuration)", runningExitHandlers: false)
    }
}
