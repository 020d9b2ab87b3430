import XCTest
@testable import Bindings
@testable import LuaHost

/// Every function of the tensor module (and every tensor metamethod) carries doc text:
/// a signature line naming it, a sentence, and "Example:" with Lua code.
final class TensorDocsTests: XCTestCase {
    func testEveryTensorFunctionIsDocumented() {
        let all = TensorModule.methods + TensorModule.functions + TensorModule.metamethods
        XCTAssertGreaterThan(all.count, 100)
        var names = Set<String>()
        for f in all {
            XCTAssertTrue(names.insert(f.name).inserted, "\(f.name) defined twice")
            let lines = f.doc.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertGreaterThanOrEqual(lines.count, 3, "\(f.name): doc too short: \(f.doc)")
            guard lines.count >= 3 else { continue }
            let sig = String(lines[0])
            let plain = f.name.hasPrefix("__") ? true : sig.contains(f.name + "(")
            XCTAssertTrue(plain, "\(f.name): first line should be its signature, got '\(sig)'")
            XCTAssertFalse(lines[1].isEmpty, "\(f.name): no description")
            XCTAssertTrue(lines.contains { $0.hasPrefix("Example:") }, "\(f.name): no 'Example:' line")
            XCTAssertLessThan(f.doc.count, 600, "\(f.name): keep doc text compact")
        }
    }
}
