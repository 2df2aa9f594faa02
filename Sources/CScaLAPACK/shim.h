// ScaLAPACK and its BLACS (Debian's libscalapack-openmpi-dev ships both in one library and no
// header): the C BLACS calls that make a process grid on any MPI communicator, and the Fortran
// symbols Cascade calls (arguments by pointer; the hidden lengths of the one-character
// arguments are omitted, as every C caller of ScaLAPACK does).
#ifndef CASCADE_CSCALAPACK_SHIM_H
#define CASCADE_CSCALAPACK_SHIM_H
#include <mpi.h>

/* BLACS: a system context from an MPI communicator, a grid on it, its coordinates, release. */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, char *order, int rows, int columns);
void Cblacs_gridinfo(int context, int *rows, int *columns, int *myRow, int *myColumn);
void Cblacs_gridexit(int context);

/* Block-cyclic bookkeeping: local extent of a distributed axis; array descriptors. */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *context, const int *lld, int *info);

/* Symmetric eigensolvers: divide and conquer (vectors only), MRRR (values and/or vectors). */
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, double *w, double *z, const int *iz, const int *jz, const int *descz,
              double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, const double *vl, const double *vu, const int *il, const int *iu,
              int *m, int *nz, double *w, double *z, const int *iz, const int *jz, const int *descz,
              double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/* PBLAS transpose: C := beta C + alpha Aᵀ (distributed). */
void pdtran_(const int *m, const int *n, const double *alpha, const double *a, const int *ia, const int *ja,
             const int *desca, const double *beta, double *c, const int *ic, const int *jc, const int *descc);

#endif
