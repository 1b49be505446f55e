// Memory that a worksharing construct shares among its team: gcc asks for it through the `mem`
// argument of GOMP_loop_start, GOMP_loop_ordered_start, GOMP_loop_ull_start and
// GOMP_sections2_start for a scan (one slot per thread for the partial results, written and read
// in phases separated by barriers) and for lastprivate(conditional:) (the iteration number of the
// last assignment, compared and updated under GOMP_atomic_start, which needs it zeroed). libgomp
// gives every thread of the team the same zeroed block.
//
// Here every rank must give the same address, and the block must be memory whose writes travel:
// the barriers' diffs carry the scan's slots, the section log carries the conditional update. So the
// blocks come from an area of ordinary tracked memory reserved at start (the same address on every
// rank, as every mapping made then). Every thread of the team meets these constructs in the same
// order, so each thread takes the next block from its own cursor, and all arrive at the same
// offsets without a message. Blocks live until the region ends; then every rank zeroes what the
// region used (its first word holds the highest offset, raised by every thread to the same values,
// so the ranks never disagree about it) and the cursors start again.
import CCapeShim
import CCapeSys
import Glibc

enum TeamBlocks {
    /// Small on purpose: every sync point scans all tracked memory, untouched pages too, about 6 ns
    /// a page per scan here (16 MiB took an empty barrier at -n 2 from about 55 us to 125 us; 1 MiB
    /// cost some 3 us of a 40 us barrier). 256 KiB holds some 4,000 scans of a few variables per
    /// region. It follows the region heap's headers, in the same mapping, so both are one range.
    static let areaBytes = 256 << 10
    private static let header = 64
    nonisolated(unsafe) private static var area: UnsafeMutableRawPointer?
    private struct Cursor { var region: UInt64 = .max; var offset = TeamBlocks.header }
    nonisolated(unsafe) private static let cursors: UnsafeMutablePointer<Cursor> = {
        let p = UnsafeMutablePointer<Cursor>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: Cursor(), count: Runtime.maxLocalThreads + 1)
        return p
    }()
    /// Blocks of teams of one (every rank runs such a region whole): one per thread, reused.
    nonisolated(unsafe) private static let alone: UnsafeMutablePointer<(UnsafeMutableRawPointer?, Int)> = {
        let p = UnsafeMutablePointer<(UnsafeMutableRawPointer?, Int)>.allocate(capacity: Runtime.maxLocalThreads + 1)
        p.initialize(repeating: (nil, 0), count: Runtime.maxLocalThreads + 1)
        return p
    }()

    /// At start, on every rank alike (before any region).
    static func setUp() {
        if RegionHeap.enabled {
            area = cape_rheap_extra()
            return
        }
        guard let p = mmap(nil, areaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), p != MAP_FAILED else {
            fatal("cannot reserve \(areaBytes >> 10) KiB for worksharing constructs' shared memory: \(errnoText())")
        }
        area = p
    }

    private static var highWater: UnsafeMutablePointer<UInt64> { area!.assumingMemoryBound(to: UInt64.self) }

    /// GOMP_*_start's `mem`: `*mem` is the size asked for; it receives the block.
    static func provide(_ mem: UnsafeMutableRawPointer) {
        mem.storeBytes(of: block(Int(mem.load(as: UInt.self))), as: UnsafeMutableRawPointer.self)
    }

    /// The calling thread's team's next zeroed block of `size` bytes, 64-byte aligned in the area.
    static func block(_ size: Int) -> UnsafeMutableRawPointer {
        let t = cape_self()!.pointee
        let slot = t.local_index >= 0 ? Int(t.local_index) : Runtime.maxLocalThreads
        let block: UnsafeMutableRawPointer
        if t.team_size <= 1 {
            var b = alone[slot]
            if b.1 < size {
                free(b.0)
                b = (malloc(max(size, 64)), max(size, 64))
                alone[slot] = b
            }
            block = b.0!
            memset(block, 0, size)
        } else {
            if t.nest != nil {
                fatalEverywhere("a scan or lastprivate(conditional:) in a nested team is not supported yet (disable nesting for this region)")
            }
            guard let area else { fatal("worksharing constructs' shared memory is not set up; please report this") }
            let c = cursors + slot
            if c.pointee.region != Region.seq { c.pointee = Cursor(region: Region.seq) }
            let start = c.pointee.offset
            let end = start + (size + 63) / 64 * 64
            if end > areaBytes {
                fatalEverywhere("the scans, lastprivate(conditional:) and task reductions of worksharing constructs in one region used more than "
                    + "\(areaBytes >> 10) KiB of shared memory (end the region more often)")
            }
            c.pointee.offset = end
            // The program writes the block until the region ends: every sync point until then scans
            // the area (regionheap.c, cape_rheap_take_area_written).
            if RegionHeap.enabled { cape_rheap_pin_extra(1) }
            var high = cape_load_acquire_u64(highWater)
            while high < UInt64(end) && cape_cas_u64(highWater, &high, UInt64(end)) == 0 {}
            block = area + start
        }
        return block
    }

    static func owns(_ p: UnsafeRawPointer) -> Bool {
        guard let area else { return false }
        return p >= UnsafeRawPointer(area) && p < UnsafeRawPointer(area + areaBytes)
    }

    /// The end of a region, once every rank holds its memory: blocks are zero again, everywhere.
    static func regionEnded() {
        guard let area else { return }
        if RegionHeap.enabled { cape_rheap_pin_extra(0) }
        let high = Int(highWater.pointee)
        guard high > header else { return }
        memset(area + header, 0, high - header)
        highWater.pointee = 0
    }
}
