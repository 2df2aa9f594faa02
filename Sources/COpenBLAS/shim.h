// OpenBLAS: CBLAS for level-3 BLAS, and the Fortran LAPACK symbols it also
// exports (declared here so no separate LAPACKE package is needed).
#ifndef CASCADE_COPENBLAS_SHIM_H
#define CASCADE_COPENBLAS_SHIM_H
#include <cblas.h>

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
double dlamch_(const char *cmach);
/* Complex Hermitian divide and conquer; complex arrays are interleaved (re, im) doubles. */
void zheevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, double *rwork, const int *lrwork, int *iwork,
             const int *liwork, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
/* Householder QR (column-major): dgeqrf_ factors, dorgqr_ forms Q from the reflectors. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);

#endif
