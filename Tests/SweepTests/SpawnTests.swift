import Foundation
import XCTest
@testable import Sweep

/// How a task's process is started: its folder's lock handed down, a process group of its own.
final class SpawnTests: XCTestCase {
    /// The task's process holds the lock too: it stays held after the launcher has let go of
    /// its own descriptor (as when the sweep is killed), until the task's process ends.
    func testTheTaskInheritsItsFoldersLock() throws {
        let out = try temporaryFolder(self)
        let point = try Grid.expand([("k", [.int(1)])])[0]
        let folder = TaskFolder(out: out, point: point)
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let lock = try XCTUnwrap(try TaskLock(folder))
        // The child names its lock descriptor's file, then leaves a process behind that holds it.
        let code = try Spawn.run("/bin/sh", ["-c", "readlink /proc/self/fd/$TOPIARY_TASK_LOCK_FD; (sleep 2) & exit 0"],
                                 environment: ProcessInfo.processInfo.environment, output: folder.log, lock: lock.fd)
        lock.release()
        XCTAssertEqual(code, 0)
        let log = try String(contentsOfFile: folder.log, encoding: .utf8)
        XCTAssertEqual(log.trimmingCharacters(in: .whitespacesAndNewlines), (folder.path as NSString).standardizingPath + "/.lock", log)
        XCTAssertTrue(TaskLock.isHeld(folder), "the lock is held while a process that inherited it runs")
        XCTAssertNil(try TaskLock(folder), "a second launcher does not get the lock")
        let start = Date()
        while TaskLock.isHeld(folder) && Date().timeIntervalSince(start) < 10 { usleep(50_000) }
        XCTAssertFalse(TaskLock.isHeld(folder), "the lock ends with the last process that holds it")
    }

    /// A task runs in a process group of its own (named by its pid), which the sweep signals.
    func testATaskRunsInAGroupOfItsOwn() throws {
        let out = try temporaryFolder(self)
        let log = out + "/log.txt"
        let code = try Spawn.run("/bin/sh", ["-c", "echo $$; cut -d ' ' -f 5 /proc/$$/stat"], environment: [:], output: log)
        XCTAssertEqual(code, 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.first, lines.last, "pid and process group")
        XCTAssertNotEqual(lines.last.map(String.init), String(getpgrp()))
    }

    /// A task's process marks the lock's descriptor close-on-exec (the commands it starts do
    /// not hold the lock) and takes the variables out of its environment.
    func testTheTaskKeepsTheLockFromItsOwnChildren() throws {
        let out = try temporaryFolder(self)
        let fd = open(out + "/.lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThan(fd, 2)
        defer { close(fd) }
        XCTAssertEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0)
        setenv(TaskChild.lockVariable, String(fd), 1)
        TaskChild.adopt()
        XCTAssertNotEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0)
        XCTAssertNil(getenv(TaskChild.lockVariable))
    }

    /// `sweep run -j` is capped to the children the signal handler tracks.
    func testJobsAreCapped() {
        let spec = SweepSpec(file: "s.lua", notebook: "nb.lua", grid: [("k", [.int(1)])], out: "o")
        let launcher = TaskLauncher(executable: "/bin/false")
        XCTAssertEqual(LocalRunner(spec: spec, launcher: launcher, jobs: 1000).jobs, Spawn.slots)
        XCTAssertEqual(LocalRunner(spec: spec, launcher: launcher, jobs: 0).jobs, 1)
    }
}
