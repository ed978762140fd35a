import CMPI
import Engine
import Foundation
import Training

/// Training's `Collective` over Open MPI's processes (docs/training-loop.md §12): `mpirun -np N toonkit
/// train …` starts N ranks on one or more hosts; each all-reduce is one `MPI_Allreduce` over
/// `MPI_COMM_WORLD`, which returns the same sum on every rank.
public final class MPICollective: Collective {
    public let share: BatchShare
    public let hostName: String
    public private(set) var communicationSeconds: Double = 0
    public private(set) var bytesReduced = 0
    private let world = toon_MPI_COMM_WORLD()

    /// The ranks of this run when mpirun started the process (it sets OMPI_COMM_WORLD_SIZE), else nil:
    /// a plain `toonkit train` never initialises MPI.
    public static func launched(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPICollective? {
        guard let size = environment["OMPI_COMM_WORLD_SIZE"] else { return nil }
        guard Int(size) != nil else { throw TrainingError("OMPI_COMM_WORLD_SIZE is \(size), not a number: was this process started by Open MPI's mpirun?") }
        return try MPICollective()
    }

    private init() throws {
        var provided: Int32 = 0
        try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
        // Errors come back as codes, so a failed call becomes an error naming the rank and host.
        try Self.check(MPI_Comm_set_errhandler(world, toon_MPI_ERRORS_RETURN()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        share = BatchShare(rank: Int(rank), ranks: Int(size))
        var name = [CChar](repeating: 0, count: Int(toon_MPI_MAX_PROCESSOR_NAME()) + 1)
        var length: Int32 = 0
        try Self.check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        hostName = String(cString: name)
    }

    public func allReduceSum(_ values: inout [Float]) throws {
        try reduce(&values, type: toon_MPI_FLOAT())
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        try reduce(&values, type: toon_MPI_DOUBLE())
    }

    /// In place, in pieces that fit MPI's Int32 counts.
    private func reduce<T>(_ values: inout [T], type: MPI_Datatype) throws {
        let start = Date()
        let piece = 1 << 28
        try values.withUnsafeMutableBufferPointer { buffer in
            for offset in stride(from: 0, to: buffer.count, by: piece) {
                let count = min(piece, buffer.count - offset)
                try Self.check(MPI_Allreduce(toon_MPI_IN_PLACE(), buffer.baseAddress! + offset, Int32(count), type, toon_MPI_SUM(), world),
                               "MPI_Allreduce of \(count) values", rank: share.rank)
            }
        }
        communicationSeconds += Date().timeIntervalSince(start)
        bytesReduced += values.count * MemoryLayout<T>.stride
    }

    /// Ends every rank of the run: prints `message` naming this rank and host, then MPI_Abort, which
    /// mpirun turns into the end of the whole job with status `code`.
    public func abort(_ message: String, code: Int32 = 2) -> Never {
        FileHandle.standardError.write(Data("toonkit: error: rank \(share.rank) of \(share.ranks) on \(hostName): \(message)\n".utf8))
        MPI_Abort(world, code)
        exit(code)
    }

    /// After the last collective call of a successful run.
    public func finish() {
        MPI_Finalize()
    }

    private static func check(_ status: Int32, _ call: String, rank: Int? = nil) throws {
        guard status != toon_MPI_SUCCESS() else { return }
        var text = [CChar](repeating: 0, count: Int(toon_MPI_MAX_ERROR_STRING()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        throw TrainingError("\(call) failed\(rank.map { " on rank \($0)" } ?? ""): \(String(cString: text))")
    }
}
