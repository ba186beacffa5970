// cblas.h from Debian's libopenblas-dev also declares openblas_set_num_threads,
// openblas_get_num_threads, openblas_get_corename and openblas_get_config.
#include <cblas.h>
