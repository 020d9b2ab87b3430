/// A small dense row-major matrix in double, for reference computations in the tests.
struct Matrix {
    let rows: Int, cols: Int
    var values: [Double]
    init(rows: Int, cols: Int, _ values: [Double]) { self.rows = rows; self.cols = cols; self.values = values }
    subscript(i: Int, j: Int) -> Double {
        get { values[i * cols + j] }
        set { values[i * cols + j] = newValue }
    }
    var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows, values)
        for i in 0..<rows { for j in 0..<cols { t[j, i] = self[i, j] } }
        return t
    }
    static func * (a: Matrix, b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, cols: b.cols, [Double](repeating: 0, count: a.rows * b.cols))
        for i in 0..<a.rows { for l in 0..<a.cols { for j in 0..<b.cols { c[i, j] += a[i, l] * b[l, j] } } }
        return c
    }
    /// self⁻¹·rhs for a square self by Gaussian elimination with partial pivoting.
    func solve(_ rhs: Matrix) -> Matrix {
        var a = self, b = rhs
        let n = rows
        for c in 0..<n {
            let p = (c..<n).max { abs(a[$0, c]) < abs(a[$1, c]) }!
            for j in 0..<n { let t = a[c, j]; a[c, j] = a[p, j]; a[p, j] = t }
            for j in 0..<b.cols { let t = b[c, j]; b[c, j] = b[p, j]; b[p, j] = t }
            for r in (c + 1)..<n {
                let f = a[r, c] / a[c, c]
                for j in c..<n { a[r, j] -= f * a[c, j] }
                for j in 0..<b.cols { b[r, j] -= f * b[c, j] }
            }
        }
        for c in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<b.cols {
                var s = b[c, j]
                for l in (c + 1)..<n { s -= a[c, l] * b[l, j] }
                b[c, j] = s / a[c, c]
            }
        }
        return b
    }
}
