import CAVX512
import CBLAS
import Foundation

/// OpenBLAS picks its kernels once, as the library loads, from the CPU's family and model. A
/// build older than the CPU does not know it and falls back to "Prescott", its SSE3 kernels:
/// Debian 12's OpenBLAS 0.3.21 on an Intel Xeon of family 6 model 207 (Emerald Rapids,
/// AVX-512) ran every GEMM that way, and VGG-16's inference took 792 ms at one thread
/// against torch's 647. `OPENBLAS_CORETYPE` chooses the kernels, but only before the library
/// loads, so the command line re-executes itself once with it set (`reexecIfGeneric`).
/// `TOPIARY_BLAS_CORE=0` keeps whatever OpenBLAS chose; an `OPENBLAS_CORETYPE` the user set
/// is never overridden. `topiary bench`'s `env` line names the family in use.
public enum BLASCore {
    /// The `OPENBLAS_CORETYPE` to run with instead of `coreName`, or nil: only when OpenBLAS
    /// fell back to its generic kernels on a CPU with what a better family needs ("SkylakeX"
    /// for AVX-512, "Haswell" for AVX2 with FMA) and neither variable was set.
    static func override(coreName: String, environment: [String: String], avx512: Bool, avx2FMA: Bool) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[chosenVariable] == nil,
              environment["TOPIARY_BLAS_CORE"] != "0", coreName.lowercased() == "prescott" else { return nil }
        return avx512 ? "SkylakeX" : avx2FMA ? "Haswell" : nil
    }

    /// Re-executes this program (/proc/self/exe, the same arguments, standard streams and
    /// process id) with `OPENBLAS_CORETYPE` set when `override` says so. Returns when it does
    /// not, or when the exec fails (the program then goes on with the generic kernels). Call
    /// first thing in `main`, before anything is read or printed.
    public static func reexecIfGeneric() {
        guard let core = override(coreName: BLAS.coreName, environment: ProcessInfo.processInfo.environment,
                                  avx512: topiary_avx512_usable() != 0,
                                  avx2FMA: topiary_avx2_fma_usable() != 0) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(chosenVariable, core, 1)   // never a second time, whatever OpenBLAS does with it
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// Set to the kernel family `reexecIfGeneric` chose, beside `OPENBLAS_CORETYPE`.
    public static let chosenVariable = "TOPIARY_BLAS_CORE_CHOSEN"

    /// Whether `environment`'s `OPENBLAS_CORETYPE` is the one `reexecIfGeneric` set (not the
    /// user's or the machine's): `topiary bench`, which drops the variable to time OpenBLAS's
    /// own choice, keeps this one.
    public static func isOwnChoice(_ environment: [String: String]) -> Bool {
        environment["OPENBLAS_CORETYPE"] != nil && environment["OPENBLAS_CORETYPE"] == environment[chosenVariable]
    }
}
