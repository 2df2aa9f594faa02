// Multi-rank checks: filled in with the linalg layer.
let linalgChecks: [MPICheck] = []
