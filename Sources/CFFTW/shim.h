// FFTW's MPI interface: fftw3-mpi.h needs mpi.h first. The planner flags are
// plain integer macros, re-exported as functions so every flag Swift uses is
// spelled the same way.
#ifndef CASCADE_CFFTW_SHIM_H
#define CASCADE_CFFTW_SHIM_H
#include <mpi.h>
#include <fftw3-mpi.h>

static inline unsigned cfftw_estimate(void) { return FFTW_ESTIMATE; }
static inline unsigned cfftw_measure(void) { return FFTW_MEASURE; }
static inline unsigned cfftw_patient(void) { return FFTW_PATIENT; }
static inline unsigned cfftw_destroy_input(void) { return FFTW_DESTROY_INPUT; }
static inline unsigned cfftw_mpi_transposed_out(void) { return FFTW_MPI_TRANSPOSED_OUT; }
static inline unsigned cfftw_mpi_transposed_in(void) { return FFTW_MPI_TRANSPOSED_IN; }
static inline int cfftw_forward(void) { return FFTW_FORWARD; }
static inline int cfftw_backward(void) { return FFTW_BACKWARD; }
static inline ptrdiff_t cfftw_mpi_default_block(void) { return FFTW_MPI_DEFAULT_BLOCK; }
static inline const char *cfftw_version(void) { return fftw_version; }

#endif
