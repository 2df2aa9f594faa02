/// Cascade's version, written into every run record and output file.
public enum CascadeVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
