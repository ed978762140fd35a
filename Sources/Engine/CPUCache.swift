import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CPU's caches as the C library reports them (glibc reads them from CPUID, also inside a virtual machine); nil
/// where it does not say. Kernels size their working sets by them (docs/engine-kernels.md "Bands and the L2").
public enum CPUCache {
    /// Bytes of one core's level-2 cache.
    public static let level2Bytes: Int? = {
        #if canImport(Glibc)
        let bytes = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return bytes > 0 ? bytes : nil
        #else
        return nil
        #endif
    }()
}
