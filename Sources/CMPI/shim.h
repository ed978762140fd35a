#ifndef TOONKIT_CMPI_SHIM_H
#define TOONKIT_CMPI_SHIM_H

#include <mpi.h>

/*
 * Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, ...) are macros over the
 * addresses of library globals, which Swift cannot import. These accessors return them with their C types.
 */

static inline MPI_Comm toon_MPI_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype toon_MPI_FLOAT(void) { return MPI_FLOAT; }
static inline MPI_Datatype toon_MPI_DOUBLE(void) { return MPI_DOUBLE; }
static inline MPI_Op toon_MPI_SUM(void) { return MPI_SUM; }
static inline void *toon_MPI_IN_PLACE(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler toon_MPI_ERRORS_RETURN(void) { return MPI_ERRORS_RETURN; }
static inline int toon_MPI_SUCCESS(void) { return MPI_SUCCESS; }
static inline int toon_MPI_MAX_PROCESSOR_NAME(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int toon_MPI_MAX_ERROR_STRING(void) { return MPI_MAX_ERROR_STRING; }

#endif
