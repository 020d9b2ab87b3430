import Foundation

/// The processes this one started, directly or through them (a shell and its commands),
/// found in /proc. Used to stop a notebook cell that waits on a child past its timeout.
enum ChildProcesses {
    /// The process ids descending from `root` (this process by default), children first.
    static func descendants(of root: pid_t = getpid()) -> [pid_t] {
        var parent: [pid_t: pid_t] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), let ppid = parentID(pid) else { continue }
            parent[pid] = ppid
        }
        var out: [pid_t] = []
        var frontier: Set<pid_t> = [root]
        while !frontier.isEmpty {
            let next = parent.filter { frontier.contains($0.value) }.map(\.key).sorted()
            out += next
            frontier = Set(next)
            for p in next { parent[p] = nil }
        }
        return out
    }

    /// Sends SIGKILL to every descendant of this process.
    static func killDescendants() {
        for pid in descendants() { kill(pid, SIGKILL) }
    }

    /// The parent id from /proc/PID/stat (`pid (comm) state ppid …`; comm may hold spaces
    /// and parentheses, so the fields are read after the last ')').
    static func parentID(_ pid: pid_t) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
