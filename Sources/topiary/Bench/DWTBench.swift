import Foundation
import Kernels
import Tensor

extension BenchSuites {
    /// bench_dwt.py's cases: `dwt2/{wavelet}/{mode}` and `wavedec2_L2/{wavelet}/{mode}`
    /// for haar and db2, symmetric and periodization, on standard-normal float32 maps of
    /// (128, 64, 32, 32) and (128, 256, 8, 8); and ours only, `idwt2/…` and `waverec2_L2/…`
    /// inverting those (input shape as the forward's). gbps = input bytes / median; check = sum of
    /// |cA| of the first map (comparable with the anchors' value on the same data).
    static var dwtCases: [BenchCase] {
        var out: [BenchCase] = []
        for shape in [[128, 64, 32, 32], [128, 256, 8, 8]] {
            let bytes = Double(shape.reduce(1, *) * 4)
            for name in ["haar", "db2"] {
                for modeName in ["symmetric", "periodization"] {
                    for multi in [false, true] {
                        let caseName = (multi ? "wavedec2_L2/" : "dwt2/") + "\(name)/\(modeName)"
                        out.append(BenchCase(name: caseName, shape: shape, flops: nil) {
                            Random.manualSeed(0)
                            let x = try Tensor.randn(shape)
                            let w = try Wavelet.named(name), mode = try WaveletMode.named(modeName)
                            // level 2 of db2 on 8x8 maps exceeds pywt.dwt2_max_level: pywt warns, we need force
                            let run = { () throws -> Tensor in
                                multi ? try x.wavedec2(w, level: 2, mode: mode, force: true).approximation
                                      : try x.dwt2(w, mode: mode).ll!
                            }
                            let a = try run()
                            let first = try a.select(0, 0).select(0, 0).toFloats().reduce(0) { $0 + Double(abs($1)) }
                            benchNote(caseName, shape, "out_shape=\(a.shape) check=\(first) input_bytes=\(bytes)")
                            return { _ = try run() }
                        })
                        // the inverses (ours only; no reference case): timed on the forward's output
                        let invName = (multi ? "waverec2_L2/" : "idwt2/") + "\(name)/\(modeName)"
                        out.append(BenchCase(name: invName, shape: shape, flops: nil) {
                            Random.manualSeed(0)
                            let x = try Tensor.randn(shape)
                            let w = try Wavelet.named(name), mode = try WaveletMode.named(modeName)
                            if multi {
                                let c = try x.wavedec2(w, level: 2, mode: mode, force: true)
                                return { _ = try Tensor.waverec2(c, w, mode: mode) }
                            }
                            let b = try x.dwt2(w, mode: mode)
                            return { _ = try Tensor.idwt2(b, w, mode: mode) }
                        })
                    }
                }
            }
        }
        return out
    }
}

/// Prints a line about a case to stderr (checks that the JSON lines do not carry).
func benchNote(_ name: String, _ shape: [Int], _ text: String) {
    FileHandle.standardError.write(Data("note \(name) \(shape): \(text)\n".utf8))
}
