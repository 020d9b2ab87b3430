// glibc's allocator tuning (mallopt and its M_* parameters) for Tensor's Storage.
#include <malloc.h>
