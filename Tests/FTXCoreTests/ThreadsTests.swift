import Foundation
import XCTest
@testable import FTXCore

/// The worker pool's oversubscription check reads how many tasks are runnable now.
final class ThreadsTests: XCTestCase {
    func testProcsRunningIsReadFromItsLine() {
        let stat = "cpu  10 0 5 100 0 0 0 0 0 0\nctxt 9\nprocs_running 3\nprocs_blocked 0\n"
        XCTAssertEqual(Threads.procsRunning(stat), 3)
        XCTAssertNil(Threads.procsRunning("cpu  1 2 3\nprocs_blocked 0\n"))
        XCTAssertNil(Threads.procsRunning("procs_running many\n"))
    }

    /// Two threads spinning while it reads are counted; so the pool stays off beside busy work.
    func testBusyThreadsAreCountedAsRunnable() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/stat"), "needs Linux's /proc/stat")
        let started = DispatchGroup(), done = DispatchGroup()
        for _ in 0..<2 {
            started.enter(); done.enter()
            Thread.detachNewThread {
                started.leave()
                let end = Date().addingTimeInterval(0.3)
                while Date() < end {}
                done.leave()
            }
        }
        started.wait()
        usleep(20_000)
        let others = Threads.othersRunnable()
        done.wait()
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(others), 2)
    }
}
