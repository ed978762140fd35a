import Engine
import Testing

/// The CLI restarts itself with OPENBLAS_THREAD_TIMEOUT only when the user has not set it.
@Suite struct BLASThreadTimeoutTests {
    @Test func addsTheVariableOnlyWhenUnset() {
        let added = BLASThreadTimeout.environmentToAdd([:])
        #expect(added?.name == "OPENBLAS_THREAD_TIMEOUT" && added?.value == String(BLASThreadTimeout.engineValue))
        #expect(BLASThreadTimeout.environmentToAdd(["OPENBLAS_THREAD_TIMEOUT": ""])?.value == String(BLASThreadTimeout.engineValue))
        #expect(BLASThreadTimeout.environmentToAdd(["OPENBLAS_THREAD_TIMEOUT": "28"]) == nil)
        #expect(BLASThreadTimeout.environmentToAdd(["PATH": "/usr/bin"]) != nil)
    }
}
