import CAVX512
import Tensor

/// Winograd's output pass (see Conv2d+Winograd.swift): the 4×4 tiles Aᵀ·M·A of a chunk's
/// products written into y through the convolution's output pass (`ConvEpilogue`).
extension Conv2dKernel {
    /// The 4×4 output tiles of M[ξ][k][t] into y (images n0 ..< n0 + m), clipped at the
    /// plane's bottom and right edges; 8 tiles' results are transposed so each whole tile
    /// is written as four 4-wide rows. With AVX-512, 16 tiles at a time, and groups of 16
    /// whole tiles stored by `topiary_winograd_store16_avx512` (four tiles side by side as
    /// one 16-float row), or transformed and stored at once where they are four runs of four
    /// (`topiary_winograd_output_runs16_avx512`) or four 8×8 planes
    /// (`topiary_winograd_output_planes8_avx512`).
    static func winogradOutput(_ g: ConvGeometry, _ tl: WinogradTiling, mb: UnsafePointer<Float>, ld: Int,
                               pointStride ms: Int, n0: Int, m: Int, y: UnsafeMutablePointer<Float>, tmp: UnsafeMutablePointer<Float>,
                               epilogue e: ConvEpilogue, tables: WinogradChunkTables? = nil) {
        let K = g.outChannels, OW = g.outWidth, P = g.outPlane
        let tiles = m * tl.perImage
        let (offs, shape, whole16, runs) = tables.map { ($0.outputOffs, $0.shape, $0.whole16, $0.outputRuns) }
            ?? outputGroups(g, tl, tiles: tiles)
        let interleaved = tables?.interleaved ?? []
        let tv = UnsafeMutableRawPointer(tmp)
        let res = tmp + 24 * 8   // 16 SIMD8 results (lane = tile) per output position, then 16 per tile
        let plain = e.isIdentity
        let wide = CPU.useAVX512 && wideTransforms
        // every group of 16 is four whole 8×8 planes (2×2 tiles an image; groups start at images)
        let planes8 = wide && winogradOutputPlanes8 && OW == 8 && g.outHeight == 8
        if planes8 && tiles >= 16 { planes8Passes &+= 1 }
        offs.withUnsafeBufferPointer { ob in
            let corner = ob.baseAddress!
            for k in 0..<K {
                let yk = y + n0 * K * P + k * P
                let pass = ConvEpilogue.Channel(e, k)
                // The next channel's planes (one per image), owned before its tiles are stored.
                let steps = (tiles + 7) / 8
                var next = PrefetchStream.channelPlanes(y, channel: k + 1, of: K, plane: P, n0: n0, m: m, steps: steps,
                                                        write: true)
                // and its residual planes, read by the output pass (a block's shortcut is not in
                // cache: it was written a layer or two before), and its gate planes (a backward
                // pass's ReLU output from the forward)
                var nextResidual = PrefetchStream.channelPlanes(e.residual, channel: k + 1, of: K, plane: P, n0: n0, m: m,
                                                                steps: steps)
                var nextGate = PrefetchStream.channelPlanes(e.gate, channel: k + 1, of: K, plane: P, n0: n0, m: m, steps: steps)
                let flags = (pass.hasB ? 1 : 0) | (pass.hasA ? 2 : 0) | (pass.hasS ? 4 : 0) | (pass.relu ? 8 : 0)
                let residualK = e.residual.map { $0 + (yk - y) }, gateK = e.gate.map { $0 + (yk - y) }
                var t0 = 0
                while t0 < tiles {
                    // this group's tiles: tile l's rows 0, 1 at rows + l·tileBytes, 2, 3 halfBytes after
                    let group: Int, rows: UnsafeRawPointer, tileBytes: Int, halfBytes: Int
                    if wide && t0 + 16 <= tiles {   // 16 tiles at a time, one 512-bit lane each (the same bits)
                        next.step(); next.step()
                        nextResidual.step(); nextResidual.step()
                        nextGate.step(); nextGate.step()
                        if !runs.isEmpty && runs[t0 >> 4] {
                            let lanes: Int32 = !interleaved.isEmpty && interleaved[t0 >> 4] ? 1 : 0
                            topiary_winograd_output_runs16_avx512(mb + k * ld + t0, ms, yk, corner + t0, OW, residualK,
                                                                  gateK, Int32(flags), pass.b, pass.a, pass.t, lanes)
                            t0 += 16
                            continue
                        }
                        if planes8 {
                            topiary_winograd_output_planes8_avx512(mb + k * ld + t0, ms, yk, corner + t0, residualK, gateK,
                                                                   Int32(flags), pass.b, pass.a, pass.t)
                            t0 += 16
                            continue
                        }
                        topiary_winograd_output16_avx512(mb + k * ld + t0, ms, tmp)
                        if whole16[t0 >> 4] {
                            topiary_winograd_store16_avx512(tmp, yk, corner + t0, OW, residualK, gateK, Int32(flags), pass.b, pass.a,
                                                            pass.t)
                            t0 += 16
                            continue
                        }
                        (group, rows, tileBytes, halfBytes) = (16, UnsafeRawPointer(tmp), 64, 32)
                    } else {
                        next.step()
                        nextResidual.step()
                        nextGate.step()
                        // columns: Aᵀ·M, into tmp[a][j]
                        for j in 0..<6 {
                            @inline(__always) func m8(_ i: Int) -> SIMD8<Float> {
                                UnsafeRawPointer(mb + (i * 6 + j) * ms + k * ld + t0).load(as: SIMD8<Float>.self)
                            }
                            let r = Winograd.output(m8(0), m8(1), m8(2), m8(3), m8(4), m8(5))
                            tv.storeBytes(of: r.0, toByteOffset: (0 * 6 + j) * 32, as: SIMD8<Float>.self)
                            tv.storeBytes(of: r.1, toByteOffset: (1 * 6 + j) * 32, as: SIMD8<Float>.self)
                            tv.storeBytes(of: r.2, toByteOffset: (2 * 6 + j) * 32, as: SIMD8<Float>.self)
                            tv.storeBytes(of: r.3, toByteOffset: (3 * 6 + j) * 32, as: SIMD8<Float>.self)
                        }
                        // rows: (Aᵀ·M)·A, into res[4a + b]
                        for a in 0..<4 {
                            @inline(__always) func ld8(_ j: Int) -> SIMD8<Float> {
                                tv.load(fromByteOffset: (a * 6 + j) * 32, as: SIMD8<Float>.self)
                            }
                            let r = Winograd.output(ld8(0), ld8(1), ld8(2), ld8(3), ld8(4), ld8(5))
                            let out = UnsafeMutableRawPointer(res + a * 4 * 8)
                            out.storeBytes(of: r.0, as: SIMD8<Float>.self)
                            out.storeBytes(of: r.1, toByteOffset: 32, as: SIMD8<Float>.self)
                            out.storeBytes(of: r.2, toByteOffset: 64, as: SIMD8<Float>.self)
                            out.storeBytes(of: r.3, toByteOffset: 96, as: SIMD8<Float>.self)
                        }
                        // one vector per tile holding its rows a, a + 1: tiles[8·(a / 2) + l][4·(a % 2) + b]
                        let rv = UnsafeMutableRawPointer(res), tl8 = rv + 16 * 32
                        for half in 0..<2 {
                            @inline(__always) func r(_ i: Int) -> SIMD8<Float> {
                                rv.load(fromByteOffset: (half * 8 + i) * 32, as: SIMD8<Float>.self)
                            }
                            Transpose8x8.transpose(r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7), into: tl8 + half * 8 * 32, columns: 8)
                        }
                        (group, rows, tileBytes, halfBytes) = (min(8, tiles - t0), UnsafeRawPointer(tl8), 32, 8 * 32)
                    }
                    for l in 0..<group {
                        let dst = yk + offs[t0 + l], r01 = rows + l * tileBytes, r23 = r01 + halfBytes
                        if shape[t0 + l] == 4 * 8 + 4 {
                            let a01 = r01.loadUnaligned(as: SIMD8<Float>.self), a23 = r23.loadUnaligned(as: SIMD8<Float>.self)
                            if plain {
                                UnsafeMutableRawPointer(dst).storeBytes(of: a01.lowHalf, as: SIMD4<Float>.self)
                                UnsafeMutableRawPointer(dst + OW).storeBytes(of: a01.highHalf, as: SIMD4<Float>.self)
                                UnsafeMutableRawPointer(dst + 2 * OW).storeBytes(of: a23.lowHalf, as: SIMD4<Float>.self)
                                UnsafeMutableRawPointer(dst + 3 * OW).storeBytes(of: a23.highHalf, as: SIMD4<Float>.self)
                            } else {
                                let at = dst - y
                                pass.store(a01.lowHalf, to: dst, at: at)
                                pass.store(a01.highHalf, to: dst + OW, at: at + OW)
                                pass.store(a23.lowHalf, to: dst + 2 * OW, at: at + 2 * OW)
                                pass.store(a23.highHalf, to: dst + 3 * OW, at: at + 3 * OW)
                            }
                        } else {
                            winogradStorePartialTile(dst, shape: shape[t0 + l], r01, r23, rowStride: OW, plain: plain, epilogue: e,
                                                     channel: k, y: y)
                        }
                    }
                    t0 += group == 16 ? 16 : 8
                }
            }
        }
    }

    /// The output pass's tables for a chunk of `tiles` tiles: each tile's corner in an image's
    /// channel plane (+ image · K · P), its shape (rows · 8 + columns kept at the plane's
    /// bottom and right edges), and with the wide transforms, for each group of 16, whether
    /// its tiles are all whole (`whole16`: stored by `topiary_winograd_store16_avx512`, rows of
    /// four tiles side by side as 16-float vectors) and whether they are also four runs of
    /// four (`runs`: transformed and stored at once).
    static func outputGroups(_ g: ConvGeometry, _ tl: WinogradTiling, tiles: Int)
        -> (offs: [Int], shape: [Int], whole16: [Bool], runs: [Bool]) {
        let OH = g.outHeight, OW = g.outWidth
        let offs = tl.corners(tiles: tiles, count: tiles, plane: g.outChannels * g.outPlane, rowStride: OW)
        var shape = [Int](repeating: 0, count: tiles)
        for t in 0..<tiles {
            let r = t % tl.perImage
            shape[t] = min(4, OH - 4 * (r / tl.tilesW)) * 8 + min(4, OW - 4 * (r % tl.tilesW))
        }
        let wide = CPU.useAVX512 && wideTransforms
        let whole16 = wide ? (0..<(tiles / 16)).map { q in shape[(16 * q)..<(16 * q + 16)].allSatisfy { $0 == 4 * 8 + 4 } } : []
        let runs = wide && winogradOutputRuns ? zip(fourRuns(offs, tiles), whole16).map { $0 && $1 } : []
        return (offs, shape, whole16, runs)
    }

    /// A tile clipped at the plane's edge into y at `dst` through the output pass: rows 0, 1
    /// (8 floats at r01) and 2, 3 (at r23), `sh` = rows · 8 + columns kept.
    static func winogradStorePartialTile(_ dst: UnsafeMutablePointer<Float>, shape sh: Int, _ r01: UnsafeRawPointer,
                                         _ r23: UnsafeRawPointer, rowStride OW: Int, plain: Bool,
                                         epilogue e: ConvEpilogue, channel k: Int, y: UnsafeMutablePointer<Float>) {
        for a in 0..<(sh >> 3) {
            let src = (a < 2 ? r01 : r23).assumingMemoryBound(to: Float.self) + (a & 1) * 4, row = dst + a * OW
            if plain {
                for b in 0..<(sh & 7) { row[b] = src[b] }
            } else {   // from the tile straight into y: each residual value read before its place is written
                e.apply(src, to: row, count: sh & 7, channel: k, at: row - y)
            }
        }
    }
}
