// OpenBLAS: CBLAS plus the few LAPACK routines Topiary calls (Debian's libopenblas
// carries LAPACK; the Fortran symbols are declared here so no extra header is needed).
#ifndef TOPIARY_CBLAS_H
#define TOPIARY_CBLAS_H
#include <cblas.h>

void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda,
             float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *iwork, int *info);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
// Eigenvalues of a symmetric tridiagonal matrix (d: diagonal, e: off-diagonal), ascending in d.
void dsterf_(const int *n, double *d, double *e, int *info);
#endif
