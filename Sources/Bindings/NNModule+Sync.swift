import Dist
import LuaHost
import NN

extension NNModule {
    /// nn.sync_batchnorm: BatchNorm statistics over every rank of a data-parallel job.
    static let syncFunctions: [LuaFunction] = [
        LuaFunction("sync_batchnorm", doc: """
            nn.sync_batchnorm(net) -> net, swapped
            Swaps every BatchNorm1d/BatchNorm2d layer of net for an nn.SyncBatchNorm, in place, keeping
            its parameters and running statistics: in training mode its batch mean and variance (and, in
            backward, the matching gradient sums) are summed over all ranks of dist, so K ranks × batch B
            normalise like one process × batch K·B. With one rank it computes what BatchNorm does. Eval
            mode uses the running statistics. The three BatchNorms inside an nn.ACConv2d (SFM's
            training-time block) keep their type and synchronise too (paths "….square_bn", …; a net
            read back by nn.load needs nn.sync_batchnorm again for them). Returns the net (a bare
            BatchNorm comes back swapped) and the paths made synchronous.
            Example:
              local net, paths = nn.sync_batchnorm(nn.zoo.resnet20{})   -- paths: {"bn1", "layer1.0.bn1", ...}
            """) { L in
            let net = try checkModule(L, 1)
            let r = try SyncBatchNorm.convert(net, collective: try DistModule.world(L))
            push(L, r.net)
            pushPaths(L, r.paths)
            return 2
        },
    ]
}
