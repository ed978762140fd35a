#include <cblas.h>
// OpenBLAS extensions (declared in openblas_config.h / cblas.h on Debian, repeated here for clarity).
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// LAPACK symmetric eigen-decomposition (OpenBLAS ships LAPACK; Fortran calling convention).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
