// zlib, for gzip-compressed datasets (IDX .gz).
#ifndef TOPIARY_CZLIB_H
#define TOPIARY_CZLIB_H
#include <zlib.h>
#endif
