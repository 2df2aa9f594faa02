// Multi-rank checks: filled in with the storage layer.
let storageChecks: [MPICheck] = []
