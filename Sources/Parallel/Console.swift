import CMPI

/// Standard output and error of this process, written whole and flushed at once so that lines
/// forwarded by mpirun from many ranks stay whole and in order.
public enum Console {
    /// Makes standard output line-buffered (call first thing in an executable).
    public static func lineBuffered() { cascade_console_line_buffered() }
    /// Writes `text` to standard output and flushes.
    public static func out(_ text: String) { cascade_console_out(text) }
    /// Writes `text` to standard error and flushes.
    public static func error(_ text: String) { cascade_console_error(text) }
    /// Flushes every C stream.
    public static func flush() { cascade_console_flush() }
}
