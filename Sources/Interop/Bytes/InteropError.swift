import Foundation
import UntrustedInput

/// Where a problem was found: the file, optionally the archive member, and a byte offset.
public struct SourceLocation: Sendable, CustomStringConvertible {
    public var path: String
    /// Set when the bytes are the decompressed content of an archive member (offsets are then
    /// relative to the member).
    public var member: String?

    public init(path: String, member: String? = nil) {
        self.path = path
        self.member = member
    }

    public var description: String {
        member.map { "\(path) (member \($0))" } ?? path
    }
}

/// Every reader, importer and exporter of this module throws this error. The message names the
/// file, the byte offset when there is one, and what is wrong, so that a user can act on it.
public struct InteropError: Error, CustomStringConvertible, Sendable {
    public var location: SourceLocation?
    public var offset: Int?
    public var message: String

    public init(_ message: String, location: SourceLocation? = nil, offset: Int? = nil) {
        self.message = message
        self.location = location
        self.offset = offset
    }

    /// Names in messages (tensors, globals, dict keys, archive members, the path itself) come from
    /// files, so the whole text is escaped here, once, before it can reach a terminal.
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if let offset { parts.append("byte \(offset)") }
        parts.append(message)
        return parts.joined(separator: ": ").escapedForDisplay
    }

    /// The same error attributed to `location` when it does not name a file yet.
    func located(at location: SourceLocation) -> InteropError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }
}

extension InteropError {
    /// Runs `body`, attributing any error without a file to `location` (and wrapping foreign errors).
    static func attributing<T>(to location: SourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InteropError {
            throw error.located(at: location)
        } catch {
            throw InteropError("\(error)", location: location)
        }
    }

    /// Runs `body`, prefixing the message of any error with `context` (e.g. a tensor name).
    static func context<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as InteropError {
            error.message = "\(context()): \(error.message)"
            throw error
        } catch {
            throw InteropError("\(context()): \(error)")
        }
    }
}
