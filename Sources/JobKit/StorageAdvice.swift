import Storage

/// Adds advice that names Cascade's own commands to storage errors: the storage layer
/// describes files and datasets, only the jobs layer knows which CLI the user has.
public enum StorageAdvice {
    /// `error` as text, with a next step for the storage problems that have one.
    public static func describe(_ error: Error) -> String {
        guard let error = error as? StorageError else { return "\(error)" }
        switch error.kind {
        case .noSuchDataset: return "\(error); `cascade inspect \(error.file)` lists what the file holds"
        default: return "\(error)"
        }
    }
}
