// <mpi.h> with the C API only. Open MPI's deprecated C++ bindings, pulled in by default when a C++
// file includes <mpi.h>, need libmpi_cxx, which fct does not link.
#pragma once

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>
