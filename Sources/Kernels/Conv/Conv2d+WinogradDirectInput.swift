import CAVX512
import Tensor

/// Winograd's input pass without the zero-bordered plane copies: where a chunk's groups of 16
/// tiles are all four runs of four side by side (32×32 and 16×16 output planes), the tiles are
/// read straight from x by masked loads (`topiary_winograd_input16_runs_direct_avx512`).
extension Conv2dKernel {
    /// Whether a chunk whose groups of 16 tiles are all four runs of four reads its tiles
    /// straight from x (`topiary_winograd_input16_runs_direct_avx512`: masked loads, the
    /// border read as 0, a backward pass's ReLU gate applied in registers; the same bits)
    /// instead of copying every input plane into a zero-bordered one first, gated by
    /// `ReLUGate.apply` in a backward pass (`topiary bench --ab direct-input`). The copies and
    /// gates were 18 % of a Taylor pass (perf, one thread).
    ///
    /// Measured (Intel Xeon family 6 model 207, `bench conv --ab direct-input`, 4 rounds, 1 |
    /// 2 threads): forward 16c32 1.22× | 1.06×, 32c16 1.04× | 1.04×, other 32×32 shapes
    /// 0.98–1.07×. For groups that are not runs (8×8 planes) one masked 8-float load a tile
    /// row was no faster than the copy (64c8, 64→45 c8: 0.95–1.01×): they keep it.
    nonisolated(unsafe) public static var winogradDirectInput = true
    /// Input passes that read straight from x (tests check it ran; a plain counter).
    nonisolated(unsafe) static var directInputPasses = 0

    /// The run table of `WinogradChunkTables.direct` for `groups` groups of 16 tiles: the
    /// first tile of run k of group q is tile 16q + 4k, its input corner at row 4·(tile row) −
    /// padH and column 4·(tile column) − padW of image (tile / perImage).
    static func directRuns(_ g: ConvGeometry, _ tl: WinogradTiling, groups: Int) -> [Int] {
        let (H, W) = (g.height, g.width), image = g.inChannels * H * W
        return (0..<(4 * groups)).flatMap { run -> [Int] in
            let t = 4 * run, j = t / tl.perImage, r = t % tl.perImage
            let row = 4 * (r / tl.tilesW) - g.padH, col = 4 * (r % tl.tilesW) - g.padW
            return [j * image + row * W + col, row, col]
        }
    }

    /// V[ξ][c][t] of `winogradInput` for a chunk whose `WinogradChunkTables.direct` table is
    /// `runs` (the same bits), the next channel's planes prefetched as there.
    static func winogradInputDirect(_ g: ConvGeometry, x: UnsafePointer<Float>, gate: UnsafePointer<Float>?, n0: Int,
                                    m: Int, v: UnsafeMutablePointer<Float>, ld: Int, pointStride vs: Int, runs: [Int],
                                    interleaved: [Bool]) {
        let C = g.inChannels, H = g.height, W = g.width
        directInputPasses &+= 1
        runs.withUnsafeBufferPointer { db in
            for c in 0..<C {
                let at = (n0 * C + c) * H * W
                var next = PrefetchStream.channelPlanes(x, channel: c + 1, of: C, plane: H * W, n0: n0, m: m, steps: ld / 8)
                var nextGate = PrefetchStream.channelPlanes(gate, channel: c + 1, of: C, plane: H * W, n0: n0, m: m,
                                                            steps: ld / 8)
                for group in 0..<(ld / 16) {
                    next.step(); next.step(); nextGate.step(); nextGate.step()
                    let lanes: Int32 = !interleaved.isEmpty && interleaved[group] ? 1 : 0
                    topiary_winograd_input16_runs_direct_avx512(x + at, gate.map { $0 + at }, db.baseAddress! + 12 * group,
                                                                H, W, v + c * ld + 16 * group, vs, lanes)
                }
            }
        }
    }
}
