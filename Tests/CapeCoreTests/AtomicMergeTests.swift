import Glibc
import Testing
@testable import CapeCore

@Suite("merging atomic updates")
struct AtomicMergeTests {
    @Test("additions from several ranks add up from the value before, modulo the width")
    func additionsWrap() throws {
        let r0 = [AtomicRecord(address: 0x1000, width: 1, op: .add, operand: 200, before: 100)]
        let r1 = [AtomicRecord(address: 0x1000, width: 1, op: .add, operand: 0xFF, before: 100)] // one decrement
        let m = try AtomicMerge.merge([r0, r1])
        #expect(m == [AtomicMerge.Result(address: 0x1000, width: 1, value: (100 + 200 + 255) & 0xFF)])
    }

    @Test("the value before comes from the lowest rank that updated the address")
    func beforeFromLowestRank() throws {
        let r1 = [AtomicRecord(address: 8, width: 8, op: .add, operand: 5, before: 1000)]
        let r2 = [AtomicRecord(address: 8, width: 8, op: .add, operand: 7, before: 1234)]
        #expect(try AtomicMerge.merge([[], r1, r2]) == [AtomicMerge.Result(address: 8, width: 8, value: 1012)])
    }

    @Test("and, or and xor fold in rank order, and different ranks may use different operators")
    func bitwise() throws {
        let r0 = [AtomicRecord(address: 16, width: 4, op: .or, operand: 0xF0, before: 0x0F),
                  AtomicRecord(address: 24, width: 4, op: .xor, operand: 0xFF, before: 0x0F)]
        let r1 = [AtomicRecord(address: 16, width: 4, op: .and, operand: 0x3C, before: 0x0F),
                  AtomicRecord(address: 24, width: 4, op: .xor, operand: 0x01, before: 0x0F)]
        let m = try AtomicMerge.merge([r0, r1])
        #expect(m == [AtomicMerge.Result(address: 16, width: 4, value: (0x0F | 0xF0) & 0x3C),
                      AtomicMerge.Result(address: 24, width: 4, value: 0x0F ^ 0xFF ^ 0x01)])
    }

    @Test("products fold modulo the width, in rank order from the value before")
    func products() throws {
        let r0 = [AtomicRecord(address: 48, width: 1, op: .mul, operand: 243, before: 7)] // 3^5
        let r1 = [AtomicRecord(address: 48, width: 1, op: .mul, operand: 27, before: 99)] // 3^3
        #expect(try AtomicMerge.merge([r0, r1]) == [AtomicMerge.Result(address: 48, width: 1, value: (7 * 6561) & 0xFF)])
    }

    @Test("min and max fold to the extreme value, signed or unsigned at the width, from the value before")
    func extremes() throws {
        // signed bytes: 0xF0 is -16, below the value before (5); 0x7F is the largest
        let r0 = [AtomicRecord(address: 32, width: 1, op: .smax, operand: 0xF0, before: 5),
                  AtomicRecord(address: 33, width: 1, op: .smin, operand: 0x10, before: 5),
                  AtomicRecord(address: 36, width: 4, op: .umax, operand: 7, before: 9),
                  AtomicRecord(address: 40, width: 8, op: .umin, operand: 3, before: 9)]
        let r1 = [AtomicRecord(address: 32, width: 1, op: .smax, operand: 0x7F, before: 5),
                  AtomicRecord(address: 33, width: 1, op: .smin, operand: 0xF0, before: 5),
                  AtomicRecord(address: 36, width: 4, op: .umax, operand: 0xFFFF_FFF0, before: 9),
                  AtomicRecord(address: 40, width: 8, op: .umin, operand: 1, before: 9)]
        let m = try AtomicMerge.merge([r0, r1])
        #expect(m == [AtomicMerge.Result(address: 32, width: 1, value: 0x7F),
                      AtomicMerge.Result(address: 33, width: 1, value: 0xF0),
                      AtomicMerge.Result(address: 36, width: 4, value: 0xFFFF_FFF0),
                      AtomicMerge.Result(address: 40, width: 8, value: 1)])
        // a max that no update exceeds leaves the value before (-3 as a signed int)
        let keep = [AtomicRecord(address: 48, width: 4, op: .smax, operand: 0xFFFF_FFF0, before: 0xFFFF_FFFD)]
        #expect(try AtomicMerge.merge([keep]) == [AtomicMerge.Result(address: 48, width: 4, value: 0xFFFF_FFFD)])
    }

    @Test("floating-point max and min replay as maxsd and minsd do: the second operand when the comparison is false (NaN, equal zeros)")
    func floatingExtremes() throws {
        let d = { (x: Double) in x.bitPattern }
        let r0 = [AtomicRecord(address: 80, width: 8, op: .logged, operand: 0, before: d(1), steps: [.init(.max, d(5)), .init(.max, d(3))])]
        let r1 = [AtomicRecord(address: 80, width: 8, op: .logged, operand: 0, before: d(1), steps: [.init(.min, d(4))])]
        #expect(try AtomicMerge.merge([r0, r1]) == [AtomicMerge.Result(address: 80, width: 8, value: d(4))])
        // max(x, NaN) is NaN and max(NaN, 2) is 2, as the instruction gives; max(+0, -0) is -0
        let n = [AtomicRecord(address: 88, width: 8, op: .logged, operand: 0, before: d(7), steps: [.init(.max, d(.nan))]),
                 AtomicRecord(address: 96, width: 8, op: .logged, operand: 0, before: d(.nan), steps: [.init(.max, d(2))]),
                 AtomicRecord(address: 104, width: 8, op: .logged, operand: 0, before: d(0), steps: [.init(.max, d(-0.0))])]
        let m = try AtomicMerge.merge([n])
        #expect(Double(bitPattern: m[0].value).isNaN)
        #expect(m[1].value == d(2))
        #expect(m[2].value == d(-0.0))
        // e first (vmaxsd x, e): max(7, NaN) keeps 7, max(+0, -0) keeps +0
        let e = [AtomicRecord(address: 112, width: 8, op: .logged, operand: 0, before: d(7), steps: [.init(.maxEFirst, d(.nan))]),
                 AtomicRecord(address: 120, width: 8, op: .logged, operand: 0, before: d(0), steps: [.init(.maxEFirst, d(-0.0))])]
        #expect(try AtomicMerge.merge([e]) == [AtomicMerge.Result(address: 112, width: 8, value: d(7)),
                                              AtomicMerge.Result(address: 120, width: 8, value: d(0))])
    }

    @Test("floating-point updates replay one at a time in rank order, which rounds as the serial order does and not as a folded sum")
    func floatingSerialOrder() throws {
        // 1e8 has a float spacing of 8: each + 4 is a tie that rounds back to 1e8, while the sum of
        // the deltas (8) would move it.
        let four = UInt64(Float(4).bitPattern)
        let before = UInt64(Float(1e8).bitPattern)
        let r0 = [AtomicRecord(address: 64, width: 4, op: .logged, operand: 0, before: before, steps: [.init(.add, four)])]
        let r1 = [AtomicRecord(address: 64, width: 4, op: .logged, operand: 0, before: before, steps: [.init(.add, four)])]
        let m = try AtomicMerge.merge([r0, r1])
        #expect(m == [AtomicMerge.Result(address: 64, width: 4, value: before)])
        #expect(Float(1e8) + 8 != Float(1e8))
        // double: rank 0's operations, then rank 1's, each in its order: ((1 * 3) + 1) / 4 - 0.5
        let d = { (x: Double) in x.bitPattern }
        let q0 = [AtomicRecord(address: 72, width: 8, op: .logged, operand: 0, before: d(1), steps: [.init(.mul, d(3))])]
        let q1 = [AtomicRecord(address: 72, width: 8, op: .logged, operand: 0, before: d(1000),
                               steps: [.init(.add, d(1)), .init(.div, d(4)), .init(.sub, d(0.5))])]
        #expect(try AtomicMerge.merge([q0, q1]) == [AtomicMerge.Result(address: 72, width: 8, value: d(0.5))])
    }

    @Test("a floating-point log and an integer fold of one address are refused")
    func loggedAndFolded() {
        let r0 = [AtomicRecord(address: 80, width: 4, op: .logged, operand: 0, before: 0, steps: [.init(.add, 1)])]
        let r1 = [AtomicRecord(address: 80, width: 4, op: .add, operand: 1, before: 0)]
        #expect(throws: AtomicMerge.Failure.severalClasses(address: 80, rank: 1)) { try AtomicMerge.merge([r0, r1]) }
    }

    @Test("log entries read back from their C layout onto the records they name")
    func parseLog() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 8)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 48)
        for (i, (op, operand, record)) in [(UInt8(10), UInt64(5), UInt32(1)), (13, 6, 1), (10, 7, 0)].enumerated() {
            p.storeBytes(of: operand, toByteOffset: 16 * i, as: UInt64.self)
            p.storeBytes(of: record, toByteOffset: 16 * i + 8, as: UInt32.self)
            p.storeBytes(of: op, toByteOffset: 16 * i + 12, as: UInt8.self)
        }
        var records = [AtomicRecord(address: 8, width: 8, op: .add, operand: 1, before: 0),
                       AtomicRecord(address: 16, width: 8, op: .logged, operand: 0, before: 0)]
        AtomicRecord.parseLog(p, bytes: 48, into: &records)
        #expect(records[1].steps == [.init(.add, 5), .init(.div, 6)])
        #expect(records[0].severalClasses && records[0].steps.isEmpty) // a log entry for a folded record
    }

    @Test("an address a rank updated with several operator classes is refused, naming the rank")
    func severalClasses() {
        let r1 = [AtomicRecord(address: 32, width: 4, op: .add, operand: 1, before: 0, severalClasses: true)]
        #expect(throws: AtomicMerge.Failure.severalClasses(address: 32, rank: 1)) { try AtomicMerge.merge([[], r1]) }
    }

    @Test("local updates of an address that a team-wide atomic also wrote are refused; a team-wide write alone is not")
    func serialAndLocal() throws {
        let serialOnly = [AtomicRecord(address: 40, width: 8, op: nil, operand: 0, before: 3, touchedSerially: true)]
        #expect(try AtomicMerge.merge([serialOnly]).isEmpty)
        let local = [AtomicRecord(address: 40, width: 8, op: .add, operand: 1, before: 3)]
        #expect(throws: AtomicMerge.Failure.serialAndLocal(address: 40)) { try AtomicMerge.merge([serialOnly, local]) }
    }

    @Test("records read back from their C layout")
    func parse() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        p.storeBytes(of: UInt64(0xABC0), as: UInt64.self)
        p.storeBytes(of: UInt64(9), toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: UInt64(2), toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: UInt8(2), toByteOffset: 24, as: UInt8.self)
        p.storeBytes(of: UInt8(7), toByteOffset: 25, as: UInt8.self)
        p.storeBytes(of: UInt8(2), toByteOffset: 26, as: UInt8.self)
        p.storeBytes(of: UInt64(0xD00), toByteOffset: 32, as: UInt64.self)
        let r = AtomicRecord.parse(p, bytes: 64)
        #expect(r.count == 2)
        #expect(r[0] == AtomicRecord(address: 0xABC0, width: 2, op: .xor, operand: 9, before: 2, touchedSerially: true))
        #expect(r[1].address == 0xD00 && r[1].op == nil && !r[1].touchedSerially)
    }

    @Test("unmarked bytes are left alone when a diff is applied, the others are written")
    func unmark() {
        let bytes = 4096
        let old = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        let cur = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        old.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        cur.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        for i in 0..<64 { cur.storeBytes(of: UInt8(i + 1), toByteOffset: 100 + i, as: UInt8.self) }
        let base = UInt(bitPattern: cur)
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 8)
        let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: Diff.maxRunWords)
        var enc = Diff.Encoder(out: out, capacity: 1 << 16, maskScratch: mask)
        enc.add(current: cur, old: old, lo: base, hi: base + UInt(bytes))
        enc.close()
        // Unmark bytes 110..<114 and 150.
        Diff.unmark(out, bytes: enc.bytes, ranges: [(address: base + 110, length: 4), (address: base + 150, length: 1)])
        // Apply to a zeroed page at the same address: translate by writing into `cur` after clearing it.
        cur.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        Diff.applyInPlace(UnsafeRawPointer(out), bytes: enc.bytes)
        for i in 0..<64 {
            let v = cur.load(fromByteOffset: 100 + i, as: UInt8.self)
            let skipped = (10..<14).contains(i) || i == 50
            #expect(v == (skipped ? 0 : UInt8(i + 1)), "byte \(100 + i)")
        }
    }
}
