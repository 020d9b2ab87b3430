extension Communicator {
    /// What to tell a process that runs as a world of one rank (no MPI launcher that
    /// Topiary recognises started it: no `OMPI_COMM_WORLD_SIZE` or `PMIX_RANK`) while its
    /// environment says the job has more tasks: `srun --mpi=pmi2` (PMI_SIZE) or an `srun`
    /// without an MPI plugin (SLURM_STEP_NUM_TASKS, SLURM_NTASKS) starts K processes that
    /// would each train alone, every one "rank 1 of 1". Nil when nothing says so.
    ///
    /// PMI-2 is not supported: Debian's Open MPI has no PMI-1/PMI-2 components (`ompi_info`
    /// lists only PMIx), so such a process could not join the others anyway.
    public static func launcherWarning(environment env: [String: String]) -> String? {
        for key in ["PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"] {
            guard let v = env[key], let k = Int(v), k > 1 else { continue }
            return "dist: warning: \(key)=\(k) says this job has \(k) tasks, but no MPI launcher Topiary "
                + "recognises started this process (neither OMPI_COMM_WORLD_SIZE nor PMIX_RANK is set), so it "
                + "runs as rank 1 of 1 and each task trains on its own; start the ranks with `mpirun -np \(k)` "
                + "or `srun --mpi=pmix` (Open MPI here has no PMI-2 support: `srun --mpi=pmi2` cannot connect them)"
        }
        return nil
    }
}
