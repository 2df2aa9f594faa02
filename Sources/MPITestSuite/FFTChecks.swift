// Multi-rank checks: filled in with the fft layer.
let fftChecks: [MPICheck] = []
