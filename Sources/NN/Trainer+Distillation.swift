import Tensor

/// The loss of one training step, with or without a teacher.
extension Trainer {
    /// Checks that the teacher is not (part of) the student: a module shared by both would
    /// be trained through the student while it teaches.
    func checkTeacher() throws {
        guard let teacher = distillation?.teacher else { return }
        if teacher === model { throw TensorError("fit: the teacher is the network being trained (distill from a copy: net:clone())") }
        let mine = Set(model.namedModules().map { ObjectIdentifier($0.module) })
        if let shared = teacher.namedModules().first(where: { mine.contains(ObjectIdentifier($0.module)) }) {
            let what = shared.name.isEmpty ? "is part of" : "shares its module '\(shared.name)' with"
            throw TensorError("fit: the teacher \(what) the network being trained (distill from a copy: net:clone())")
        }
    }

    /// Data-parallel distillation: every rank's teacher must be the same network (checked,
    /// one error on every rank), and its weights and buffers become rank 1's.
    func broadcastTeacher(_ dp: DataParallel) throws {
        guard let teacher = distillation?.teacher else { return }
        let t = DataParallel(model: teacher, collective: dp.collective)
        try t.checkAgreement("fit (teacher)")
        try t.broadcastState()
    }

    /// The teacher's logits for the batch `x`, or nil without distillation: an inference
    /// forward (evaluation mode, nothing cached for backward), each teacher module's mode
    /// given back afterwards.
    func teacherLogits(_ x: Tensor) throws -> Tensor? {
        guard let teacher = distillation?.teacher else { return nil }
        let restore = teacher.enterEvalMode()
        defer { restore() }
        return try GradMode.withoutGrad { try teacher.forward(x) }
    }

    /// The step's loss and its gradient with respect to the student's logits: the
    /// cross-entropy, or with a teacher the distillation loss (`Distillation.loss`).
    func stepLoss(logits: Tensor, targets: Tensor, teacherLogits: Tensor?) throws -> (loss: Double, grad: Tensor) {
        guard let d = distillation, let t = teacherLogits else {
            return try CrossEntropy.compute(logits: logits, targets: targets, labelSmoothing: labelSmoothing)
        }
        guard t.shape == logits.shape else {
            throw TensorError("fit: the teacher's logits have shape \(shapeString(t.shape)), the student's \(shapeString(logits.shape)) (the teacher must classify the same inputs into the same classes)")
        }
        return try Distillation.loss(logits: logits, teacherLogits: t, targets: targets, alpha: d.alpha,
                                     temperature: d.temperature, labelSmoothing: labelSmoothing)
    }
}
