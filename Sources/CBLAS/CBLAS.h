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
// Eigenvalues and eigenvectors of a symmetric matrix (divide and conquer), ascending in w.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
// The i-th eigenvalue (1-based, ascending) of diag(d) + rho·z·zᵀ: d strictly ascending,
// z of unit norm without zeros, rho > 0 (the secular equation of divide and conquer).
void dlaed4_(const int *n, const int *i, const double *d, const double *z, double *delta,
             const double *rho, double *dlam, int *info);
// Minimum-norm least squares by the SVD (divide and conquer); singular values <= rcond·s[0]
// count as zero. On exit b's first n rows hold the solution.
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
             const int *ldb, double *s, const double *rcond, int *rank, double *work,
             const int *lwork, int *iwork, int *info);
// Singular value decomposition (divide and conquer), double precision.
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
             double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *iwork, int *info);
#endif
