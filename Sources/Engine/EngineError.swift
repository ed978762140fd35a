/// Errors thrown by engine operations. Messages name the operation and the shapes involved,
/// because these errors reach users through bad checkpoints or bad command-line input.
public struct EngineError: Error, CustomStringConvertible, Equatable {
    public let op: String
    public let message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }

    static func shapes(_ op: String, _ message: String, _ shapes: [Int]...) -> EngineError {
        EngineError(op, message + " (shapes " + shapes.map { "\($0)" }.joined(separator: ", ") + ")")
    }
}
