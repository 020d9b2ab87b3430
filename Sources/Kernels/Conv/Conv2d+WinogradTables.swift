import Tensor

/// The tile tables of Winograd's passes (see Conv2d+Winograd.swift): where each tile of a
/// chunk starts, and which groups of 16 tiles the wide kernels take as four runs of four.
extension Conv2dKernel {
    /// The input pass's tile corners in a chunk of `m` images' zero-bordered planes (`ld`
    /// entries) and, with the wide transforms, which groups of 16 it takes as four runs.
    static func inputGroups(_ tl: WinogradTiling, m: Int, ld: Int) -> (offs: [Int], runs: [Bool]) {
        let offs = tl.corners(tiles: m * tl.perImage, count: ld, plane: tl.hp * tl.wp, rowStride: tl.wp)
        let wide = CPU.useAVX512 && wideTransforms
        return (offs, wide && winogradInputRuns ? fourRuns(offs, ld) : [])
    }

    /// The tile tables of a forward chunk of `m` images (`ld` columns): the input and output
    /// passes' (`inputGroups`, `outputGroups`), and for each group of 16 tiles whether both
    /// passes take it as four runs of four, so its lanes go in the interleaved order
    /// (`interleavedRuns`; only with `interleave`, i.e. our own products). A chunk size's
    /// tables are made once per pass and thread, not per chunk.
    struct WinogradChunkTables {
        let m: Int
        let inputOffs: [Int], inputRuns: [Bool]
        let outputOffs: [Int], shape: [Int], whole16: [Bool], outputRuns: [Bool]
        let interleaved: [Bool]
        /// Where every group is four runs (`winogradDirectInput`): for run k of group q, the
        /// offset of its first tile's input corner from image n0's plane of a channel, its row
        /// and its column (12 entries a group, `topiary_winograd_input16_runs_direct_avx512`);
        /// empty where the planes are copied.
        let direct: [Int]
        /// `outputs: false` (∂L/∂w, which has no output pass) makes the input tables only.
        init(_ g: ConvGeometry, _ tl: WinogradTiling, m: Int, ld: Int, interleave: Bool, outputs: Bool = true) {
            self.m = m
            (inputOffs, inputRuns) = Conv2dKernel.inputGroups(tl, m: m, ld: ld)
            (outputOffs, shape, whole16, outputRuns) = outputs
                ? Conv2dKernel.outputGroups(g, tl, tiles: m * tl.perImage) : ([], [], [], [])
            let (input, output) = (inputRuns, outputRuns)
            interleaved = interleave && interleavedRuns && !input.isEmpty && !output.isEmpty
                ? output.indices.map { $0 < input.count && input[$0] && output[$0] } : []
            direct = winogradDirectInput && 16 * input.count == ld && input.allSatisfy { $0 }
                ? Conv2dKernel.directRuns(g, tl, groups: input.count) : []
        }
    }

    /// For each whole group of 16 tiles in `offs` (tile corners, `ld` of them), whether
    /// it is four runs of four tiles side by side (offs[4k + t] = offs[4k] + 4t), the
    /// layout `topiary_winograd_input16_runs_avx512` takes.
    static func fourRuns(_ offs: [Int], _ ld: Int) -> [Bool] {
        (0..<(ld / 16)).map { group in
            (0..<4).allSatisfy { k in
                let first = offs[16 * group + 4 * k]
                return (1..<4).allSatisfy { offs[16 * group + 4 * k + $0] == first + 4 * $0 }
            }
        }
    }
}
