import CGlibc
import Foundation

/// Names the calling thread for the system, as `top -H`, debuggers and
/// `/proc/PID/task/*/comm` show it (at most 15 bytes on Linux).
///
/// On Linux, Foundation passes `Thread.name` to the system only once the
/// thread that started the `Thread` has recorded its handle, so a thread
/// naming itself as it starts could race that and keep the name of the
/// thread that made it.
public func nameCurrentThread(_ name: String) {
    #if os(Linux)
    pthread_setname_np(pthread_self(), name)
    #else
    Thread.current.name = name
    #endif
}
