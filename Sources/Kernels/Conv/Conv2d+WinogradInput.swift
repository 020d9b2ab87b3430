import Foundation
import CAVX512
import Tensor

/// Winograd's input pass (see Conv2d+Winograd.swift): a chunk's images into the transformed
/// tiles V[ξ][c][t], copied through zero-bordered planes (the direct read from x is
/// Conv2d+WinogradDirectInput.swift).
extension Conv2dKernel {
    /// V[ξ][c][t] for the tiles t of images n0 ..< n0 + m (t = image·perImage + row·tilesW
    /// + column; lanes past the last tile read the plane's corner and are never used), of x
    /// gated by `gate` when given (`ReLUGate`, as the planes are copied).
    /// Each tile row is read as one 8-wide vector (2 columns past the tile, into the next
    /// row or the pad buffer's slack) and 8 tiles' rows are transposed into one vector per
    /// tile position: 24 shuffles per row instead of 48 single-float inserts. The rows are
    /// transformed straight from the transpose's registers (V = Bᵀ·(d·B)), so only one
    /// intermediate 6×6 block goes through memory: 36 stores and loads fewer per 8 tiles
    /// (Zen 1, pruned ResNet-56 inference at one thread: this pass 23 → 22 % of the time,
    /// within noise overall). Tried and dropped: 128-bit loads of two tiles' rows into one
    /// vector and in-lane 4×4 transposes instead of the 8×8 one (no vperm2f128), here and
    /// in the output pass: 4 % slower on Zen 1.
    static func winogradInput(_ g: ConvGeometry, _ tl: WinogradTiling, x: UnsafePointer<Float>,
                              gate: UnsafePointer<Float>? = nil, n0: Int, m: Int,
                              pad: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, ld: Int,
                              pointStride vs: Int, tmp: UnsafeMutablePointer<Float>, tables: WinogradChunkTables? = nil) {
        let C = g.inChannels, H = g.height, W = g.width, wp = tl.wp, plane = tl.hp * tl.wp
        let (offs, runs) = tables.map { ($0.inputOffs, $0.inputRuns) } ?? inputGroups(tl, m: m, ld: ld)
        let interleaved = tables?.interleaved ?? []
        let wide = CPU.useAVX512 && wideTransforms
        let tv = UnsafeMutableRawPointer(tmp)
        if wide, let direct = tables?.direct, !direct.isEmpty {
            winogradInputDirect(g, x: x, gate: gate, n0: n0, m: m, v: v, ld: ld, pointStride: vs, runs: direct,
                                interleaved: interleaved)
            return
        }
        offs.withUnsafeBufferPointer { ob in
            let o = ob.baseAddress!
            for c in 0..<C {
                for j in 0..<m {
                    let at = ((n0 + j) * C + c) * H * W, src = x + at, dst = pad + j * plane + g.padH * wp + g.padW
                    if let gate {
                        for r in 0..<H { ReLUGate.apply(src + r * W, gate: gate + at + r * W, count: W, into: dst + r * wp) }
                    } else {
                        for r in 0..<H { copyRow(src + r * W, to: dst + r * wp, count: W) }
                    }
                }
                // The next channel's planes (one per image), over this channel's tiles.
                var next = PrefetchStream.channelPlanes(x, channel: c + 1, of: C, plane: H * W, n0: n0, m: m, steps: ld / 8)
                var nextGate = PrefetchStream.channelPlanes(gate, channel: c + 1, of: C, plane: H * W, n0: n0, m: m,
                                                            steps: ld / 8)
                var t0 = 0
                if wide {   // 16 tiles at a time, one 512-bit lane each (the same bits)
                    while t0 + 16 <= ld {
                        next.step(); next.step(); nextGate.step(); nextGate.step()
                        if !runs.isEmpty && runs[t0 / 16] {
                            let lanes: Int32 = !interleaved.isEmpty && interleaved[t0 / 16] ? 1 : 0
                            topiary_winograd_input16_runs_avx512(pad, o + t0, wp, v + c * ld + t0, vs, lanes)
                        } else {
                            topiary_winograd_input16_avx512(pad, o + t0, wp, v + c * ld + t0, vs)
                        }
                        t0 += 16
                    }
                }
                while t0 < ld {
                    next.step(); nextGate.step()
                    let p0 = pad + o[t0], p1 = pad + o[t0 + 1], p2 = pad + o[t0 + 2], p3 = pad + o[t0 + 3]
                    let p4 = pad + o[t0 + 4], p5 = pad + o[t0 + 5], p6 = pad + o[t0 + 6], p7 = pad + o[t0 + 7]
                    // each row r of the 8 tiles (8 columns read, 6 used) turned into one vector
                    // per column and transformed at once: (d·B)[r][j] at tv[6r + j]
                    for r in 0..<6 {
                        @inline(__always) func row(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
                            UnsafeRawPointer(p + r * wp).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        let d = Transpose8x8.transposed(row(p0), row(p1), row(p2), row(p3), row(p4), row(p5), row(p6), row(p7))
                        let q = Winograd.input(d.0, d.1, d.2, d.3, d.4, d.5)
                        Winograd.store(q, at: tv + r * 6 * 32, stride: 32)
                    }
                    // columns: Bᵀ·(d·B), into V[6i + j][c][t0 ..< t0 + 8]
                    for j in 0..<6 {
                        @inline(__always) func ld8(_ r: Int) -> SIMD8<Float> {
                            tv.load(fromByteOffset: (r * 6 + j) * 32, as: SIMD8<Float>.self)
                        }
                        let q = Winograd.input(ld8(0), ld8(1), ld8(2), ld8(3), ld8(4), ld8(5))
                        let out = UnsafeMutableRawPointer(v + j * vs + c * ld + t0), step = 6 * vs * 4
                        Winograd.store(q, at: out, stride: step)
                    }
                    t0 += 8
                }
            }
        }
    }
}
