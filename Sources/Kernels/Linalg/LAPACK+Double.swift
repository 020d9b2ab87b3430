import CBLAS
import Tensor

/// The double-precision LAPACK drivers behind `lstsq` and `pinv` (column-major, Fortran
/// ABI, 32-bit integers), with the size checks that keep user sizes away from them.
extension LAPACK {
    /// Throws unless LAPACK can take an m×n problem with `nrhs` right-hand sides in its
    /// 32-bit integers: a generous bound on every workspace formula of dgelsd and dgesdd
    /// (m·n, max(m, n)·nrhs, 8·min(m, n)², block sizes times m + n) must fit, so no
    /// product inside LAPACK overflows and a workspace query cannot answer nonsense.
    static func checkSizes(_ op: String, rows m: Int, cols n: Int, nrhs: Int = 0) throws {
        let k = Double(min(m, n)), big = Double(max(m, n))
        let bound = 4 * (Double(m) * Double(n) + big * Double(nrhs) + 8 * k * k + 256 * (Double(m + n) + Double(nrhs))) + 1e5
        guard bound <= Double(Int32.max) else {
            throw TensorError("\(op): a \(m)×\(n) problem\(nrhs > 0 ? " with \(nrhs) right-hand sides" : "") is too large for LAPACK's 32-bit sizes")
        }
    }

    /// A workspace size LAPACK reported (a double in work[0]) as a checked Int.
    static func workspace(_ w: Double, _ op: String) throws -> Int {
        guard w.isFinite, w >= 0, w < Double(Int32.max) else {
            throw TensorError("\(op): LAPACK asked for an impossible workspace (\(w) elements)")
        }
        return max(Int(w) + 1, 1)
    }

    /// dgelsd: the minimum-norm X minimising ‖A·X − B‖ for a column-major rows×cols `a`
    /// (lda = rows) and `b` (ldb ≥ max(rows, cols)), singular values ≤ rcond·σmax dropped.
    static func dgelsd(rows: Int, cols: Int, nrhs: Int, a: UnsafeMutablePointer<Double>,
                       b: UnsafeMutablePointer<Double>, ldb: Int, s: UnsafeMutablePointer<Double>,
                       rcond: Double, rank: inout Int, work: UnsafeMutablePointer<Double>, lwork: Int,
                       iwork: UnsafeMutablePointer<Int32>) -> Int32 {
        var m = Int32(rows), n = Int32(cols), k = Int32(nrhs), lda = Int32(max(rows, 1)), lb = Int32(ldb)
        var rc = rcond, r: Int32 = 0, lw = Int32(lwork), info: Int32 = 0
        dgelsd_(&m, &n, &k, a, &lda, b, &lb, s, &rc, &r, work, &lw, iwork, &info)
        rank = Int(r)
        return info
    }

    /// dgelsd's workspace (doubles) and integer workspace for the problem, queried
    /// without touching any matrix (call `checkSizes` first).
    static func dgelsdWorkspace(rows: Int, cols: Int, nrhs: Int, _ op: String) throws -> (work: Int, iwork: Int) {
        var a = 0.0, b = 0.0, s = 0.0, work = 0.0, rank = 0
        var iwork: Int32 = 0
        let info = dgelsd(rows: rows, cols: cols, nrhs: nrhs, a: &a, b: &b, ldb: max(rows, cols, 1), s: &s,
                          rcond: 0, rank: &rank, work: &work, lwork: -1, iwork: &iwork)
        guard info == 0 else { throw TensorError("\(op): LAPACK dgelsd workspace query failed (info \(info))") }
        let ints = Int(iwork)
        guard ints >= 0, ints < Int(Int32.max) else { throw TensorError("\(op): LAPACK asked for an impossible integer workspace (\(ints))") }
        return (try workspace(work, op), max(ints, 8 * min(rows, cols), 1))
    }

    /// dgesdd on a column-major rows×cols `a` (destroyed): job "N" singular values only,
    /// "S" also the thin U (ldu = rows) and Vᵀ (ldvt = min(rows, cols)).
    static func dgesdd(_ job: String, rows: Int, cols: Int, a: UnsafeMutablePointer<Double>,
                       s: UnsafeMutablePointer<Double>, u: UnsafeMutablePointer<Double>,
                       vt: UnsafeMutablePointer<Double>, work: UnsafeMutablePointer<Double>, lwork: Int,
                       iwork: UnsafeMutablePointer<Int32>) -> Int32 {
        let vectors = job == "S"
        var m = Int32(rows), n = Int32(cols), lda = Int32(max(rows, 1))
        var lu = Int32(vectors ? max(rows, 1) : 1), lvt = Int32(vectors ? max(min(rows, cols), 1) : 1)
        var lw = Int32(lwork), info: Int32 = 0
        job.withCString { j in dgesdd_(j, &m, &n, a, &lda, s, u, &lu, vt, &lvt, work, &lw, iwork, &info) }
        return info
    }

    /// dgesdd's workspace in doubles (its integer workspace is 8·min(rows, cols)).
    static func dgesddWorkspace(_ job: String, rows: Int, cols: Int, _ op: String) throws -> Int {
        var a = 0.0, s = 0.0, u = 0.0, vt = 0.0, work = 0.0
        var iwork: Int32 = 0
        let info = dgesdd(job, rows: rows, cols: cols, a: &a, s: &s, u: &u, vt: &vt, work: &work, lwork: -1, iwork: &iwork)
        guard info == 0 else { throw TensorError("\(op): LAPACK dgesdd workspace query failed (info \(info))") }
        return try workspace(work, op)
    }

    /// The error for a LAPACK info code after a call: > 0 is a failure to converge.
    static func failure(_ routine: String, _ info: Int32, _ op: String) -> TensorError {
        info > 0 ? TensorError("\(op): LAPACK \(routine) did not converge (info \(info))")
                 : TensorError("\(op): LAPACK \(routine) rejected argument \(-info)")
    }
}

/// Copies a row-major float matrix (rows×cols, contiguous) into a column-major double
/// one with leading dimension `ld` (products of the doubles are exact: no rounding here).
func copyColumnMajor(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Double>, ld: Int) {
    for i in 0..<rows {
        let row = src + i * cols
        for j in 0..<cols { dst[i + j * ld] = Double(row[j]) }
    }
}
