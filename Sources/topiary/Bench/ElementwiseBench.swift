import Tensor

extension BenchSuites {
    /// Element-wise ops and reductions on a (128, 64, 32, 32) tensor (8.4 M floats).
    static var elementwiseCases: [BenchCase] {
        let shape = [128, 64, 32, 32]
        func make(_ name: String, _ op: @escaping (Tensor, Tensor) throws -> Tensor) -> BenchCase {
            BenchCase(name: name, shape: shape, flops: nil) {
                Random.manualSeed(0)
                let x = try Tensor.randn(shape), y = try Tensor.randn(shape)
                return { _ = try op(x, y) }
            }
        }
        return [
            make("ew_add") { x, y in try x.add(y) },
            make("ew_mul_scalar") { x, _ in try x.mul(try Tensor(scalar: 2)) },
            make("ew_relu") { x, _ in try x.unary(ReluF.self) },
            make("ew_exp") { x, _ in try x.unary(ExpF.self) },
            make("ew_sigmoid") { x, _ in try x.unary(SigmoidF.self) },
            make("ew_tanh") { x, _ in try x.unary(TanhF.self) },
            make("ew_transpose_add") { x, y in try x.transpose(2, 3).add(y) },
            make("ew_add_bcast_channel") { x, _ in try x.add(try Tensor(zeros: [64, 1, 1])) },
            make("red_sum_all") { x, _ in try x.sum() },
            make("red_mean_hw") { x, _ in try x.mean([2, 3]) },
            make("red_sum_batch") { x, _ in try x.sum([0]) },
            make("red_max_channel") { x, _ in try x.maxAlong(1).0 },
            make("red_sum_channel") { x, _ in try x.sum([1]) },
            make("red_mean_bn") { x, _ in try x.mean([0, 2, 3]) },
            make("red_var_bn") { x, _ in try x.variance([0, 2, 3]) },
            make("red_max_last") { x, _ in try x.maxAlong(3).0 },
        ]
    }
}
