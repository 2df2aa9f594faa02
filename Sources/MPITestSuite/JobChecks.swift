// Multi-rank checks: filled in with the job layer.
let jobChecks: [MPICheck] = []
