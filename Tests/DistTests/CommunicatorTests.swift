import XCTest
@testable import Dist
import NN
import Tensor

/// Without mpirun the world is one rank and no MPI call is made: reductions are the
/// identity (mean divides by 1), broadcast accepts only root 0. The multi-rank behaviour
/// is tested under mpirun by Tests/Dist/mpi_test.sh.
final class CommunicatorTests: XCTestCase {
    func testOneRankWorldWithoutMPI() throws {
        try XCTSkipIf(Communicator.launchedByMPI, "running under mpirun")
        let w = try Communicator.world()
        XCTAssertEqual(w.rank, 0)
        XCTAssertEqual(w.size, 1)
        XCTAssertFalse(w.usesMPI)
        XCTAssertTrue(try Communicator.world() === w)
        let t = try Tensor(shape: [2, 2], values: [1, -2, 3, 4])
        for op in ReduceOp.allCases {
            try w.allreduce(t, op: op)
            XCTAssertEqual(t.toArray(), [1, -2, 3, 4], op.rawValue)
        }
        let view = try t.transpose(0, 1)
        try w.broadcast(view, root: 0)
        XCTAssertEqual(t.toArray(), [1, -2, 3, 4])
        XCTAssertThrowsError(try w.broadcast(t, root: 1)) { e in
            XCTAssertTrue("\(e)".contains("root rank 2 out of range (1 rank)"), "\(e)")
        }
        XCTAssertEqual(try w.allgather([3, 4]), [3, 4])
        XCTAssertEqual(try w.broadcast(bytes: [1, 2, 3], root: 0), [1, 2, 3])
        try w.barrier()
    }

    /// srun --mpi=pmi2 (PMI_SIZE) or an srun without an MPI plugin (Slurm's task counts)
    /// starts K one-rank copies: each is told; a job of one task, or mpirun's, is not.
    func testLauncherOfSeveralTasksWithoutMPIWarns() {
        let pmi = Communicator.launcherWarning(environment: ["PMI_SIZE": "4", "PMI_RANK": "2", "SLURM_NTASKS": "4"])
        XCTAssertTrue(pmi?.hasPrefix("dist: warning: PMI_SIZE=4 says this job has 4 tasks") ?? false, pmi ?? "nil")
        XCTAssertTrue(pmi?.contains("srun --mpi=pmix") ?? false)
        let slurm = Communicator.launcherWarning(environment: ["SLURM_STEP_NUM_TASKS": "2"])
        XCTAssertTrue(slurm?.contains("SLURM_STEP_NUM_TASKS=2") ?? false, slurm ?? "nil")
        XCTAssertNil(Communicator.launcherWarning(environment: ["SLURM_NTASKS": "1", "PMI_SIZE": "1"]))
        XCTAssertNil(Communicator.launcherWarning(environment: [:]))
    }
}
