import Foundation

/// The processes of one run that share this host: mpirun's ranks started on it (Open MPI sets
/// OMPI_COMM_WORLD_LOCAL_SIZE), else this process alone. Each takes its share of the cores (`toonkit train`) and of
/// the memory its freed buffers may hold (StoragePool).
public enum HostShare {
    public static let localProcessesVariable = "OMPI_COMM_WORLD_LOCAL_SIZE"

    public static var localProcesses: Int { localProcesses(ProcessInfo.processInfo.environment) }

    static func localProcesses(_ environment: [String: String]) -> Int {
        max(1, environment[localProcessesVariable].flatMap { Int($0) } ?? 1)
    }
}
