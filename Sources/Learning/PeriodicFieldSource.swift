/// A set of scalar fields on a doubly periodic N × N grid, addressed by GLOBAL field index: what a
/// diffusion model of 2D turbulence learns from (ns2d vorticity snapshots, or a synthetic Gaussian
/// random field with a known spectrum).
///
/// Like a ``SampleSource`` (which it is not: it has no targets; a training-pair source built
/// on it supplies them), a field source is asked only for the fields a rank needs, in any order, and
/// must return the same field for the same index on every rank and in every call.
public protocol PeriodicFieldSource: AnyObject {
    /// Number of fields; valid indices are 0 ..< count.
    var count: Int { get }
    /// Points per side N: a field is N × N values, row-major (row y, column x), one channel, which is
    /// the NHWC layout [N, N, 1] of the learning engine.
    var side: Int { get }
    /// The factor the stored values were divided by (1 when none): a model trained on the fields
    /// produces values in these units, and multiplying by it gives the data's units.
    var scale: Double { get }
    /// Writes the fields `indices` (in that order) into `fields` (indices.count × side² floats).
    /// Throws on I/O errors and on values that are not finite.
    func loadFields(indices: UnsafeBufferPointer<Int>, into fields: UnsafeMutablePointer<Float>) throws
}
