// oneDNN (Debian's libdnnl-dev 2.6, C API) for the optional convolution path
// (Sources/Kernels/Conv/DNNLConv*.swift). Debian builds it on OpenMP (libgomp): the thread
// count of its primitives is libgomp's, set per calling thread with omp_set_num_threads.
#ifndef TOPIARY_CDNNL_H
#define TOPIARY_CDNNL_H
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

void omp_set_num_threads(int n);
int omp_get_max_threads(void);
#endif
