@testable import NN
@testable import Tensor

/// Random running statistics and affine parameters in every BatchNorm of `net`, so BN is
/// not the identity (fusion tests compare it folded against run on its own).
func randomizeBatchNorms(_ net: any Module) throws {
    for m in net.namedModules() {
        guard let bn = m.module as? BatchNorm else { continue }
        let c = bn.numFeatures
        bn.runningMean = try Tensor.randn([c])
        bn.runningVar = try Tensor.rand([c]).add(try Tensor.full([c], 0.3))
        bn.weight?.value = try Tensor.randn([c])
        bn.bias?.value = try Tensor.randn([c])
    }
}
