import CEdit
import CLuaShim
import Foundation

/// Line editing for the REPL on a terminal, through libedit's readline interface:
/// history (kept in a file), Tab completion, and Ctrl-C at the prompt, which discards
/// the line instead of ending the program.
///
/// Ctrl-C is caught by Topiary's SIGINT handler (`topiary_catch_sigint`): libedit's own
/// signal handling is off, and our getc function finds the interrupt flag set and ends
/// the line.
final class LineEditor {
    enum Input { case line(String), interrupted, endOfFile }

    let historyPath: String?
    /// Completions (bare names) for the text before the cursor.
    nonisolated(unsafe) static var completer: (String) -> [String] = { _ in [] }
    nonisolated(unsafe) static var matches: [String] = []
    private var lastEntry: String?

    init(historyPath: String?) {
        self.historyPath = historyPath
        rl_readline_name = UnsafePointer(strdup("topiary"))
        rl_catch_signals = 0
        rl_getc_function = editorGetc
        rl_attempted_completion_function = editorComplete
        rl_basic_word_break_characters = UnsafePointer(strdup(" \t\n\"\\'`@$><=;|&{(.:[,+-*/%^#~)]}"))
        rl_completion_append_character = 0
        rl_initialize()
        using_history()
        stifle_history(2000)
        if let p = historyPath { _ = read_history(p) }
    }

    /// Reads one line with `prompt` shown.
    func read(prompt: String) -> Input {
        if topiary_interrupt_pending() != 0 { topiary_clear_interrupt() }
        let raw = readline(prompt)
        if topiary_interrupt_pending() != 0 {
            topiary_clear_interrupt()
            free(raw)
            fputs("\n", stdout)
            return .interrupted
        }
        guard let raw else { return .endOfFile }
        defer { free(raw) }
        return .line(String(cString: raw))
    }

    /// Adds a complete input (one or several lines) to the history and saves the file.
    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, entry != lastEntry else { return }
        lastEntry = entry
        _ = add_history(entry)
        if let p = historyPath { _ = write_history(p) }
    }

    /// `$TOPIARY_HISTORY` if set (empty: no history file), else `~/.topiary_history`.
    static func defaultHistoryPath() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let p = env["TOPIARY_HISTORY"] { return p.isEmpty ? nil : p }
        guard let home = env["HOME"], !home.isEmpty else { return nil }
        return home + "/.topiary_history"
    }
}

/// Reads one byte of input. SIGINT is blocked except while waiting in pselect, so a
/// Ctrl-C arriving just before the wait is seen by the flag check instead of being lost;
/// with Ctrl-C pending the line ends.
private let editorGetc: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = { _ in
    var block = sigset_t(), old = sigset_t()
    sigemptyset(&block)
    sigaddset(&block, SIGINT)
    pthread_sigmask(SIG_BLOCK, &block, &old)
    defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
    var c: UInt8 = 0
    while true {
        if topiary_interrupt_pending() != 0 { return -1 }
        var fds = fd_set()
        withUnsafeMutableBytes(of: &fds) { $0[0] = 1 }   // FD_SET(0)
        if pselect(1, &fds, nil, nil, nil, &old) < 0 {
            if errno == EINTR { continue }
            return -1
        }
        let n = Glibc.read(0, &c, 1)
        if n == 1 { return Int32(c) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
        return -1
    }
}

/// libedit's completion hook: candidates for the word before the cursor.
private let editorComplete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, end in
    rl_attempted_completion_over = 1
    guard let text, let buffer = rl_line_buffer else { return nil }
    let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(max(0, end)))
    let before = String(decoding: bytes, as: UTF8.self)
    LineEditor.matches = LineEditor.completer(before)
    guard !LineEditor.matches.isEmpty else { return nil }
    return rl_completion_matches(text, editorMatch)
}

nonisolated(unsafe) private var matchCursor = 0

/// The generator rl_completion_matches calls: the i-th candidate (malloc'ed), then nil.
private let editorMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { matchCursor = 0 }
    guard matchCursor < LineEditor.matches.count else { return nil }
    defer { matchCursor += 1 }
    return strdup(LineEditor.matches[matchCursor])
}
